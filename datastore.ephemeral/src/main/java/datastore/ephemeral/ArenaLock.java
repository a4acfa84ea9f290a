package datastore.ephemeral;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Exclusive ownership of an arena file by one partition instance: an OS lock on a sidecar file
 * ({@code <arena>.lock}), taken before the arena is opened or inspected and held until it is closed.
 * Only the owner reads the arena's index from the file and writes to it, so two instances of the
 * bundle (another version installed beside the running one, or a second dock configured with the same
 * path) never write one arena. The lock table of the JVM is shared by every class loader, so an
 * instance of another bundle version in the same framework sees the lock as taken
 * ({@link OverlappingFileLockException}), and so does another process. The sidecar, unlike the arena,
 * is never replaced, so the lock survives a {@link Arena#replace} of the arena file.
 *
 * <p>Across processes the lock is the operating system's record lock, which POSIX drops when the
 * owning process closes any descriptor of the file; an instance that finds the lock taken within the
 * same JVM closes its own channel, so that case relies on the JVM's lock table alone. That covers the
 * case this lock is for (two bundle instances in one framework); two processes sharing one arena
 * need an explicit, shared {@code path}, which nothing configures by default.
 */
final class ArenaLock implements AutoCloseable {

    private static final FileAttribute<?>[] OWNER_ONLY = FileSystems.getDefault().supportedFileAttributeViews()
            .contains("posix") ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                    : new FileAttribute<?>[0];

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private ArenaLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** The sidecar lock file of an arena file. */
    static Path lockFile(Path arena) {
        return arena.resolveSibling(arena.getFileName() + ".lock");
    }

    /**
     * Takes the arena's lock if no one holds it.
     *
     * @return the lock, or empty when another instance (in this JVM or another process) owns the arena
     * @throws IOException if the lock file cannot be created or locked for another reason
     */
    static Optional<ArenaLock> tryAcquire(Path arena) throws IOException {
        Path file = lockFile(arena);
        FileChannel channel = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                OWNER_ONLY);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException heldInThisJvm) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            return Optional.empty();
        }
        return Optional.of(new ArenaLock(file, channel, lock));
    }

    Path file() {
        return file;
    }

    /** Releases the lock; the lock file stays, for the next owner. */
    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException | RuntimeException ignored) {
            // Closing the channel releases it anyway.
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing left to release.
        }
    }
}
