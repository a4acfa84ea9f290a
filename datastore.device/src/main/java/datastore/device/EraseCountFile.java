package datastore.device;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import datastore.flash.FlashGeometry;

/**
 * The erase counts of a file-backed {@link NorFlash}, kept in the sidecar {@code <image>.wear}. The
 * counts are housekeeping for wear levelling, so no state of this file ever keeps the flash offline:
 * a missing, short, garbage or damaged file is rebuilt with estimated counts and a warning, a file of
 * the older format 1 is read and migrated, and a file of a newer format is left alone while the
 * counts are kept in memory. The format (2) is described in the module's FORMAT.md: two copies, each
 * a 32-byte header (magic {@code DDWR}, format, geometry, the highest count, CRC32C) and chunks of 64
 * big-endian counts with a CRC32C trailer that binds them to the geometry and their index. An erase
 * rewrites its chunk and, when it raises the highest count, the header, in both copies in place; the
 * device's sync then forces the mapping. Every other write of the file is a complete new file written
 * beside it, forced and renamed over it, so a power cut leaves either the old or the new file.
 */
final class EraseCountFile implements Closeable {
    static final int MAGIC = 0x44445752; // "DDWR"
    static final int FORMAT = 2;
    static final int LEGACY_FORMAT = 1;
    static final int LEGACY_HEADER = 16;
    static final int HEADER = 32;
    static final int H_MAGIC = 0;
    static final int H_FORMAT = 4;
    static final int H_BLOCKS = 8;
    static final int H_BLOCK_SIZE = 12;
    static final int H_HIGHEST = 16;
    static final int H_COPY = 24;
    static final int H_CRC = 28;
    static final int CHUNK_COUNTS = 64;
    static final int CHUNK = CHUNK_COUNTS * 8 + 8;
    /** No flash block is erased more often than this in a lifetime; a larger stored count is damage. */
    static final long PLAUSIBLE_COUNT = 1L << 40;

    /** What opening found; {@link #problem} is null when the file was clean and current. */
    enum State {
        /** A clean file of the current format, mapped and updated in place. */
        MAPPED,
        /** Counts in memory; the file is (re)written whole at the next erase. */
        REWRITE,
        /** A file of a newer format: counts in memory only, the file never written. */
        DETACHED
    }

    private final Path file;
    private final FlashGeometry geometry;
    private final int chunks;
    private State state;
    private final String problem;
    private FileChannel channel;
    private MappedByteBuffer map;
    private long highest;

    private EraseCountFile(Path file, FlashGeometry geometry, State state, String problem, long highest) {
        this.file = file;
        this.geometry = geometry;
        this.chunks = chunks(geometry.blocks());
        this.state = state;
        this.problem = problem;
        this.highest = highest;
    }

    static int chunks(int blocks) {
        return (blocks + CHUNK_COUNTS - 1) / CHUNK_COUNTS;
    }

    static long copySize(int blocks) {
        return HEADER + (long) chunks(blocks) * CHUNK;
    }

    static long fileSize(int blocks) {
        return 2 * copySize(blocks);
    }

    /**
     * Reads the counts of {@code file} into {@code counts} (one per block of {@code geometry}) and
     * opens the file for updates. Never fails for what the file holds, only for I/O errors on a file
     * that exists and is clean (it cannot be mapped).
     *
     * @param imageCreated whether the image was created just now, so a missing file is no loss: it is
     *        then created at once, and nothing is reported
     */
    static EraseCountFile open(Path file, FlashGeometry geometry, long[] counts, boolean imageCreated)
            throws IOException {
        if (!Files.exists(file)) {
            if (imageCreated) {
                EraseCountFile created = new EraseCountFile(file, geometry, State.REWRITE, null, 0);
                created.rewrite(counts);
                return created;
            }
            return new EraseCountFile(file, geometry, State.REWRITE, "is missing; every count restarts at 0 (nothing "
                    + "is known of them) and the file is written anew at the next erase", 0);
        }
        byte[] bytes = Files.readAllBytes(file);
        Reading reading = read(ByteBuffer.wrap(bytes), geometry);
        if (reading.newer) {
            return new EraseCountFile(file, geometry, State.DETACHED, reading.problems.get(0), 0);
        }
        long estimate = 0;
        boolean unreadable = false;
        for (int block = 0; block < counts.length; block++) {
            if (reading.known[block]) {
                estimate = Math.max(estimate, reading.counts[block]);
            } else {
                unreadable = true;
            }
        }
        estimate = Math.max(estimate, reading.highest);
        int estimated = 0;
        for (int block = 0; block < counts.length; block++) {
            counts[block] = reading.known[block] ? reading.counts[block] : estimate;
            estimated += reading.known[block] ? 0 : 1;
        }
        if (reading.problems.isEmpty()) {
            EraseCountFile clean = new EraseCountFile(file, geometry, State.MAPPED, null, estimate);
            clean.map();
            return clean;
        }
        String problem = String.join("; ", reading.problems)
                + (unreadable ? "; " + estimated + " of " + counts.length + " block counts are unreadable and estimated "
                        + "as " + estimate + ", the highest count still known (conservative: wear levelling keeps "
                        + "blocks near it)" : "; every block count was recovered")
                + "; the file is rewritten in format " + FORMAT + " at the next erase";
        return new EraseCountFile(file, geometry, State.REWRITE, problem, estimate);
    }

    /** What opening found wrong, or null when the file was clean and current. */
    String problem() {
        return problem;
    }

    State state() {
        return state;
    }

    /**
     * Records that {@code counts[block]} changed; called holding the device lock after each erase.
     *
     * @return whether the mapping now holds changes to force (false when the whole file was written,
     *         and forced, just now, or when the file is detached)
     */
    boolean changed(long[] counts, int block) throws IOException {
        switch (state) {
        case DETACHED:
            return false;
        case REWRITE:
            rewrite(counts);
            return false;
        default:
            int chunk = block / CHUNK_COUNTS;
            for (int copy = 0; copy < 2; copy++) {
                writeChunk(map, copy, chunk, counts);
            }
            if (counts[block] > highest) {
                highest = counts[block];
                for (int copy = 0; copy < 2; copy++) {
                    writeHeader(map, copy);
                }
            }
            return true;
        }
    }

    /** Forces the mapping; called by the device's sync when an erase changed it. */
    void force() {
        if (map != null) {
            map.force();
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes the whole file beside the old one, forces it, renames it over the old one and maps it. */
    private void rewrite(long[] counts) throws IOException {
        for (long count : counts) {
            highest = Math.max(highest, count);
        }
        ByteBuffer content = ByteBuffer.allocate((int) fileSize(geometry.blocks()));
        for (int copy = 0; copy < 2; copy++) {
            writeHeader(content, copy);
            for (int chunk = 0; chunk < chunks; chunk++) {
                writeChunk(content, copy, chunk, counts);
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel out = NorFlash.createOwnerOnly(tmp)) {
            while (content.hasRemaining()) {
                out.write(content);
            }
            out.force(true);
        }
        close();
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceFolder(file.getParent());
        map();
        state = State.MAPPED;
    }

    private void map() throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        map = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileSize(geometry.blocks()));
    }

    /** Makes a rename durable where the platform can force a folder (Linux can); elsewhere it is a no-op. */
    private static void forceFolder(Path folder) {
        if (folder == null) {
            return;
        }
        try (FileChannel directory = FileChannel.open(folder, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException | RuntimeException notSupported) {
            // Some platforms cannot open a folder; the rename is then as durable as they make it.
        }
    }

    private void writeHeader(ByteBuffer buffer, int copy) {
        int at = (int) (copy * copySize(geometry.blocks()));
        buffer.putInt(at + H_MAGIC, MAGIC).putInt(at + H_FORMAT, FORMAT).putInt(at + H_BLOCKS, geometry.blocks())
                .putInt(at + H_BLOCK_SIZE, geometry.eraseBlockSize()).putLong(at + H_HIGHEST, highest)
                .putInt(at + H_COPY, copy);
        buffer.putInt(at + H_CRC, crc(buffer, at, H_CRC));
    }

    private void writeChunk(ByteBuffer buffer, int copy, int chunk, long[] counts) {
        int at = chunkOffset(geometry.blocks(), copy, chunk);
        for (int i = 0; i < CHUNK_COUNTS; i++) {
            int block = chunk * CHUNK_COUNTS + i;
            buffer.putLong(at + 8 * i, block < counts.length ? counts[block] : 0);
        }
        buffer.putInt(at + CHUNK_COUNTS * 8, chunk);
        buffer.putInt(at + CHUNK_COUNTS * 8 + 4, chunkCrc(buffer, at, geometry.blocks(), geometry.eraseBlockSize(), chunk));
    }

    static int chunkOffset(int blocks, int copy, int chunk) {
        return (int) (copy * copySize(blocks) + HEADER + (long) chunk * CHUNK);
    }

    /** The chunk's CRC32C covers the geometry and its index too, so a chunk of another layout never passes. */
    static int chunkCrc(ByteBuffer buffer, int at, int blocks, int blockSize, int chunk) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(12).putInt(blocks).putInt(blockSize).putInt(chunk).flip());
        crc.update(buffer.slice(at, CHUNK_COUNTS * 8 + 4));
        return (int) crc.getValue();
    }

    static int crc(ByteBuffer buffer, int at, int length) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.slice(at, length));
        return (int) crc.getValue();
    }

    // ---------------------------------------------------------------- reading

    /** The counts a file yields for the configured geometry, which of them are known, and what was wrong. */
    private static final class Reading {
        final long[] counts;
        final boolean[] known;
        final List<String> problems = new ArrayList<>();
        long highest;
        boolean newer;

        Reading(int blocks) {
            counts = new long[blocks];
            known = new boolean[blocks];
        }
    }

    /**
     * The counts {@code bytes} (a whole erase-count file) proves, one per block of {@code geometry},
     * -1 where unknown, and what was wrong with it; reads only, for tools inspecting a device dump.
     */
    static long[] knownCounts(ByteBuffer bytes, FlashGeometry geometry, List<String> problems) {
        Reading reading = read(bytes, geometry);
        problems.addAll(reading.problems);
        long[] counts = new long[geometry.blocks()];
        for (int block = 0; block < counts.length; block++) {
            counts[block] = reading.known[block] ? reading.counts[block] : -1;
        }
        return counts;
    }

    private static Reading read(ByteBuffer bytes, FlashGeometry geometry) {
        Reading reading = new Reading(geometry.blocks());
        int size = bytes.capacity();
        if (size == 0) {
            reading.problems.add("is empty");
            return reading;
        }
        if (size < 8 || bytes.getInt(H_MAGIC) != MAGIC) {
            reading.problems.add("is not an erase-count file (" + size + " bytes without the magic DDWR)");
            return reading;
        }
        int format = bytes.getInt(H_FORMAT);
        if (format == LEGACY_FORMAT) {
            readLegacy(bytes, geometry, reading);
        } else if (format == FORMAT || validHeader(bytes, 0) || secondHeader(bytes, geometry) >= 0) {
            readCurrent(bytes, geometry, reading);
        } else if (format > FORMAT) {
            reading.newer = true;
            reading.problems.add("is in erase-count format " + format + ", newer than this build's " + FORMAT
                    + "; it is left as it is and the counts are kept in memory only, from 0, until a build that "
                    + "reads it runs again");
        } else {
            reading.problems.add("names erase-count format " + format + ", which no build wrote");
        }
        return reading;
    }

    private static boolean validHeader(ByteBuffer bytes, int at) {
        return at >= 0 && at + HEADER <= bytes.capacity() && bytes.getInt(at + H_MAGIC) == MAGIC
                && bytes.getInt(at + H_FORMAT) == FORMAT && bytes.getInt(at + H_CRC) == crc(bytes, at, H_CRC);
    }

    /** Where a valid second header is for the configured geometry, or -1. */
    private static int secondHeader(ByteBuffer bytes, FlashGeometry geometry) {
        long at = copySize(geometry.blocks());
        return at <= Integer.MAX_VALUE && validHeader(bytes, (int) at) ? (int) at : -1;
    }

    /** Format 1, as builds before format 2 wrote it: a 16-byte header, then one count per block, unchecked. */
    private static void readLegacy(ByteBuffer bytes, FlashGeometry geometry, Reading reading) {
        reading.problems.add("is in the older erase-count format " + LEGACY_FORMAT + " (no checksums)");
        int blocks = bytes.capacity() >= LEGACY_HEADER ? bytes.getInt(H_BLOCKS) : -1;
        int blockSize = bytes.capacity() >= LEGACY_HEADER ? bytes.getInt(H_BLOCK_SIZE) : -1;
        if (!consistent(blocks, blockSize, geometry)) {
            reading.problems.add("its header names " + blocks + " blocks of " + blockSize + " bytes, which is not a "
                    + "flash of " + geometry.size() + " bytes; read as " + geometry.blocks() + " blocks of "
                    + geometry.eraseBlockSize() + " bytes");
            blocks = geometry.blocks();
            blockSize = geometry.eraseBlockSize();
        }
        long[] counts = new long[blocks];
        boolean[] known = new boolean[blocks];
        int present = 0;
        for (int block = 0; block < blocks; block++) {
            long at = LEGACY_HEADER + 8L * block;
            if (at + 8 <= bytes.capacity()) {
                present++;
                long count = bytes.getLong((int) at);
                if (count >= 0 && count < PLAUSIBLE_COUNT) {
                    counts[block] = count;
                    known[block] = true;
                }
            }
        }
        if (present < blocks) {
            reading.problems.add("it is cut short after " + present + " of " + blocks + " counts");
        }
        if (bytes.capacity() > LEGACY_HEADER + 8L * blocks) {
            reading.problems.add("it is " + bytes.capacity() + " bytes, longer than " + blocks + " counts need");
        }
        convert(counts, known, blockSize, geometry, reading);
    }

    private static void readCurrent(ByteBuffer bytes, FlashGeometry geometry, Reading reading) {
        int header = validHeader(bytes, 0) ? 0 : secondHeader(bytes, geometry);
        int blocks = geometry.blocks();
        int blockSize = geometry.eraseBlockSize();
        if (header < 0) {
            reading.problems.add("both copies of its header are damaged; read as " + blocks + " blocks of " + blockSize
                    + " bytes");
        } else {
            if (header != 0) {
                reading.problems.add("the header of its first copy is damaged (the second is intact)");
            }
            int recordedBlocks = bytes.getInt(header + H_BLOCKS);
            int recordedSize = bytes.getInt(header + H_BLOCK_SIZE);
            if (consistent(recordedBlocks, recordedSize, geometry)) {
                blocks = recordedBlocks;
                blockSize = recordedSize;
                long highest = bytes.getLong(header + H_HIGHEST);
                if (highest >= 0 && highest < PLAUSIBLE_COUNT) {
                    reading.highest = highest;
                }
            } else {
                reading.problems.add("its header names " + recordedBlocks + " blocks of " + recordedSize
                        + " bytes, which is not a flash of " + geometry.size() + " bytes");
            }
            if (header == 0 && !validHeader(bytes, (int) copySize(blocks))) {
                reading.problems.add("the header of its second copy is damaged (the first is intact)");
            }
        }
        if (bytes.capacity() != fileSize(blocks)) {
            reading.problems.add("it is " + bytes.capacity() + " bytes instead of " + fileSize(blocks));
        }
        long[] counts = new long[blocks];
        boolean[] known = new boolean[blocks];
        int damagedCopies = 0;
        int lostChunks = 0;
        for (int chunk = 0; chunk < chunks(blocks); chunk++) {
            boolean[] intact = new boolean[2];
            for (int copy = 0; copy < 2; copy++) {
                int at = chunkOffset(blocks, copy, chunk);
                intact[copy] = at + CHUNK <= bytes.capacity() && bytes.getInt(at + CHUNK_COUNTS * 8) == chunk
                        && bytes.getInt(at + CHUNK_COUNTS * 8 + 4) == chunkCrc(bytes, at, blocks, blockSize, chunk);
                damagedCopies += intact[copy] ? 0 : 1;
            }
            if (!intact[0] && !intact[1]) {
                lostChunks++;
                continue;
            }
            for (int i = 0; i < CHUNK_COUNTS && chunk * CHUNK_COUNTS + i < blocks; i++) {
                int block = chunk * CHUNK_COUNTS + i;
                long count = 0;
                // Both intact but different: a power cut between the copies' updates; the higher is newer.
                for (int copy = 0; copy < 2; copy++) {
                    if (intact[copy]) {
                        count = Math.max(count, bytes.getLong(chunkOffset(blocks, copy, chunk) + 8 * i));
                    }
                }
                counts[block] = count;
                known[block] = true;
            }
        }
        if (damagedCopies > 0) {
            reading.problems.add(damagedCopies + " chunk copies of " + 2 * chunks(blocks) + " fail their checksum or are "
                    + "missing, " + lostChunks + " chunks in both copies");
        }
        convert(counts, known, blockSize, geometry, reading);
    }

    private static boolean consistent(int blocks, int blockSize, FlashGeometry geometry) {
        return blocks > 0 && blockSize > 0 && Integer.bitCount(blockSize) == 1
                && (long) blocks * blockSize == geometry.size();
    }

    /**
     * Maps counts recorded for blocks of {@code recordedSize} bytes onto the configured blocks. Equal
     * sizes copy; otherwise a configured block takes the highest count of the recorded blocks it
     * overlaps (an erase of a larger block erased every smaller one inside it), never less.
     */
    private static void convert(long[] counts, boolean[] known, int recordedSize, FlashGeometry geometry,
            Reading reading) {
        int blockSize = geometry.eraseBlockSize();
        if (recordedSize == blockSize) {
            System.arraycopy(counts, 0, reading.counts, 0, Math.min(counts.length, reading.counts.length));
            System.arraycopy(known, 0, reading.known, 0, Math.min(known.length, reading.known.length));
            return;
        }
        reading.problems.add("it counts erases of " + recordedSize + "-byte blocks, the flash is configured with "
                + blockSize + "-byte blocks; each block takes the highest count of the recorded blocks it overlaps");
        Arrays.fill(reading.known, true);
        for (int block = 0; block < reading.counts.length; block++) {
            long from = (long) block * blockSize;
            long to = from + blockSize;
            for (long recorded = from / recordedSize; recorded * recordedSize < to; recorded++) {
                if (recorded >= counts.length || !known[(int) recorded]) {
                    reading.known[block] = false;
                } else {
                    reading.counts[block] = Math.max(reading.counts[block], counts[(int) recorded]);
                }
            }
        }
    }
}
