package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.ARENA_MAGIC;
import static datastore.ephemeral.ArenaFormat.FORMAT_VERSION;
import static datastore.ephemeral.ArenaFormat.HEADER_SIZE;
import static datastore.ephemeral.ArenaFormat.H_COMMITTED_REVISION;
import static datastore.ephemeral.ArenaFormat.H_FLOOR_REVISION;
import static datastore.ephemeral.ArenaFormat.H_LAUNCH;
import static datastore.ephemeral.ArenaFormat.H_MAGIC;
import static datastore.ephemeral.ArenaFormat.H_NEXT_REVISION;
import static datastore.ephemeral.ArenaFormat.H_TOP;
import static datastore.ephemeral.ArenaFormat.H_VERSION;
import static datastore.ephemeral.ArenaFormat.MAX_ARENA_BYTES;
import static datastore.ephemeral.ArenaFormat.STABLE_PREFIX;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.HexFormat;

import datastore.DatastoreException;
import datastore.Partitions;

/**
 * Opening the arena file: whether to reuse, replace or refuse what the path holds (FORMAT.md, "What
 * opening does"), and writing a fresh arena as a new file renamed over the old one, so that mappings
 * still held by views of an earlier framework in the same process keep their own bytes.
 */
final class ArenaFile {

    private ArenaFile() {
    }

    /**
     * Opens the arena file for this launch: the same file when it is an arena of this launch, a fresh
     * one when the file is empty or of another launch.
     *
     * @throws ArenaRefusedException if the file is not an arena this build may reuse or replace on its
     *         own; the file is then untouched
     */
    static FileChannel open(Path path, byte[] launch) throws IOException {
        // Never through a symbolic link: whoever could place one would choose the file the dock writes.
        FileChannel opened = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        Verdict verdict;
        try {
            verdict = inspect(opened, launch);
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        if (verdict.refusal() != null) {
            opened.close();
            throw new ArenaRefusedException("the ephemeral arena " + path + " " + verdict.refusal() + "; it is left as "
                    + "it is: configure another path, or format the ephemeral partition to replace it");
        }
        if (verdict.replace()) {
            opened.close();
            opened = format(path, launch);
        }
        return opened;
    }

    /** What the file is: to refuse (with what it is), to replace by a fresh arena, or to reuse. */
    private record Verdict(String refusal, boolean replace) {
        static final Verdict REUSE = new Verdict(null, false);
        static final Verdict REPLACE = new Verdict(null, true);

        static Verdict refuse(String what) {
            return new Verdict(what, false);
        }
    }

    private static Verdict inspect(FileChannel file, byte[] launch) throws IOException {
        long size = file.size();
        if (size == 0) {
            return Verdict.REPLACE; // created just now, or never written
        }
        ByteBuffer header = ByteBuffer.allocate((int) Math.min(size, HEADER_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        while (header.hasRemaining() && file.read(header, header.position()) > 0) {
            // read the whole header
        }
        if (header.position() < 8 || header.getLong(H_MAGIC) != ARENA_MAGIC) {
            byte[] start = new byte[Math.min(header.position(), 8)];
            header.get(0, start);
            return Verdict.refuse("(" + size + " bytes) is not an arena of this store: it does not start with the magic "
                    + "DARAEPH1 (it starts with " + (start.length == 0 ? "nothing" : HexFormat.of().formatHex(start))
                    + ")");
        }
        if (header.position() < STABLE_PREFIX) {
            return Verdict.refuse("is an arena cut short to " + size + " bytes, inside its " + HEADER_SIZE
                    + "-byte header");
        }
        int version = header.getInt(H_VERSION);
        byte[] recorded = new byte[launch.length];
        header.get(H_LAUNCH, recorded);
        if (!MessageDigest.isEqual(recorded, launch)) {
            // A dock restart: the partition starts empty by contract, whatever the old arena's version.
            return Verdict.REPLACE;
        }
        if (version > FORMAT_VERSION) {
            return Verdict.refuse("is in arena format " + version + ", newer than the format " + FORMAT_VERSION
                    + " this build reads; a bundle of a newer build wrote it during this framework launch, and "
                    + "replacing it would lose what a hot-replace must keep");
        }
        if (version < 1) {
            return Verdict.refuse("names arena format " + version + ", which no build wrote (its header is damaged)");
        }
        if (size < HEADER_SIZE) {
            return Verdict.refuse("is an arena cut short to " + size + " bytes, inside its " + HEADER_SIZE
                    + "-byte header");
        }
        if (size > MAX_ARENA_BYTES) {
            return Verdict.refuse("is " + size + " bytes, more than the " + MAX_ARENA_BYTES
                    + " bytes of the largest arena");
        }
        long next = header.getLong(H_NEXT_REVISION);
        long committed = header.getLong(H_COMMITTED_REVISION);
        long floor = header.getLong(H_FLOOR_REVISION);
        long recordedTop = header.getLong(H_TOP);
        if (!(next > 0 && committed >= 0 && committed < next && floor >= 0 && floor <= next
                && recordedTop >= HEADER_SIZE && (recordedTop & 7) == 0)) {
            return Verdict.refuse("has a damaged header (next revision " + next + ", committed " + committed
                    + ", floor " + floor + ", top " + recordedTop + ")");
        }
        return Verdict.REUSE;
    }

    /**
     * Replaces whatever {@code path} holds by a fresh, empty arena of this launch: the explicit format
     * of a refused arena.
     *
     * @throws DatastoreException if the file cannot be written
     */
    static void replace(Path path, String launchId) {
        try {
            format(path, ArenaFormat.sha256(launchId)).close();
        } catch (IOException e) {
            throw new DatastoreException("cannot format the ephemeral arena " + path + ": " + e.getMessage(),
                    Partitions.EPHEMERAL, null, e);
        }
    }

    /** Writes a fresh arena to a new file and renames it over {@code path}. */
    private static FileChannel format(Path path, byte[] launch) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Path fresh = Files.createTempFile(parent, path.getFileName().toString(), ".new");
        try {
            try (FileChannel file = FileChannel.open(fresh, StandardOpenOption.WRITE)) {
                ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                header.putLong(H_MAGIC, ARENA_MAGIC);
                header.putInt(H_VERSION, FORMAT_VERSION);
                header.put(H_LAUNCH, launch);
                header.putLong(H_NEXT_REVISION, 1);
                header.putLong(H_COMMITTED_REVISION, 0);
                header.putLong(H_FLOOR_REVISION, 0);
                header.putLong(H_TOP, HEADER_SIZE);
                while (header.hasRemaining()) {
                    file.write(header, header.position());
                }
            }
            Files.move(fresh, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(fresh);
        }
        return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** The identity of a file, to tell the same file from one renamed over its path. */
    static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }
}
