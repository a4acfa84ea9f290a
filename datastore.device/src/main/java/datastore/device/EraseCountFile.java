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
import datastore.flashtable.EraseCountFormat;

/**
 * The erase counts of a file-backed {@link NorFlash}, kept in the sidecar {@code <image>.wear}. The
 * counts are housekeeping for wear levelling, so no state of this file ever keeps the flash offline:
 * a missing, short, garbage or damaged file is rebuilt with estimated counts and a warning, a file of
 * the older format 1 is read and migrated, and a file of a newer format is left alone while the
 * counts are kept in memory. The format (2, {@link EraseCountFormat}) is described in the module's
 * FORMAT.md: two copies, each a header and checksummed chunks of 64 counts. An erase
 * rewrites its chunk and, when it raises the highest count, the header, in both copies in place; the
 * device's sync then forces the mapping. Every other write of the file is a complete new file written
 * beside it, forced and renamed over it, so a power cut leaves either the old or the new file.
 */
final class EraseCountFile implements Closeable {
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
        this.chunks = EraseCountFormat.chunks(geometry.blocks());
        this.state = state;
        this.problem = problem;
        this.highest = highest;
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
        EraseCountFormat.Reading reading = EraseCountFormat.read(ByteBuffer.wrap(bytes), geometry);
        if (reading.newer()) {
            return new EraseCountFile(file, geometry, State.DETACHED, reading.problems().get(0), 0);
        }
        long estimate = 0;
        boolean unreadable = false;
        for (int block = 0; block < counts.length; block++) {
            if (reading.known(block)) {
                estimate = Math.max(estimate, reading.count(block));
            } else {
                unreadable = true;
            }
        }
        estimate = Math.max(estimate, reading.highest());
        int estimated = 0;
        for (int block = 0; block < counts.length; block++) {
            counts[block] = reading.known(block) ? reading.count(block) : estimate;
            estimated += reading.known(block) ? 0 : 1;
        }
        if (reading.problems().isEmpty()) {
            EraseCountFile clean = new EraseCountFile(file, geometry, State.MAPPED, null, estimate);
            clean.map();
            return clean;
        }
        String problem = String.join("; ", reading.problems())
                + (unreadable ? "; " + estimated + " of " + counts.length + " block counts are unreadable and estimated "
                        + "as " + estimate + ", the highest count still known (conservative: wear levelling keeps "
                        + "blocks near it)" : "; every block count was recovered")
                + "; the file is rewritten in format " + EraseCountFormat.FORMAT + " at the next erase";
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
            int chunk = block / EraseCountFormat.CHUNK_COUNTS;
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
        ByteBuffer content = ByteBuffer.allocate((int) EraseCountFormat.fileSize(geometry.blocks()));
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
        map = channel.map(FileChannel.MapMode.READ_WRITE, 0, EraseCountFormat.fileSize(geometry.blocks()));
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
        EraseCountFormat.writeHeader(buffer, copy, geometry, highest);
    }

    private void writeChunk(ByteBuffer buffer, int copy, int chunk, long[] counts) {
        EraseCountFormat.writeChunk(buffer, copy, chunk, geometry, counts);
    }
}
