package datastore.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import datastore.ImageToken;
import datastore.ImageView;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.image.ImageType;

import org.junit.After;
import org.junit.Test;

/**
 * A partition whose service leaves (its bundle being updated) is awaited for the grace period: reads
 * that reach its rank and writes to it wait for it to come back, and go on without it after the
 * grace. These tests use real, short waits; none asserts how long anything took.
 */
public class DepartureGraceTest {

    /** Long enough never to run out in a test that expects the partition back. */
    private static final long LONG_GRACE = 30_000;
    private static final long SHORT_GRACE = 150;

    private final ExecutorService background = Executors.newSingleThreadExecutor();

    @After
    public void tearDown() {
        background.shutdownNow();
    }

    private static TestDock dock(long grace) {
        TestDock dock = new TestDock("runtime", grace);
        dock.add(new MemoryPartition("ephemeral").withKv("k", "ephemeral").withKv("e", "1"), 300);
        dock.add(new MemoryPartition("runtime").withKv("k", "runtime").withKv("r", "1"), 200);
        dock.add(new MemoryPartition("rom").makeReadOnly().withKv("k", "rom"), 100);
        return dock;
    }

    /** Brings a successor of the departed partition back as soon as someone waits for it. */
    private Future<?> returnOnceAwaited(TestDock dock, MemoryPartition successor, int ranking) {
        long waitsBefore = dock.store.lineup.waits();
        return background.submit(() -> {
            while (dock.store.lineup.waits() == waitsBefore) {
                Thread.sleep(2);
            }
            // Give the waiting thread a moment to block on the condition; it is correct either way.
            Thread.sleep(20);
            dock.add(successor, ranking);
            return null;
        });
    }

    @Test(timeout = 20_000)
    public void aReadThatReachesADepartedPartitionWaitsForItsReturn() throws Exception {
        TestDock dock = dock(LONG_GRACE);
        MemoryPartition ephemeral = dock.partition("ephemeral");
        dock.remove(ephemeral);
        Future<?> back = returnOnceAwaited(dock, ephemeral.successor(), 300);

        assertEquals("ephemeral", dock.kv.get("k"));

        back.get();
        assertEquals(1, dock.store.lineup.waits());
        assertEquals(List.of("datastore/partition/ADDED", "datastore/partition/ADDED", "datastore/partition/ADDED",
                "datastore/partition/REMOVED", "datastore/partition/ADDED"), dock.events.topics());
    }

    @Test(timeout = 20_000)
    public void aListWaitsForADepartedPartitionToo() throws Exception {
        TestDock dock = dock(LONG_GRACE);
        MemoryPartition ephemeral = dock.partition("ephemeral");
        dock.remove(ephemeral);
        Future<?> back = returnOnceAwaited(dock, ephemeral.successor(), 300);

        assertEquals(List.of("e", "k", "r"), dock.kv.list());
        back.get();
    }

    @Test(timeout = 20_000)
    public void aReadGoesOnWithoutThePartitionOnceTheGraceIsOver() {
        TestDock dock = dock(SHORT_GRACE);
        dock.remove(dock.partition("ephemeral"));

        assertEquals("runtime", dock.kv.get("k"));
        assertEquals(1, dock.store.lineup.waits());
        // The grace is over: later reads do not wait again.
        assertEquals("runtime", dock.kv.get("k"));
        assertEquals(List.of("k", "r"), dock.kv.list());
        assertEquals(1, dock.store.lineup.waits());
    }

    @Test(timeout = 20_000)
    public void readsThatHitAboveTheDepartedPartitionNeverWait() {
        TestDock dock = dock(LONG_GRACE);
        dock.remove(dock.partition("runtime"));

        assertEquals("ephemeral", dock.kv.get("k"));
        assertEquals("1", dock.kv.get("e"));
        assertEquals(0, dock.store.lineup.waits());
    }

    @Test(timeout = 20_000)
    public void aWriteToADepartedPartitionWaitsForItsReturn() throws Exception {
        TestDock dock = dock(LONG_GRACE);
        MemoryPartition runtime = dock.partition("runtime");
        dock.remove(runtime);
        MemoryPartition successor = runtime.successor();
        Future<?> back = returnOnceAwaited(dock, successor, 200);

        dock.kv.put("new", "v");

        back.get();
        assertEquals("v", dock.kv.get("new"));
        assertTrue(successor.stored(Namespace.KV, "new").isPresent());
    }

    @Test(timeout = 20_000)
    public void aWriteToADepartedPartitionFailsOnceTheGraceIsOver() {
        TestDock dock = dock(SHORT_GRACE);
        dock.remove(dock.partition("runtime"));
        assertThrows(NoSuchPartitionException.class, () -> dock.kv.put("new", "v"));
        assertEquals(1, dock.store.lineup.waits());
    }

    @Test(timeout = 20_000)
    public void aTokenOfADepartedPartitionOpensOnceItIsBack() throws Exception {
        TestDock dock = dock(LONG_GRACE);
        byte[] png = MarkerImageFormat.image(ImageType.PNG, "splash");
        dock.images.put("splash", png, ImageType.PNG, "ephemeral");
        ImageToken token = dock.images.getToken("splash");
        MemoryPartition ephemeral = dock.partition("ephemeral");
        dock.remove(ephemeral);
        Future<?> back = returnOnceAwaited(dock, ephemeral.successor(), 300);

        try (ImageView view = dock.images.open(token)) {
            ByteBuffer bytes = view.bytes();
            byte[] read = new byte[bytes.remaining()];
            bytes.get(read);
            assertArrayEquals(png, read);
        }
        back.get();
    }

    @Test
    public void withoutGraceADepartedPartitionIsForgottenAtOnce() {
        TestDock dock = dock(0);
        dock.remove(dock.partition("ephemeral"));
        assertEquals("runtime", dock.kv.get("k"));
        assertThrows(NoSuchPartitionException.class, () -> dock.kv.put("k", "v", "ephemeral"));
        assertEquals(0, dock.store.lineup.waits());
    }

    @Test
    public void aPartitionClosedUnderAReadIsReadAround() {
        // The partition's bundle stops while a read is inside it: it leaves the lineup, then fails
        // the call in progress. The read goes on with the partitions that are left.
        TestDock dock = dock(0);
        MemoryPartition ephemeral = dock.partition("ephemeral");
        ephemeral.onOpen = p -> {
            dock.remove(p);
            throw new IllegalStateException("arena closed");
        };
        assertEquals("runtime", dock.kv.get("k"));
    }

    @Test(timeout = 20_000)
    public void aPartitionClosedUnderAReadIsAwaitedDuringItsGrace() throws Exception {
        TestDock dock = dock(LONG_GRACE);
        MemoryPartition ephemeral = dock.partition("ephemeral");
        MemoryPartition successor = ephemeral.successor();
        ephemeral.onOpen = p -> {
            dock.remove(p);
            background.submit(() -> {
                Thread.sleep(20);
                dock.add(successor, 300);
                return null;
            });
            throw new IllegalStateException("arena closed");
        };
        assertEquals("ephemeral", dock.kv.get("k"));
    }

    @Test(timeout = 20_000)
    public void aTokenOpenedWhileItsPartitionClosesOpensInTheSuccessor() throws Exception {
        TestDock dock = dock(LONG_GRACE);
        byte[] png = MarkerImageFormat.image(ImageType.PNG, "splash");
        dock.images.put("splash", png, ImageType.PNG, "ephemeral");
        ImageToken token = dock.images.getToken("splash");
        MemoryPartition ephemeral = dock.partition("ephemeral");
        MemoryPartition successor = ephemeral.successor();
        ephemeral.onOpen = p -> {
            dock.remove(p);
            background.submit(() -> {
                Thread.sleep(20);
                dock.add(successor, 300);
                return null;
            });
            throw new IllegalStateException("arena closed");
        };
        try (ImageView view = dock.images.open(token)) {
            assertEquals(png.length, view.bytes().remaining());
        }
        assertEquals(0, successor.openViews());
    }

    @Test
    public void deactivationDropsDepartedPartitionsAndPostsNoEvents() {
        TestDock dock = dock(LONG_GRACE);
        dock.remove(dock.partition("ephemeral"));
        dock.events.clear();
        dock.store.deactivate();
        dock.remove(dock.partition("runtime"));
        dock.remove(dock.partition("rom"));
        assertEquals(List.of(), dock.events.posted());
        assertEquals(0, dock.store.lineup.members().length);
        assertEquals("", dock.kv.get("k"));
        assertEquals(0, dock.store.lineup.waits());
    }

    @Test
    public void theGraceIsCheckedAgainstTheWaitDeadline() throws Exception {
        TestDock dock = dock(SHORT_GRACE);
        dock.remove(dock.partition("ephemeral"));
        TimeUnit.MILLISECONDS.sleep(SHORT_GRACE + 50);
        // Over before anyone asked: nobody waits.
        assertEquals("runtime", dock.kv.get("k"));
        assertEquals(0, dock.store.lineup.waits());
    }
}
