package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.bytes;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.DatastoreException;
import datastore.Namespace;
import datastore.Partitions;
import datastore.spi.Change;
import datastore.spi.EntryView;

/** The component shell: configuration checks, arena location, delegation and deactivation. */
public class EphemeralPartitionTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    static EphemeralConfiguration config(long capacity, String path) {
        return new EphemeralConfiguration() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return EphemeralConfiguration.class;
            }

            @Override
            public long capacity() {
                return capacity;
            }

            @Override
            public String path() {
                return path;
            }
        };
    }

    @Test
    public void servesThePartitionAndKeepsItAcrossAnUpdate() {
        String path = folder.getRoot().toPath().resolve("dock.arena").toString();
        EphemeralPartition partition = new EphemeralPartition(
                EphemeralPartition.openArena(config(1 << 20, path), "/dock/storage", "uuid-1", null));
        assertEquals(Partitions.EPHEMERAL, partition.name());
        assertFalse(partition.readOnly());
        assertFalse("an absent name is ruled out, so the store skips the partition",
                partition.mayContain(Namespace.KV, "k"));
        partition.apply(List.of(Change.put(Namespace.KV, "k", 0, ByteBuffer.wrap(bytes("v")))));
        assertTrue(partition.mayContain(Namespace.KV, "k"));
        assertEquals(List.of("k"), partition.names(Namespace.KV));
        assertEquals(2, partition.usage().used());
        assertEquals(1 << 20, partition.usage().capacity());
        partition.deactivate();
        assertThrows(DatastoreException.class, () -> partition.names(Namespace.KV));

        EphemeralPartition updated = new EphemeralPartition(
                EphemeralPartition.openArena(config(1 << 20, path), "/dock/storage", "uuid-1", null));
        try (EntryView view = updated.open(Namespace.KV, "k").orElseThrow()) {
            assertArrayEquals(bytes("v"), ArenaFixture.copy(view.data()));
        }
        assertTrue("the index rebuilt at an update answers too", updated.mayContain(Namespace.KV, "k"));
        updated.clear();
        assertFalse(updated.mayContain(Namespace.KV, "k"));
        assertEquals(List.of(), updated.names(Namespace.KV));
        updated.deactivate();
    }

    @Test
    public void invalidCapacityFailsActivationClearly() {
        String path = folder.getRoot().toPath().resolve("dock.arena").toString();
        for (long capacity : new long[] {0, -1, Arena.MAX_CAPACITY + 1}) {
            IllegalArgumentException invalid = assertThrows(IllegalArgumentException.class,
                    () -> EphemeralPartition.openArena(config(capacity, path), "/s", "uuid", null));
            assertTrue(invalid.getMessage(), invalid.getMessage().contains("capacity"));
            assertTrue(invalid.getMessage(), invalid.getMessage().contains(EphemeralPartition.PID));
        }
        assertFalse(Files.exists(Path.of(path)));
    }

    @Test
    public void missingLaunchIdentityFailsActivation() {
        String path = folder.getRoot().toPath().resolve("dock.arena").toString();
        assertThrows(IllegalStateException.class, () -> EphemeralPartition.openArena(config(1000, path), "/s", null, null));
    }

    @Test
    public void unusablePathsFailActivationClearly() throws IOException {
        Path directory = folder.newFolder("a-directory").toPath();
        IllegalArgumentException isDirectory = assertThrows(IllegalArgumentException.class,
                () -> EphemeralPartition.openArena(config(1000, directory.toString()), "/s", "uuid", null));
        assertTrue(isDirectory.getMessage(), isDirectory.getMessage().contains("directory"));

        Path plainFile = folder.newFile("plain").toPath();
        IllegalArgumentException underFile = assertThrows(IllegalArgumentException.class,
                () -> EphemeralPartition.openArena(config(1000, plainFile.resolve("arena").toString()), "/s", "uuid", null));
        assertTrue(underFile.getMessage(), underFile.getMessage().contains(plainFile.toString()));
    }

    @Test
    public void explicitPathCreatesItsDirectory() {
        Path nested = folder.getRoot().toPath().resolve("deep/er/dock.arena");
        assertEquals(nested, ArenaLocation.explicit(nested.toString()));
        assertTrue(Files.isDirectory(nested.getParent()));
    }

    @Test
    public void automaticLocationPrefersAnExistingArenaThenTheFirstDirectoryWithRoom() throws IOException {
        Path shm = folder.newFolder("shm").toPath();
        Path tmp = folder.newFolder("tmp").toPath();
        Path missing = folder.getRoot().toPath().resolve("missing");
        String name = ArenaLocation.folderName("/dock/storage");
        String file = ArenaLocation.ARENA_FILE;

        assertEquals(shm.resolve(name).resolve(file), ArenaLocation.automatic(List.of(missing, shm, tmp), name, 1000, null));
        assertEquals("the arena's folder is private", "rwx------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(shm.resolve(name))));
        Files.createDirectory(tmp.resolve(name), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createFile(tmp.resolve(name).resolve(file));
        assertEquals("an arena left by the previous bundle is found wherever it is",
                tmp.resolve(name).resolve(file), ArenaLocation.automatic(List.of(shm, tmp), name, 1000, null));

        IllegalArgumentException noRoom = assertThrows(IllegalArgumentException.class,
                () -> ArenaLocation.automatic(List.of(missing, shm), name, Long.MAX_VALUE, null));
        assertTrue(noRoom.getMessage(), noRoom.getMessage().contains("bytes free"));
        assertTrue(noRoom.getMessage(), noRoom.getMessage().contains("missing or not writable"));
    }

    @Test
    public void aSquattedArenaFolderIsNeverFollowedAndTheArenaGoesElsewhereRemembered() throws IOException {
        Path shm = folder.newFolder("shm").toPath();
        String name = ArenaLocation.folderName("/dock/storage");
        Path memo = folder.getRoot().toPath().resolve("bundle-data/arena-folder");
        // Another user's trap: a world-writable folder, and a link to a file of theirs.
        Path squat = Files.createDirectory(shm.resolve(name));
        Files.setPosixFilePermissions(squat, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path theirs = Files.writeString(folder.newFile("theirs").toPath(), "their data");
        Files.createSymbolicLink(squat.resolve(ArenaLocation.ARENA_FILE), theirs);
        assertEquals("mode rwxrwxrwx, not rwx------", ArenaLocation.squatted(squat));

        Path chosen = ArenaLocation.automatic(List.of(shm), name, 1000, memo);
        assertFalse(chosen.startsWith(squat));
        assertTrue(chosen.getParent().getFileName().toString().startsWith(name + "-"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(chosen.getParent())));
        assertEquals("their data", Files.readString(theirs));
        assertEquals("a bundle update finds the same folder", chosen, ArenaLocation.automatic(List.of(shm), name, 1000, memo));

        // After a restart the memo is gone with the framework's cache: the earlier folder is removed, not leaked.
        Path memoAfterRestart = folder.getRoot().toPath().resolve("bundle-data-2/arena-folder");
        Files.writeString(chosen, "the earlier launch's arena");
        Path next = ArenaLocation.automatic(List.of(shm), name, 1000, memoAfterRestart);
        assertFalse(Files.exists(chosen.getParent()));
        assertTrue(Files.isDirectory(next.getParent()));
        assertTrue(Files.isDirectory(squat));
        chosen = next;

        // An instance without the memo (a bundle of another version) while the owner runs: the owner's
        // folder is in use, not stale, and stays with its arena.
        try (ArenaLock owner = ArenaLock.tryAcquire(chosen).orElseThrow()) {
            Files.writeString(chosen, "the running owner's arena");
            Path other = ArenaLocation.automatic(List.of(shm), name, 1000, folder.getRoot().toPath().resolve("other/arena-folder"));
            assertEquals("the running owner's arena", Files.readString(chosen));
            assertFalse(other.equals(chosen));
        }

        Path link = folder.getRoot().toPath().resolve("link-to-folder");
        Files.createSymbolicLink(link, chosen.getParent());
        assertEquals("a symbolic link", ArenaLocation.squatted(link));
    }

    @Test
    public void arenaFolderNameIdentifiesTheFrameworkStorage() {
        assertEquals(ArenaLocation.folderName("/dock/a"), ArenaLocation.folderName("/dock/a/"));
        assertEquals(ArenaLocation.folderName("/dock/a"), ArenaLocation.folderName("/dock/b/../a"));
        assertNotEquals(ArenaLocation.folderName("/dock/a"), ArenaLocation.folderName("/dock/b"));
        assertTrue(ArenaLocation.folderName(null).matches("datastore-ephemeral-[0-9a-f]{16}"));
    }
}
