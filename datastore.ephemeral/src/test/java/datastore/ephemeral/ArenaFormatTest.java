package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.bytes;
import static datastore.ephemeral.ArenaFixture.get;
import static datastore.ephemeral.ArenaFixture.put;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.Namespace;
import datastore.Partitions;

/**
 * Arena format versions: every committed golden fixture stays readable; a file that is not an arena,
 * an arena of a newer format written during this launch, or a damaged header of this launch is refused
 * and left byte for byte as it was; {@link Arena#replace} formats it on request.
 */
public class ArenaFormatTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path file;

    @Before
    public void paths() {
        file = folder.getRoot().toPath().resolve("dock.arena");
    }

    @Test
    public void theFormat1FixtureOpensWithEveryEntry() throws IOException {
        copyFixture("arena-format-1.arena");
        assertEquals("the fixture is format 1", 1, headerInt(ArenaFormat.H_VERSION));
        try (Arena arena = new Arena(file, GoldenArena.CAPACITY, GoldenArena.LAUNCH)) {
            long payload = 0;
            for (Map.Entry<Namespace, Map<String, byte[]>> namespace : GoldenArena.entries().entrySet()) {
                assertEquals(namespace.getKey().toString(), new ArrayList<>(namespace.getValue().keySet()).stream()
                        .sorted().toList(), arena.names(namespace.getKey()).stream().sorted().toList());
                for (Map.Entry<String, byte[]> entry : namespace.getValue().entrySet()) {
                    assertArrayEquals(namespace.getKey() + " " + entry.getKey(), entry.getValue(),
                            get(arena, namespace.getKey(), entry.getKey()));
                    payload += bytes(entry.getKey()).length + entry.getValue().length;
                }
            }
            assertNull("removed before the fixture was closed", get(arena, Namespace.KV, "removed"));
            assertEquals(payload, arena.usage().used());
            // And it takes writes on top, as after a hot-replace.
            put(arena, Namespace.KV, "after", bytes("fixture"));
            assertArrayEquals(bytes("fixture"), get(arena, Namespace.KV, "after"));
        }
    }

    @Test
    public void aNewerFormatOfThisLaunchIsRefusedAndLeftUntouched() throws IOException {
        try (Arena arena = new Arena(file, 1 << 20, "launch")) {
            put(arena, Namespace.KV, "kept", bytes("by the newer bundle"));
        }
        writeHeaderInt(ArenaFormat.H_VERSION, ArenaFormat.FORMAT_VERSION + 1);
        byte[] before = Files.readAllBytes(file);
        ArenaRefusedException refused = assertThrows(ArenaRefusedException.class, () -> new Arena(file, 1 << 20, "launch"));
        assertMessage(refused.getMessage(), file.toString(), "arena format 2, newer than the format 1 this build reads",
                "left as it is", "format the ephemeral partition");
        assertEquals(Partitions.EPHEMERAL, refused.partition().orElseThrow());
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    public void anArenaOfAnotherLaunchStartsEmptyWhateverItsFormat() throws IOException {
        try (Arena arena = new Arena(file, 1 << 20, "earlier launch")) {
            put(arena, Namespace.KV, "k", bytes("v"));
        }
        writeHeaderInt(ArenaFormat.H_VERSION, ArenaFormat.FORMAT_VERSION + 5);
        try (Arena arena = new Arena(file, 1 << 20, "this launch")) {
            assertEquals("a dock restart empties the partition by contract", 0, arena.usage().used());
        }
        assertEquals(ArenaFormat.FORMAT_VERSION, headerInt(ArenaFormat.H_VERSION));
    }

    @Test
    public void aFileThatIsNotAnArenaIsRefusedAndLeftUntouchedForAnyLaunch() throws IOException {
        byte[] foreign = new byte[200_000];
        new Random(3).nextBytes(foreign);
        System.arraycopy(bytes("%PDF-1.7 someone's document"), 0, foreign, 0, 27);
        Files.write(file, foreign);
        for (String launch : List.of("launch", "another launch")) {
            ArenaRefusedException refused = assertThrows(ArenaRefusedException.class, () -> new Arena(file, 1 << 20, launch));
            assertMessage(refused.getMessage(), "(200000 bytes) is not an arena of this store",
                    "does not start with the magic DARAEPH1", "it starts with 255044462d312e37");
            assertArrayEquals(foreign, Files.readAllBytes(file));
        }
        Files.write(file, new byte[] {1, 2, 3});
        assertMessage(assertThrows(ArenaRefusedException.class, () -> new Arena(file, 1 << 20, "launch")).getMessage(),
                "(3 bytes) is not an arena", "starts with 010203");
    }

    @Test
    public void aDamagedOrCutHeaderOfThisLaunchIsRefusedAndLeftUntouched() throws IOException {
        try (Arena arena = new Arena(file, 1 << 20, "launch")) {
            put(arena, Namespace.KV, "k", bytes("v"));
        }
        writeHeaderLong(ArenaFormat.H_COMMITTED_REVISION, -5);
        byte[] before = Files.readAllBytes(file);
        assertMessage(assertThrows(ArenaRefusedException.class, () -> new Arena(file, 1 << 20, "launch")).getMessage(),
                "has a damaged header", "committed -5");
        assertArrayEquals(before, Files.readAllBytes(file));

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(1000);
        }
        assertMessage(assertThrows(ArenaRefusedException.class, () -> new Arena(file, 1 << 20, "launch")).getMessage(),
                "cut short to 1000 bytes");
        assertEquals(1000, Files.size(file));
    }

    @Test
    public void anEmptyFileBecomesAFreshArena() throws IOException {
        Files.write(file, new byte[0]);
        try (Arena arena = new Arena(file, 1 << 20, "launch")) {
            put(arena, Namespace.KV, "k", bytes("v"));
        }
        try (Arena arena = new Arena(file, 1 << 20, "launch")) {
            assertArrayEquals(bytes("v"), get(arena, Namespace.KV, "k"));
        }
    }

    @Test
    public void replaceFormatsARefusedFile() throws IOException {
        Files.write(file, bytes("not an arena at all"));
        assertThrows(ArenaRefusedException.class, () -> new Arena(file, 1 << 20, "launch"));
        Arena.replace(file, "launch");
        try (Arena arena = new Arena(file, 1 << 20, "launch")) {
            assertEquals(0, arena.usage().used());
            put(arena, Namespace.KV, "k", bytes("v"));
            assertArrayEquals(bytes("v"), get(arena, Namespace.KV, "k"));
        }
        assertTrue(Files.size(file) >= ArenaFormat.HEADER_SIZE);
    }

    private void copyFixture(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream(name)) {
            assertTrue("fixture " + name + " is on the test class path", in != null);
            Files.copy(in, file);
        }
    }

    private int headerInt(int offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(value, offset);
            return value.getInt(0);
        }
    }

    private void writeHeaderInt(int offset, int value) throws IOException {
        write(offset, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
    }

    private void writeHeaderLong(int offset, long value) throws IOException {
        write(offset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    private void write(long position, ByteBuffer bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(bytes, position);
        }
    }

    private static void assertMessage(String message, String... parts) {
        for (String part : parts) {
            assertTrue("\"" + message + "\" should contain \"" + part + "\"", message.contains(part));
        }
    }
}
