package datastore.ephemeral;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HexFormat;
import java.util.List;

/**
 * Where the arena file lives. An explicit path is taken as configured (its directory is created if
 * missing); the automatic choice prefers tmpfs ({@code /dev/shm}) over {@code java.io.tmpdir}, keeps a
 * file that already exists (so that a bundle update finds the arena it left, whatever the free space
 * now) and otherwise takes the first directory with room for the arena's typical size, so that a small
 * {@code /dev/shm} (64 MiB in a default container) never breaks the capacity promise halfway. The file
 * name carries a hash of the framework storage location: two docks on one machine never share an arena.
 */
final class ArenaLocation {
    static final Path SHARED_MEMORY = Paths.get("/dev/shm");

    private ArenaLocation() {
    }

    /**
     * @param configured the configured path; empty or null for the automatic choice
     * @param storage the framework storage location, which identifies the dock on this machine
     * @param capacity the partition's capacity, to estimate the room the arena needs
     * @throws IllegalArgumentException if the path cannot hold the arena, with the reason
     */
    static Path resolve(String configured, String storage, long capacity) {
        if (configured != null && !configured.isBlank()) {
            return explicit(configured.trim());
        }
        return automatic(List.of(SHARED_MEMORY, Paths.get(System.getProperty("java.io.tmpdir"))),
                fileName(storage), Arena.typicalSize(capacity));
    }

    static String fileName(String storage) {
        String identity = Paths.get(storage == null ? "" : storage).toAbsolutePath().normalize().toString();
        return "datastore-ephemeral-" + HexFormat.of().formatHex(Arena.sha256(identity), 0, 8) + ".arena";
    }

    static Path explicit(String configured) {
        Path file;
        try {
            file = Paths.get(configured).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("invalid configuration of " + EphemeralPartition.PID + ": path \""
                    + configured + "\" is not a file path: " + e.getMessage(), e);
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("invalid configuration of " + EphemeralPartition.PID + ": path "
                    + file + " is a directory; name the arena file itself");
        }
        Path directory = file.getParent();
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid configuration of " + EphemeralPartition.PID
                    + ": cannot create the directory of the arena file " + file + ": " + e, e);
        }
        boolean writable = Files.exists(file) ? Files.isRegularFile(file) && Files.isWritable(file)
                : Files.isWritable(directory);
        if (!writable) {
            throw new IllegalArgumentException("invalid configuration of " + EphemeralPartition.PID + ": the arena file "
                    + file + " is not writable");
        }
        return file;
    }

    static Path automatic(List<Path> directories, String fileName, long needed) {
        for (Path directory : directories) {
            Path file = directory.resolve(fileName);
            if (Files.isRegularFile(file) && Files.isWritable(file)) {
                return file;
            }
        }
        StringBuilder refused = new StringBuilder();
        for (Path directory : directories) {
            if (!Files.isDirectory(directory) || !Files.isWritable(directory)) {
                refused.append(' ').append(directory).append(" (missing or not writable)");
                continue;
            }
            long usable;
            try {
                usable = Files.getFileStore(directory).getUsableSpace();
            } catch (IOException e) {
                refused.append(' ').append(directory).append(" (").append(e.getMessage()).append(')');
                continue;
            }
            if (usable >= needed) {
                return directory.resolve(fileName);
            }
            refused.append(' ').append(directory).append(" (").append(usable).append(" bytes free)");
        }
        throw new IllegalArgumentException("no directory can hold the ephemeral arena of about " + needed
                + " bytes:" + refused + "; configure " + EphemeralPartition.PID + " path or a smaller capacity");
    }
}
