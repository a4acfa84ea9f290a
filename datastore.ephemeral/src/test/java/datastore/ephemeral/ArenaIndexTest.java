package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.bytes;
import static datastore.ephemeral.ArenaFixture.get;
import static datastore.ephemeral.ArenaFixture.put;
import static datastore.ephemeral.ArenaFixture.remove;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.Namespace;
import datastore.spi.Change;

/**
 * The compact index: names found through hash tags and the arena's bytes, across table rebuilds,
 * removals, non-ASCII names and a remount; and the presence check it answers.
 */
public class ArenaIndexTest {
    private static final long CAPACITY = 64L << 20;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    /** Names of every UTF-8 length: ASCII, two-byte, three-byte and four-byte (surrogate pair) characters. */
    private static String name(int i) {
        switch (i % 4) {
            case 0:
                return "key-" + i;
            case 1:
                return "café-" + i;
            case 2:
                return "名前-" + i;
            default:
                return "\uD83D\uDE00-" + i;
        }
    }

    private static void putAll(Arena arena, int from, int to, String tag) {
        List<Change> batch = new ArrayList<>();
        for (int i = from; i < to; i++) {
            batch.add(Change.put(Namespace.KV, name(i), 0, ByteBuffer.wrap(bytes(tag + i))));
            if (batch.size() == 500) {
                arena.apply(batch);
                batch = new ArrayList<>();
            }
        }
        arena.apply(batch);
    }

    @Test
    public void namesSurviveRebuildsRemovalsAndARemount() throws Exception {
        Path file = folder.getRoot().toPath().resolve("index.arena");
        int count = 8000;
        TreeSet<String> expected = new TreeSet<>();
        try (Arena arena = new Arena(file, CAPACITY, "launch")) {
            putAll(arena, 0, count, "v"); // the table grows from 64 buckets through many rebuilds
            for (int i = 0; i < count; i += 3) {
                remove(arena, Namespace.KV, name(i));
            }
            putAll(arena, 0, count / 2, "w"); // re-adds the removed ones in the lower half, over removed buckets
            for (int i = 0; i < count; i++) {
                boolean present = i < count / 2 || i % 3 != 0;
                if (present) {
                    expected.add(name(i));
                }
            }
            check(arena, count, expected);
            assertNull("a name in another namespace is another name", get(arena, Namespace.IMAGE, name(1)));
        }
        try (Arena remounted = new Arena(file, CAPACITY, "launch")) {
            check(remounted, count, expected);
        }
    }

    private static void check(Arena arena, int count, TreeSet<String> expected) {
        int ruledOut = 0;
        for (int i = 0; i < count; i++) {
            String name = name(i);
            if (expected.contains(name)) {
                assertArrayEquals(name, bytes((i < count / 2 ? "w" : "v") + i), get(arena, Namespace.KV, name));
                assertTrue(name + " is held but ruled out", arena.mayContain(Namespace.KV, name));
            } else {
                assertNull(name, get(arena, Namespace.KV, name));
                if (!arena.mayContain(Namespace.KV, name)) {
                    ruledOut++;
                }
            }
        }
        int absent = count - expected.size();
        assertTrue(ruledOut + " of " + absent + " absent names ruled out", ruledOut >= absent * 99 / 100);
        assertEquals(new ArrayList<>(expected), arena.names(Namespace.KV));
        assertEquals(expected.size(), (int) arena.usage().entries().get(Namespace.KV));
    }

    @Test
    public void writesReplacesRemovesAndAClearKeepThePresenceCheckCurrent() throws Exception {
        try (Arena arena = new Arena(folder.getRoot().toPath().resolve("presence.arena"), CAPACITY, "launch")) {
            assertFalse(arena.mayContain(Namespace.KV, "a"));
            put(arena, Namespace.KV, "a", bytes("1"));
            assertTrue(arena.mayContain(Namespace.KV, "a"));
            assertFalse("per namespace", arena.mayContain(Namespace.IMAGE, "a"));
            put(arena, Namespace.KV, "a", bytes("2"));
            assertTrue(arena.mayContain(Namespace.KV, "a"));
            remove(arena, Namespace.KV, "a");
            assertFalse(arena.mayContain(Namespace.KV, "a"));
            put(arena, Namespace.KV, "b", bytes("3"));
            arena.clear();
            assertFalse(arena.mayContain(Namespace.KV, "b"));
            put(arena, Namespace.KV, "b", bytes("4"));
            assertTrue(arena.mayContain(Namespace.KV, "b"));
        }
    }

    @Test(timeout = 30_000)
    public void aNameWhoseWriteReturnedIsNeverRuledOutWhileWritersRun() throws Exception {
        try (Arena arena = new Arena(folder.getRoot().toPath().resolve("race.arena"), 1L << 20, "launch")) {
            int writes = 3000;
            AtomicInteger written = new AtomicInteger(-1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < writes; i++) {
                        // Each write adds one name and replaces a churned one, so the table rebuilds and compacts.
                        arena.apply(List.of(Change.put(Namespace.KV, name(i), 0, ByteBuffer.wrap(bytes("v" + i))),
                                Change.put(Namespace.KV, "churn", 0, ByteBuffer.wrap(new byte[4096]))));
                        written.set(i);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            writer.start();
            int checks = 0;
            while (writer.isAlive()) {
                int last = written.get();
                for (int i = Math.max(0, last - 50); i <= last; i++) {
                    assertTrue(name(i) + " was written but is ruled out", arena.mayContain(Namespace.KV, name(i)));
                    checks++;
                }
            }
            writer.join();
            if (failure.get() != null) {
                throw new AssertionError("the writer failed", failure.get());
            }
            assertTrue(checks > 0);
            assertTrue(arena.compactions() > 0);
            for (int i = 0; i < writes; i++) {
                assertTrue(arena.mayContain(Namespace.KV, name(i)));
            }
        }
    }

    @Test
    public void aNameDamagedBeforeItsFirstReadIsReportedNotAnsweredAbsent() throws Exception {
        Path file = folder.getRoot().toPath().resolve("damaged-name.arena");
        try (Arena arena = new Arena(file, CAPACITY, "launch")) {
            put(arena, Namespace.KV, "before", bytes("1"));
            put(arena, Namespace.KV, "victim-name", bytes("2"));
            put(arena, Namespace.KV, "after", bytes("3"));
            // Another process scribbles on the victim's name in the shared file before any read of it.
            byte[] all = java.nio.file.Files.readAllBytes(file);
            byte[] victim = bytes("victim-name");
            int at = -1;
            for (int i = 0; at < 0 && i <= all.length - victim.length; i++) {
                if (java.util.Arrays.equals(all, i, i + victim.length, victim, 0, victim.length)) {
                    at = i;
                }
            }
            assertTrue(at > 0);
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(bytes("W")), at);
            }
            // The index still holds the record under the name's hash: the lookup finds other bytes there,
            // checks the record, and reports it instead of answering absent (a lower partition would answer).
            assertTrue(arena.mayContain(Namespace.KV, "victim-name"));
            datastore.CorruptedEntryException damaged = org.junit.Assert.assertThrows(
                    datastore.CorruptedEntryException.class, () -> arena.open(Namespace.KV, "victim-name"));
            assertEquals("victim-name", damaged.name().orElseThrow());
            org.junit.Assert.assertThrows(datastore.CorruptedEntryException.class,
                    () -> arena.read(Namespace.KV, "victim-name", ArenaFixture::copy));
            assertArrayEquals(bytes("1"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(bytes("3"), get(arena, Namespace.KV, "after"));
            // Writing the name again replaces the damaged record, which leaves the index.
            put(arena, Namespace.KV, "victim-name", bytes("4"));
            assertArrayEquals(bytes("4"), get(arena, Namespace.KV, "victim-name"));
            assertEquals(List.of("after", "before", "victim-name"), arena.names(Namespace.KV));
            assertEquals(3, (int) arena.usage().entries().get(Namespace.KV));
            assertEquals(("before1after3victim-name4").length(), arena.usage().used());
        }
    }

    @Test
    public void aSmallReadHitAllocatesOnlyWhatTheDecoderReturns() throws Exception {
        try (Arena arena = new Arena(folder.getRoot().toPath().resolve("hit.arena"), CAPACITY, "launch")) {
            putAll(arena, 0, 1000, "v");
            byte[] value = new byte[100];
            java.util.Arrays.fill(value, (byte) 'x');
            put(arena, Namespace.KV, "hit", value);
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            // The decoder returns a constant, so that whatever is allocated is the read's own.
            java.util.function.Function<ByteBuffer, Boolean> decoder =
                    data -> data.remaining() == 100 && data.get(99) == 'x' ? Boolean.TRUE : Boolean.FALSE;
            int calls = 200_000;
            int hits = 0;
            for (int i = 0; i < calls; i++) { // warm up; the first read verifies the record through a pin
                hits += arena.read(Namespace.KV, "hit", decoder).orElseThrow() ? 1 : 0;
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) {
                hits += arena.read(Namespace.KV, "hit", decoder).orElseThrow() ? 1 : 0;
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(2 * calls, hits);
            // The SPI returns an Optional: its 16 bytes a hit are the returned value's, and all there is
            // (a private copy of the 100 bytes and a buffer around it took about 170 bytes more).
            assertTrue(allocated + " bytes for " + calls + " hits", allocated <= 16L * calls + calls / 10);
            // A decoder that reads again gets a buffer of its own, not the one it is decoding.
            assertArrayEquals(value, arena.read(Namespace.KV, "hit", outer -> {
                byte[] inner = arena.read(Namespace.KV, name(1), ArenaFixture::copy).orElseThrow();
                assertArrayEquals(bytes("v1"), inner);
                return ArenaFixture.copy(outer);
            }).orElseThrow());
        }
    }

    @Test
    public void aMissAllocatesNothing() throws Exception {
        try (Arena arena = new Arena(folder.getRoot().toPath().resolve("miss.arena"), CAPACITY, "launch")) {
            putAll(arena, 0, 1000, "v");
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            String absent = "absent-name";
            int calls = 200_000;
            boolean any = false;
            for (int i = 0; i < calls; i++) { // warm up
                any |= arena.mayContain(Namespace.KV, absent);
                any |= arena.read(Namespace.KV, absent, ByteBuffer::remaining).isPresent();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) {
                any |= arena.mayContain(Namespace.KV, absent);
                any |= arena.read(Namespace.KV, absent, ByteBuffer::remaining).isPresent();
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertFalse(any);
            assertTrue(allocated + " bytes for " + calls + " misses", allocated < calls);
        }
    }
}
