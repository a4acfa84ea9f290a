package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.bytes;
import static datastore.ephemeral.ArenaFixture.copy;
import static datastore.ephemeral.ArenaFixture.filled;
import static datastore.ephemeral.ArenaFixture.get;
import static datastore.ephemeral.ArenaFixture.put;
import static datastore.ephemeral.ArenaFixture.remove;
import static datastore.ephemeral.ArenaFixture.revision;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.DatastoreException;
import datastore.InvalidNameException;
import datastore.Limits;
import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.Partitions;
import datastore.ValueTooLargeException;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

public class ArenaTest {
    static final long MIB = 1024 * 1024;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    Path file;
    Arena arena;

    @Before
    public void open() {
        file = folder.getRoot().toPath().resolve("test.arena");
        arena = new Arena(file, MIB, "launch-1");
    }

    @After
    public void close() {
        arena.close();
    }

    @Test
    public void putGetRemoveInEveryNamespace() {
        for (Namespace namespace : Namespace.values()) {
            assertNull(get(arena, namespace, "same"));
            put(arena, namespace, "same", bytes("value of " + namespace.id()));
        }
        for (Namespace namespace : Namespace.values()) {
            assertArrayEquals(bytes("value of " + namespace.id()), get(arena, namespace, "same"));
            assertEquals(List.of("same"), arena.names(namespace));
        }
        remove(arena, Namespace.KV, "same");
        assertNull(get(arena, Namespace.KV, "same"));
        assertArrayEquals(bytes("value of image"), get(arena, Namespace.IMAGE, "same"));
        PartitionUsage usage = arena.usage();
        assertEquals(Partitions.EPHEMERAL, usage.partition());
        assertEquals(MIB, usage.capacity());
        assertEquals(Map.of(Namespace.KV, 0, Namespace.IMAGE, 1, Namespace.CODE, 1, Namespace.FONT, 1),
                usage.entries());
        assertEquals(3 * (4 + "value of ".length()) + "image".length() + "code".length() + "font".length(),
                usage.used());
    }

    @Test
    public void viewIsReadOnlySliceWithFormatAndFreshDuplicates() {
        arena.apply(List.of(Change.put(Namespace.IMAGE, "logo", 2, ByteBuffer.wrap(bytes("png bytes")))));
        try (EntryView view = arena.open(Namespace.IMAGE, "logo").orElseThrow()) {
            assertEquals(2, view.format());
            assertEquals(Namespace.IMAGE, view.namespace());
            assertEquals("logo", view.name());
            ByteBuffer data = view.data();
            assertTrue(data.isReadOnly());
            assertTrue(data.isDirect());
            assertEquals(0, data.position());
            assertEquals(9, data.limit());
            data.get();
            assertEquals(0, view.data().position());
            assertThrows(ReadOnlyBufferException.class, () -> view.data().put(0, (byte) 1));
        }
    }

    @Test
    public void emptyValueAndUnicodeNames() {
        put(arena, Namespace.KV, "empty", new byte[0]);
        put(arena, Namespace.KV, "grüße-日本-\uD83D\uDE00", bytes("x"));
        assertArrayEquals(new byte[0], get(arena, Namespace.KV, "empty"));
        assertArrayEquals(bytes("x"), get(arena, Namespace.KV, "grüße-日本-\uD83D\uDE00"));
        assertEquals(5 + 0 + bytes("grüße-日本-\uD83D\uDE00").length + 1, arena.usage().used());
    }

    @Test
    public void namesAreSortedUnmodifiableSnapshots() {
        put(arena, Namespace.KV, "b", bytes("2"));
        put(arena, Namespace.KV, "a", bytes("1"));
        put(arena, Namespace.KV, "c", bytes("3"));
        List<String> names = arena.names(Namespace.KV);
        assertEquals(List.of("a", "b", "c"), names);
        assertThrows(UnsupportedOperationException.class, () -> names.add("d"));
        remove(arena, Namespace.KV, "a");
        assertEquals(List.of("a", "b", "c"), names);
        assertEquals(List.of("b", "c"), arena.names(Namespace.KV));
    }

    @Test
    public void removalOfAbsentNameChangesNothing() {
        put(arena, Namespace.KV, "kept", bytes("v"));
        long revision = revision(arena, Namespace.KV, "kept");
        remove(arena, Namespace.KV, "never-there");
        arena.apply(List.of());
        assertEquals(List.of("kept"), arena.names(Namespace.KV));
        assertEquals(revision, revision(arena, Namespace.KV, "kept"));
        assertEquals(5, arena.usage().used());
    }

    @Test
    public void batchAppliesInOrder() {
        put(arena, Namespace.KV, "gone", bytes("old"));
        arena.apply(List.of(
                Change.put(Namespace.KV, "a", 0, ByteBuffer.wrap(bytes("first"))),
                Change.put(Namespace.KV, "a", 0, ByteBuffer.wrap(bytes("second"))),
                Change.remove(Namespace.KV, "gone"),
                Change.put(Namespace.KV, "b", 0, ByteBuffer.wrap(bytes("b"))),
                Change.remove(Namespace.KV, "b"),
                Change.put(Namespace.IMAGE, "a", 1, ByteBuffer.wrap(bytes("img")))));
        assertArrayEquals(bytes("second"), get(arena, Namespace.KV, "a"));
        assertNull(get(arena, Namespace.KV, "gone"));
        assertNull(get(arena, Namespace.KV, "b"));
        assertArrayEquals(bytes("img"), get(arena, Namespace.IMAGE, "a"));
        assertEquals(1 + 6 + 1 + 3, arena.usage().used());

        arena.close();
        arena = new Arena(file, MIB, "launch-1");
        assertArrayEquals(bytes("second"), get(arena, Namespace.KV, "a"));
        assertNull(get(arena, Namespace.KV, "gone"));
        assertNull(get(arena, Namespace.KV, "b"));
        assertEquals(1 + 6 + 1 + 3, arena.usage().used());
    }

    @Test
    public void callerBufferIsCopiedAndNotMoved() {
        ByteBuffer source = ByteBuffer.wrap(bytes("..payload.."));
        source.position(2).limit(9);
        put(arena, Namespace.KV, "k", new byte[0]);
        arena.apply(List.of(Change.put(Namespace.KV, "k", 0, source)));
        assertEquals(2, source.position());
        assertEquals(9, source.limit());
        source.put(2, (byte) 'X');
        assertArrayEquals(bytes("payload"), get(arena, Namespace.KV, "k"));
    }

    @Test
    public void partitionFullChangesNothing() {
        put(arena, Namespace.IMAGE, "a", filled(600_000, 1));
        long revision = revision(arena, Namespace.IMAGE, "a");
        PartitionFullException full = assertThrows(PartitionFullException.class,
                () -> put(arena, Namespace.IMAGE, "b", filled(500_000, 2)));
        assertEquals(Partitions.EPHEMERAL, full.partition().orElseThrow());
        assertEquals("b", full.name().orElseThrow());
        assertEquals(1 + 600_000 + 1 + 500_000, full.required());
        assertEquals(MIB, full.available());
        assertStateIsOnlyA(revision);

        // A batch that does not fit changes nothing, not even its first, fitting change.
        assertThrows(PartitionFullException.class, () -> arena.apply(List.of(
                Change.put(Namespace.KV, "c", 0, ByteBuffer.wrap(bytes("small"))),
                Change.remove(Namespace.KV, "absent"),
                Change.put(Namespace.IMAGE, "b", 0, ByteBuffer.wrap(filled(500_000, 2))))));
        assertStateIsOnlyA(revision);

        // Growing an entry past the capacity is refused too.
        assertThrows(PartitionFullException.class, () -> put(arena, Namespace.IMAGE, "a", filled(1_100_000, 3)));
        assertStateIsOnlyA(revision);

        // The same batch fits when it frees room first.
        arena.apply(List.of(Change.remove(Namespace.IMAGE, "a"),
                Change.put(Namespace.IMAGE, "b", 0, ByteBuffer.wrap(filled(500_000, 2)))));
        assertNull(get(arena, Namespace.IMAGE, "a"));
        assertArrayEquals(filled(500_000, 2), get(arena, Namespace.IMAGE, "b"));
    }

    private void assertStateIsOnlyA(long revision) {
        assertArrayEquals(filled(600_000, 1), get(arena, Namespace.IMAGE, "a"));
        assertEquals(revision, revision(arena, Namespace.IMAGE, "a"));
        assertEquals(List.of("a"), arena.names(Namespace.IMAGE));
        assertEquals(List.of(), arena.names(Namespace.KV));
        assertEquals(1 + 600_000, arena.usage().used());
    }

    @Test
    public void badInputIsRefusedAndChangesNothing() {
        put(arena, Namespace.KV, "kept", bytes("v"));
        byte[] tooLarge = new byte[Namespace.KV.maxValueBytes() + 1];
        ValueTooLargeException large = assertThrows(ValueTooLargeException.class,
                () -> arena.apply(List.of(Change.put(Namespace.KV, "x", 0, ByteBuffer.wrap(bytes("ok"))),
                        Change.put(Namespace.KV, "big", 0, ByteBuffer.wrap(tooLarge)))));
        assertEquals(Namespace.KV.maxValueBytes() + 1, large.size());
        assertEquals(Namespace.KV.maxValueBytes(), large.limit());
        assertThrows(InvalidNameException.class, () -> put(arena, Namespace.KV, "", bytes("v")));
        assertThrows(InvalidNameException.class, () -> put(arena, Namespace.KV, "a\nb", bytes("v")));
        assertThrows(InvalidNameException.class, () -> put(arena, Namespace.KV, "bad\uD800", bytes("v")));
        assertThrows(InvalidNameException.class,
                () -> put(arena, Namespace.KV, "n".repeat(Limits.MAX_NAME_BYTES + 1), bytes("v")));
        assertThrows(InvalidNameException.class,
                () -> put(arena, Namespace.KV, "é".repeat(128), bytes("v"))); // 256 UTF-8 bytes
        put(arena, Namespace.KV, "n".repeat(Limits.MAX_NAME_BYTES), bytes("longest"));
        remove(arena, Namespace.KV, "n".repeat(Limits.MAX_NAME_BYTES));
        assertThrows(IllegalArgumentException.class,
                () -> arena.apply(List.of(Change.put(Namespace.KV, "f", 256, ByteBuffer.wrap(bytes("v"))))));
        assertThrows(NullPointerException.class, () -> arena.apply(null));
        assertThrows(NullPointerException.class,
                () -> arena.apply(List.of(Change.put(null, "x", 0, ByteBuffer.wrap(bytes("v"))))));
        assertThrows(NullPointerException.class, () -> arena.apply(Arrays.asList((Change) null)));
        assertEquals(List.of("kept"), arena.names(Namespace.KV));
        assertEquals(5, arena.usage().used());
    }

    @Test
    public void revisionsIncreaseAndSurviveReopen() {
        put(arena, Namespace.KV, "k", bytes("1"));
        long first = revision(arena, Namespace.KV, "k");
        put(arena, Namespace.KV, "k", bytes("1"));
        long second = revision(arena, Namespace.KV, "k");
        put(arena, Namespace.KV, "other", bytes("x"));
        remove(arena, Namespace.KV, "k");
        put(arena, Namespace.KV, "k", bytes("1"));
        long third = revision(arena, Namespace.KV, "k");
        assertTrue(first < second);
        assertTrue(second < third);
        assertTrue(revision(arena, Namespace.KV, "other") < third);

        arena.close();
        arena = new Arena(file, MIB, "launch-1");
        assertEquals(third, revision(arena, Namespace.KV, "k"));
        put(arena, Namespace.KV, "k", bytes("1"));
        assertTrue(revision(arena, Namespace.KV, "k") > third);
    }

    @Test
    public void reopenWithSameLaunchKeepsEverythingAndOtherLaunchStartsEmpty() {
        for (int i = 0; i < 100; i++) {
            put(arena, Namespace.values()[i % 4], "entry-" + i, filled(i * 37, i));
        }
        for (int i = 0; i < 100; i += 3) {
            remove(arena, Namespace.values()[i % 4], "entry-" + i);
        }
        PartitionUsage before = arena.usage();
        arena.close();

        arena = new Arena(file, MIB, "launch-1");
        assertEquals(before, arena.usage());
        for (int i = 0; i < 100; i++) {
            byte[] expected = i % 3 == 0 ? null : filled(i * 37, i);
            assertArrayEquals(expected, get(arena, Namespace.values()[i % 4], "entry-" + i));
        }
        arena.close();

        arena = new Arena(file, MIB, "launch-2");
        assertEquals(0, arena.usage().used());
        for (Namespace namespace : Namespace.values()) {
            assertEquals(List.of(), arena.names(namespace));
        }
        put(arena, Namespace.KV, "fresh", bytes("v"));
        assertArrayEquals(bytes("v"), get(arena, Namespace.KV, "fresh"));
    }

    @Test
    public void clearEmptiesEveryNamespaceAndStaysEmptyAfterReopen() {
        for (Namespace namespace : Namespace.values()) {
            put(arena, namespace, "x", bytes("value"));
        }
        arena.clear();
        assertEquals(0, arena.usage().used());
        for (Namespace namespace : Namespace.values()) {
            assertEquals(List.of(), arena.names(namespace));
            assertNull(get(arena, namespace, "x"));
        }
        put(arena, Namespace.KV, "after", bytes("clear"));
        arena.close();
        arena = new Arena(file, MIB, "launch-1");
        assertEquals(List.of("after"), arena.names(Namespace.KV));
        assertNull(get(arena, Namespace.IMAGE, "x"));
        assertEquals(10, arena.usage().used());
    }

    @Test
    public void openViewKeepsItsBytesAcrossOverwritesRemovalAndClear() {
        byte[] original = filled(50_000, 42);
        put(arena, Namespace.IMAGE, "pinned", original);
        EntryView view = arena.open(Namespace.IMAGE, "pinned").orElseThrow();
        ByteBuffer data = view.data();
        long revision = view.revision();
        int compactionsBefore = arena.compactions();
        for (int i = 0; i < 300; i++) {
            put(arena, Namespace.IMAGE, "pinned", filled(10_000 + (i * 7919) % 90_000, i));
            put(arena, Namespace.IMAGE, "churn-" + (i % 5), filled(100_000 + i, i + 1000));
        }
        assertTrue("the churn must have compacted around the pinned record", arena.compactions() > compactionsBefore);
        remove(arena, Namespace.IMAGE, "pinned");
        arena.clear();
        for (int i = 0; i < 50; i++) {
            put(arena, Namespace.IMAGE, "refill-" + (i % 7), filled(120_000, i));
        }
        assertArrayEquals(original, copy(data));
        assertArrayEquals(original, copy(view.data()));
        assertEquals(revision, view.revision());
        view.close();
        view.close(); // idempotent
        assertThrows(IllegalStateException.class, view::data);

        // Released, the space is reused and the arena shrinks back to its live set.
        long topWhilePinned = arena.top();
        int[] lastSeed = new int[7];
        for (int i = 0; i < 50; i++) {
            put(arena, Namespace.IMAGE, "refill-" + (i % 7), filled(120_000, i + 1));
            lastSeed[i % 7] = i + 1;
        }
        for (int i = 0; i < 7; i++) {
            assertArrayEquals(filled(120_000, lastSeed[i]), get(arena, Namespace.IMAGE, "refill-" + i));
        }
        assertTrue(arena.top() <= topWhilePinned + ArenaFormat.recordSpan(8, 120_000) * 8);
    }

    @Test
    public void viewsOfAClosedArenaKeepTheirBytesWhileTheNextInstanceChurns() {
        byte[] original = filled(80_000, 7);
        put(arena, Namespace.IMAGE, "held", original);
        put(arena, Namespace.IMAGE, "superseded", filled(30_000, 8));
        EntryView live = arena.open(Namespace.IMAGE, "held").orElseThrow();
        EntryView old = arena.open(Namespace.IMAGE, "superseded").orElseThrow();
        put(arena, Namespace.IMAGE, "superseded", filled(30_000, 9)); // old now pins garbage
        arena.close();
        assertThrows(DatastoreException.class, () -> arena.open(Namespace.IMAGE, "held"));

        arena = new Arena(file, MIB, "launch-1"); // the bundle update
        assertArrayEquals(original, get(arena, Namespace.IMAGE, "held"));
        for (int i = 0; i < 200; i++) {
            put(arena, Namespace.IMAGE, "held", filled(20_000 + i * 300, i));
            put(arena, Namespace.IMAGE, "superseded", filled(40_000 - i * 100, i));
            put(arena, Namespace.IMAGE, "churn", filled(200_000, i));
        }
        assertTrue(arena.compactions() > 0);
        assertArrayEquals(original, copy(live.data()));
        assertArrayEquals(filled(30_000, 8), copy(old.data()));
        live.close();
        old.close();
        for (int i = 0; i < 100; i++) {
            put(arena, Namespace.IMAGE, "churn", filled(300_000, i));
        }
        assertArrayEquals(filled(300_000, 99), get(arena, Namespace.IMAGE, "churn"));

        // A new launch replaces the file; a view of the old file still reads its own bytes.
        EntryView beforeRestart = arena.open(Namespace.IMAGE, "churn").orElseThrow();
        arena.close();
        arena = new Arena(file, MIB, "launch-2");
        put(arena, Namespace.IMAGE, "churn", filled(300_000, 1234));
        assertArrayEquals(filled(300_000, 99), copy(beforeRestart.data()));
        beforeRestart.close();
    }

    @Test
    public void closeWaitsAndThenRefusesEveryCall() {
        put(arena, Namespace.KV, "k", bytes("v"));
        EntryView view = arena.open(Namespace.KV, "k").orElseThrow();
        arena.close();
        arena.close();
        assertTrue(arena.isClosed());
        for (Runnable call : List.<Runnable>of(
                () -> arena.open(Namespace.KV, "k"),
                () -> arena.names(Namespace.KV),
                () -> arena.usage(),
                () -> arena.clear(),
                () -> put(arena, Namespace.KV, "k", bytes("w")))) {
            DatastoreException closed = assertThrows(DatastoreException.class, call::run);
            assertTrue(closed.getMessage(), closed.getMessage().contains("closed"));
            assertEquals(Partitions.EPHEMERAL, closed.partition().orElseThrow());
        }
        assertArrayEquals(bytes("v"), copy(view.data()));
        view.close();
    }

    @Test
    public void anInterruptedWriterStillGrowsTheArenaAndKeepsItsInterrupt() {
        long mappedBefore = arena.mappedBytes();
        Thread.currentThread().interrupt();
        try {
            put(arena, Namespace.IMAGE, "big", filled(300_000, 1));
            assertTrue("the interrupt is left for the caller", Thread.interrupted());
        } finally {
            Thread.interrupted();
        }
        assertTrue(arena.mappedBytes() > mappedBefore);
        put(arena, Namespace.IMAGE, "bigger", filled(600_000, 2)); // the file can still grow
        assertArrayEquals(filled(300_000, 1), get(arena, Namespace.IMAGE, "big"));
        assertArrayEquals(filled(600_000, 2), get(arena, Namespace.IMAGE, "bigger"));
    }

    @Test
    public void anInterruptDuringGrowthFailsOnlyThatWrite() {
        put(arena, Namespace.KV, "kept", bytes("value"));
        long mappedBefore = arena.mappedBytes();
        arena.duringGrowth = () -> Thread.currentThread().interrupt(); // closes the channel at its next I/O
        DatastoreException failed;
        try {
            failed = assertThrows(DatastoreException.class,
                    () -> put(arena, Namespace.IMAGE, "big", filled(300_000, 1)));
            assertTrue("the interrupt is left for the caller", Thread.interrupted());
        } finally {
            Thread.interrupted();
            arena.duringGrowth = null;
        }
        assertTrue(failed.getMessage(), failed.getMessage().contains("cannot grow"));
        assertEquals(mappedBefore, arena.mappedBytes());
        assertNull(get(arena, Namespace.IMAGE, "big"));
        assertEquals(4 + 5, arena.usage().used());
        // The arena reopened its file: it grows again, and everything survives a reopen.
        put(arena, Namespace.IMAGE, "big", filled(300_000, 2));
        arena.close();
        arena = new Arena(file, MIB, "launch-1");
        assertArrayEquals(filled(300_000, 2), get(arena, Namespace.IMAGE, "big"));
        assertArrayEquals(bytes("value"), get(arena, Namespace.KV, "kept"));
    }

    @Test
    public void viewOfTheRecordEndingTheMappingSurvivesCompactionAndGrowthPastIt() {
        // The first write grows the header-only file to 128 KiB: make its record end exactly there.
        int valueLength = 128 * 1024 - ArenaFormat.HEADER_SIZE - ArenaFormat.RECORD_HEADER - "end".length();
        put(arena, Namespace.IMAGE, "end", filled(valueLength, 1));
        assertEquals(arena.mappedBytes(), arena.top());
        EntryView view = arena.open(Namespace.IMAGE, "end").orElseThrow();
        int compactionsBefore = arena.compactions();
        for (int i = 0; i < 120; i++) {
            put(arena, Namespace.IMAGE, "end", filled(20_000 + i * 500, i + 2));
            put(arena, Namespace.IMAGE, "churn-" + (i % 3), filled(150_000, i));
        }
        assertTrue(arena.compactions() > compactionsBefore);
        assertTrue("the arena grew past the pinned record", arena.mappedBytes() > 128 * 1024);
        assertArrayEquals(filled(valueLength, 1), copy(view.data()));
        assertArrayEquals(filled(20_000 + 119 * 500, 121), get(arena, Namespace.IMAGE, "end"));
        view.close();
        arena.close();
        arena = new Arena(file, MIB, "launch-1");
        assertArrayEquals(filled(20_000 + 119 * 500, 121), get(arena, Namespace.IMAGE, "end"));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(filled(150_000, 117 + i), get(arena, Namespace.IMAGE, "churn-" + i));
        }
    }

    @Test
    public void capacityIsRejectedOutsideItsRange() {
        Path other = folder.getRoot().toPath().resolve("other.arena");
        assertThrows(IllegalArgumentException.class, () -> new Arena(other, 0, "l"));
        assertThrows(IllegalArgumentException.class, () -> new Arena(other, -5, "l"));
        assertThrows(IllegalArgumentException.class, () -> new Arena(other, Arena.MAX_CAPACITY + 1, "l"));
    }

    @Test
    public void aSmallerCapacityAfterReopenStillAllowsWritesThatDoNotGrow() {
        put(arena, Namespace.IMAGE, "a", filled(500_000, 1));
        arena.close();
        arena = new Arena(file, 100_000, "launch-1");
        assertEquals(500_001, arena.usage().used());
        put(arena, Namespace.IMAGE, "a", filled(400_000, 2)); // shrinks
        assertThrows(PartitionFullException.class, () -> put(arena, Namespace.KV, "b", bytes("x")));
        remove(arena, Namespace.IMAGE, "a");
        put(arena, Namespace.KV, "b", bytes("x"));
        assertEquals(2, arena.usage().used());
    }

    @Test
    public void viewsOfManyEntriesMeanwhileOpen() {
        List<EntryView> views = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            put(arena, Namespace.KV, "k" + i, filled(1000 + i, i));
            views.add(arena.open(Namespace.KV, "k" + i).orElseThrow());
        }
        for (int round = 0; round < 60; round++) {
            for (int i = 0; i < 20; i++) {
                put(arena, Namespace.KV, "k" + i, filled(2000 + round, round * 100 + i));
            }
        }
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(filled(1000 + i, i), copy(views.get(i).data()));
            views.get(i).close();
        }
        assertFalse(arena.names(Namespace.KV).isEmpty());
    }
}
