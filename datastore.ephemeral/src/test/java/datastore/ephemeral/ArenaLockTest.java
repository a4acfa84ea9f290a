package datastore.ephemeral;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.Namespace;
import datastore.spi.Change;

/**
 * One owner per arena: a second instance in the same JVM (a bundle of another version, whose classes
 * are not this one's) cannot take the lock while the first holds it, and can once it is released;
 * the lock outlives a replacement of the arena file.
 */
public class ArenaLockTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void aSecondOwnerIsRefusedUntilTheFirstReleases() throws Exception {
        Path arena = folder.getRoot().toPath().resolve("ephemeral.arena");
        Optional<ArenaLock> first = ArenaLock.tryAcquire(arena);
        assertTrue(first.isPresent());
        assertFalse("a second instance must not own the arena too", ArenaLock.tryAcquire(arena).isPresent());
        // Still held after the failed attempt closed its own channel.
        assertFalse(ArenaLock.tryAcquire(arena).isPresent());
        first.get().close();
        Optional<ArenaLock> second = ArenaLock.tryAcquire(arena);
        assertTrue("free once released", second.isPresent());
        second.get().close();
    }

    @Test
    public void theLockFileIsTheOwnersAlone() throws Exception {
        Path arena = folder.getRoot().toPath().resolve("ephemeral.arena");
        try (ArenaLock lock = ArenaLock.tryAcquire(arena).orElseThrow()) {
            assertEquals(arena.resolveSibling("ephemeral.arena.lock"), lock.file());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lock.file())));
        }
    }

    @Test
    public void theLockHoldsAcrossAReplacementOfTheArenaFile() throws Exception {
        Path file = folder.getRoot().toPath().resolve("ephemeral.arena");
        try (ArenaLock lock = ArenaLock.tryAcquire(file).orElseThrow()) {
            Arena arena = new Arena(file, 1 << 20, "launch-1");
            arena.apply(List.of(Change.put(Namespace.KV, "k", 0, ByteBuffer.wrap(new byte[] {1}))));
            arena.close();
            Arena.replace(file, "launch-1");
            assertFalse(ArenaLock.tryAcquire(file).isPresent());
        }
    }
}
