package datastore.flashtable;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import datastore.flash.FlashGeometry;

/**
 * The erase-count sidecar {@code <image>.wear} as bytes (format 2, see the device's FORMAT.md): two
 * copies, each a 32-byte header (magic {@code DDWR}, format, geometry, the highest count, CRC32C) and
 * chunks of 64 big-endian counts with a CRC32C trailer that binds them to the geometry and their index;
 * format 1 (a 16-byte header and unchecked counts) is still read. The device keeps the file beside its
 * flash image and writes it with these encoders; tools read a dump's file with the same decoder.
 */
public final class EraseCountFormat {
    /** What the sidecar's name adds to the flash image's. */
    public static final String WEAR_SUFFIX = ".wear";
    public static final int MAGIC = 0x44445752; // "DDWR"
    public static final int FORMAT = 2;
    public static final int LEGACY_FORMAT = 1;
    public static final int LEGACY_HEADER = 16;
    public static final int HEADER = 32;
    public static final int H_MAGIC = 0;
    public static final int H_FORMAT = 4;
    public static final int H_BLOCKS = 8;
    public static final int H_BLOCK_SIZE = 12;
    public static final int H_HIGHEST = 16;
    public static final int H_COPY = 24;
    public static final int H_CRC = 28;
    public static final int CHUNK_COUNTS = 64;
    public static final int CHUNK = CHUNK_COUNTS * 8 + 8;
    /** No flash block is erased more often than this in a lifetime; a larger stored count is damage. */
    public static final long PLAUSIBLE_COUNT = 1L << 40;

    private EraseCountFormat() {
    }

    public static int chunks(int blocks) {
        return (blocks + CHUNK_COUNTS - 1) / CHUNK_COUNTS;
    }

    public static long copySize(int blocks) {
        return HEADER + (long) chunks(blocks) * CHUNK;
    }

    public static long fileSize(int blocks) {
        return 2 * copySize(blocks);
    }


    /** Writes copy {@code copy}'s header, naming {@code geometry} and {@code highest}, into a whole file's bytes. */
    public static void writeHeader(ByteBuffer buffer, int copy, FlashGeometry geometry, long highest) {
        int at = (int) (copy * copySize(geometry.blocks()));
        buffer.putInt(at + H_MAGIC, MAGIC).putInt(at + H_FORMAT, FORMAT).putInt(at + H_BLOCKS, geometry.blocks())
                .putInt(at + H_BLOCK_SIZE, geometry.eraseBlockSize()).putLong(at + H_HIGHEST, highest)
                .putInt(at + H_COPY, copy);
        buffer.putInt(at + H_CRC, crc(buffer, at, H_CRC));
    }

    /** Writes copy {@code copy} of chunk {@code chunk} of {@code counts} (one per block) into a whole file's bytes. */
    public static void writeChunk(ByteBuffer buffer, int copy, int chunk, FlashGeometry geometry, long[] counts) {
        int at = chunkOffset(geometry.blocks(), copy, chunk);
        for (int i = 0; i < CHUNK_COUNTS; i++) {
            int block = chunk * CHUNK_COUNTS + i;
            buffer.putLong(at + 8 * i, block < counts.length ? counts[block] : 0);
        }
        buffer.putInt(at + CHUNK_COUNTS * 8, chunk);
        buffer.putInt(at + CHUNK_COUNTS * 8 + 4, chunkCrc(buffer, at, geometry.blocks(), geometry.eraseBlockSize(), chunk));
    }

    public static int chunkOffset(int blocks, int copy, int chunk) {
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
    public static final class Reading {
        final long[] counts;
        final boolean[] known;
        final List<String> problems = new ArrayList<>();
        long highest;
        boolean newer;

        Reading(int blocks) {
            counts = new long[blocks];
            known = new boolean[blocks];
        }

        /** Whether the count of {@code block} was read, not lost. */
        public boolean known(int block) {
            return known[block];
        }

        /** The count of {@code block}, 0 when not {@link #known}. */
        public long count(int block) {
            return counts[block];
        }

        /** The highest count the header recorded, 0 when it could not be trusted. */
        public long highest() {
            return highest;
        }

        /** Whether the file is of a newer format than this build reads (then {@link #problems} says so first). */
        public boolean newer() {
            return newer;
        }

        /** What was wrong with the file, empty when it was clean and current; unmodifiable. */
        public List<String> problems() {
            return List.copyOf(problems);
        }
    }

    /**
     * The counts {@code bytes} (a whole erase-count file) proves, one per block of {@code geometry},
     * -1 where unknown, and what was wrong with it; reads only, for tools inspecting a device dump.
     */
    public static long[] knownCounts(ByteBuffer bytes, FlashGeometry geometry, List<String> problems) {
        Reading reading = read(bytes, geometry);
        problems.addAll(reading.problems);
        long[] counts = new long[geometry.blocks()];
        for (int block = 0; block < counts.length; block++) {
            counts[block] = reading.known[block] ? reading.counts[block] : -1;
        }
        return counts;
    }

    /** Reads {@code bytes}, a whole erase-count file, for {@code geometry}; never fails for what it holds. */
    public static Reading read(ByteBuffer bytes, FlashGeometry geometry) {
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
