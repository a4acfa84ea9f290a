package datastore.ephemeral;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Where the arena file lives. An explicit path is taken as configured (its directory is created if
 * missing); the automatic choice prefers tmpfs ({@code /dev/shm}) over {@code java.io.tmpdir}, keeps an
 * arena that already exists (so that a bundle update finds the arena it left, whatever the free space
 * now) and otherwise takes the first directory with room for the arena's typical size, so that a small
 * {@code /dev/shm} (64 MiB in a default container) never breaks the capacity promise halfway.
 *
 * <p>The automatic arena lives in a folder of its own, {@code datastore-ephemeral-<hash>} with the
 * hash of the user and the framework storage location (two docks never share an arena), which must
 * be a real folder owned by this user with mode 0700: another user of the machine can neither read
 * the arena nor hand the dock a file or link of theirs. A folder of that name that fails the check
 * (someone created it first) is reported and never followed; the arena then goes to a folder of an
 * unpredictable name, created privately, which the bundle remembers in its data area so that an
 * update of the bundle finds it again.
 */
final class ArenaLocation {
    static final Path SHARED_MEMORY = Paths.get("/dev/shm");
    static final String ARENA_FILE = "ephemeral.arena";

    private static final System.Logger LOG = System.getLogger(ArenaLocation.class.getName());
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private ArenaLocation() {
    }

    /**
     * @param configured the configured path; empty or null for the automatic choice
     * @param storage the framework storage location, which identifies the dock on this machine
     * @param capacity the partition's capacity, to estimate the room the arena needs
     * @param memo where the bundle remembers an arena folder of unpredictable name; null for none
     * @throws IllegalArgumentException if the path cannot hold the arena, with the reason
     */
    static Path resolve(String configured, String storage, long capacity, Path memo) {
        if (configured != null && !configured.isBlank()) {
            return explicit(configured.trim());
        }
        return automatic(List.of(SHARED_MEMORY, Paths.get(System.getProperty("java.io.tmpdir"))),
                folderName(storage), ArenaFormat.typicalSize(capacity), memo);
    }

    /** The name of the automatic arena's folder: this user's and this framework storage's. */
    static String folderName(String storage) {
        String identity = System.getProperty("user.name", "") + "\n"
                + Paths.get(storage == null ? "" : storage).toAbsolutePath().normalize();
        return "datastore-ephemeral-" + HexFormat.of().formatHex(ArenaFormat.sha256(identity), 0, 8);
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

    static Path automatic(List<Path> directories, String folderName, long needed, Path memo) {
        Path remembered = remembered(memo);
        if (remembered != null) {
            return remembered.resolve(ARENA_FILE);
        }
        for (Path directory : directories) {
            Path folder = directory.resolve(folderName);
            if (Files.isRegularFile(folder.resolve(ARENA_FILE), LinkOption.NOFOLLOW_LINKS)
                    && squatted(folder) == null) {
                return folder.resolve(ARENA_FILE);
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
            if (usable < needed) {
                refused.append(' ').append(directory).append(" (").append(usable).append(" bytes free)");
                continue;
            }
            return privateFolder(directory, folderName, memo).resolve(ARENA_FILE);
        }
        throw new IllegalArgumentException("no directory can hold the ephemeral arena of about " + needed
                + " bytes:" + refused + "; configure " + EphemeralPartition.PID + " path or a smaller capacity");
    }

    /**
     * The arena's folder in {@code directory}: the one of the predictable name, created 0700 if
     * missing, or, if someone else holds that name, a new folder of unpredictable name, remembered.
     */
    private static Path privateFolder(Path directory, String folderName, Path memo) {
        Path folder = directory.resolve(folderName);
        try {
            Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException exists) {
            // Ours from an earlier start, or someone else's: checked below, never trusted by name.
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create the ephemeral arena folder " + folder + ": " + e, e);
        }
        String squat = squatted(folder);
        if (squat == null) {
            return folder;
        }
        LOG.log(System.Logger.Level.WARNING, "the ephemeral arena folder " + folder + " is not this dock's: " + squat
                + " (another user may have created it first); it is not used, and the arena goes to a private folder "
                + "of unpredictable name instead");
        removeStale(directory, folderName);
        try {
            Path fresh = Files.createTempDirectory(directory, folderName + "-",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            if (memo != null) {
                Files.createDirectories(memo.toAbsolutePath().getParent());
                Files.writeString(memo, fresh.toString());
            }
            return fresh;
        } catch (IOException e) {
            throw new IllegalArgumentException("the ephemeral arena folder " + folder + " is not this dock's (" + squat
                    + ") and no private folder could be made beside it: " + e, e);
        }
    }

    /**
     * Removes the private folders of unpredictable name that earlier launches of this dock made (a
     * restart forgets them with the framework's cache), so that a squatted name does not leak an
     * arena's worth of shared memory at every start. Only this user's private folders are touched,
     * and never one whose arena another instance owns ({@link ArenaLock}).
     */
    private static void removeStale(Path directory, String folderName) {
        try (java.nio.file.DirectoryStream<Path> stale = Files.newDirectoryStream(directory, folderName + "-*")) {
            for (Path folder : stale) {
                if (squatted(folder) != null) {
                    continue;
                }
                // A folder whose arena is owned is not stale: another instance of the partition in this
                // launch (a bundle of another version, which has no memo) is using it.
                java.util.Optional<ArenaLock> lock = ArenaLock.tryAcquire(folder.resolve(ARENA_FILE));
                if (lock.isEmpty()) {
                    continue;
                }
                try (ArenaLock unused = lock.get();
                        java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
                    for (Path file : files) {
                        Files.deleteIfExists(file);
                    }
                }
                Files.deleteIfExists(folder);
                LOG.log(System.Logger.Level.INFO, "removed the ephemeral arena folder " + folder + " of an earlier start");
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not remove earlier ephemeral arena folders in " + directory + ": " + e);
        }
    }

    /** The folder a memo names, if it is still this user's private folder. */
    private static Path remembered(Path memo) {
        if (memo == null || !Files.isRegularFile(memo)) {
            return null;
        }
        try {
            Path folder = Paths.get(Files.readString(memo).strip());
            String squat = squatted(folder);
            if (squat == null) {
                return folder;
            }
            LOG.log(System.Logger.Level.WARNING, "the remembered ephemeral arena folder " + folder + " is not usable: "
                    + squat);
        } catch (IOException | InvalidPathException e) {
            LOG.log(System.Logger.Level.WARNING, "the remembered ephemeral arena folder cannot be read: " + e);
        }
        return null;
    }

    /**
     * Why {@code folder} is not this user's private folder, or null if it is: it must be a folder
     * (not a link to one), owned by this user, with mode 0700. Where the file system has no POSIX
     * permissions, only its being a real folder is checked.
     */
    static String squatted(Path folder) {
        try {
            if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                return Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS) ? null : "not a folder";
            }
            PosixFileAttributes attributes = Files.readAttributes(folder, PosixFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (attributes.isSymbolicLink()) {
                return "a symbolic link";
            }
            if (!attributes.isDirectory()) {
                return "not a folder";
            }
            UserPrincipal me = FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
            if (!attributes.owner().equals(me)) {
                return "owned by " + attributes.owner().getName() + ", not " + me.getName();
            }
            if (!attributes.permissions().equals(OWNER_ONLY)) {
                return "mode " + PosixFilePermissions.toString(attributes.permissions()) + ", not rwx------";
            }
            return null;
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }
}
