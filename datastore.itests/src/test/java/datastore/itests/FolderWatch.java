package datastore.itests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Waits for something a child process writes into a folder, woken by the file system each time a
 * file there is created or changed, and once when the process ends (a marker file it leaves then),
 * instead of looking again at fixed intervals.
 */
final class FolderWatch {
    private FolderWatch() {
    }

    /**
     * @param check the result once there is one, empty until then; it throws to give up (the process ended)
     * @param timedOut the message when {@code timeout} passes first
     */
    static <T> T await(Path folder, Process process, Duration timeout, Callable<Optional<T>> check,
            Supplier<String> timedOut) throws Exception {
        try (WatchService watch = folder.getFileSystem().newWatchService()) {
            folder.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            Path exited = folder.resolve("exited-" + process.pid());
            AtomicBoolean waiting = new AtomicBoolean(true);
            process.onExit().thenRun(() -> {
                synchronized (waiting) {
                    if (waiting.get()) {
                        write(exited);
                    }
                }
            });
            try {
                long deadline = System.nanoTime() + timeout.toNanos();
                while (true) {
                    Optional<T> result = check.call();
                    if (result.isPresent()) {
                        return result.get();
                    }
                    WatchKey changed = watch.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                    if (changed == null) {
                        throw new AssertionError(timedOut.get());
                    }
                    changed.pollEvents();
                    changed.reset();
                }
            } finally {
                // No marker is left behind, nor written later into a folder its owner may be deleting.
                synchronized (waiting) {
                    waiting.set(false);
                    Files.deleteIfExists(exited);
                }
            }
        }
    }

    private static void write(Path marker) {
        try {
            Files.writeString(marker, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
