package datastore.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import datastore.ImageToken;
import datastore.ImageView;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.image.ImageType;
import datastore.testsupport.MemoryPartition;

import org.junit.After;
import org.junit.Test;

/**
 * A partition whose service leaves (its bundle being updated) is awaited for the grace period: reads
 * that reach its rank and writes to it wait for it to come back, and go on without it after the
 * grace. The store reads a clock of the test's own; time passes only when a test moves it, at the
 * moment a caller is about to wait, so no test waits for real time to pass.
 */
public class DepartureGraceTest {

    private static final long GRACE = 2_000;

    /** The store's clock, in nanoseconds. */
    private final AtomicLong clock = new AtomicLong(-TimeUnit.HOURS.toNanos(1));
    private final ExecutorService background = Executors.newSingleThreadExecutor();

    @After
    public void tearDown() {
        background.shutdownNow();
    }

    private TestDock dock(long grace) {
        TestDock dock = new TestDock("runtime", grace, clock::get);
        dock.add(new MemoryPartition("ephemeral").withKv("k", "ephemeral").withKv("e", "1"), 300);
        dock.add(new MemoryPartition("runtime").withKv("k", "runtime").withKv("r", "1"), 200);
        dock.add(new MemoryPartition("rom").makeReadOnly().withKv("k", "rom"), 100);
        return dock;
    }

    /** Runs {@code action} the first time a caller is about to wait for a departed partition. */
    private static void onFirstAwait(TestDock dock, Runnable action) {
        AtomicBoolean done = new AtomicBoolean();
        dock.store.lineup.onAwait = () -> {
            if (done.compareAndSet(false, true)) {
                action.run();
            }
        };
    }

    /**
     * Brings a successor of the departed partition back once someone waits for it. The return comes
     * from another thread, which gets the lineup only when the waiting caller has released it to
     * block, so the caller is woken by the return itself.
     */
    private CompletableFuture<Void> returnOnceAwaited(TestDock dock, MemoryPartition successor, int ranking) {
        CompletableFuture<Void> back = new CompletableFuture<>();
        onFirstAwait(dock, () -> background.execute(() -> {
            try {
                dock.add(successor, ranking);
                back.complete(null);
            } catch (RuntimeException | Error e) {
                back.completeExceptionally(e);
            }
        }));
        return back;
    }

    /** Lets the grace run out at the moment a caller is about to wait for the departed partition. */
    private void graceEndsOnceAwaited(TestDock dock) {
        onFirstAwait(dock, () -> clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(GRACE)));
    }

    @Test(timeout = 20_000)
    public void aReadThatReachesADepartedPartitionWaitsForItsReturn() throws Exception {
        TestDock dock = dock(GRACE);
        MemoryPartition ephemeral = dock.partition("ephemeral");
        dock.remove(ephemeral);
        CompletableFuture<Void> back = returnOnceAwaited(dock, ephemeral.successor(), 300);

        assertEquals("ephemeral", dock.kv.get("k"));

        back.get();
        assertEquals(1, dock.store.lineup.waits());
        assertEquals(List.of("datastore/partition/ADDED", "datastore/partition/ADDED", "datastore/partition/ADDED",
                "datastore/partition/REMOVED", "datastore/partition/ADDED"), dock.events.topics());
    }

    @Test(timeout = 20_000)
    public void aListWaitsForADepartedPartitionToo() throws Exception {
        TestDock dock = dock(GRACE);
        MemoryPartition ephemeral = dock.partition("ephemeral");
        dock.remove(ephemeral);
        CompletableFuture<Void> back = returnOnceAwaited(dock, ephemeral.successor(), 300);

        assertEquals(List.of("e", "k", "r"), dock.kv.list());
        back.get();
    }

    @Test(timeout = 20_000)
    public void aReadGoesOnWithoutThePartitionOnceTheGraceIsOver() {
        TestDock dock = dock(GRACE);
        dock.remove(dock.partition("ephemeral"));
        graceEndsOnceAwaited(dock);

        assertEquals("runtime", dock.kv.get("k"));
        assertEquals(1, dock.store.lineup.waits());
        // The grace is over: later reads do not wait again.
        assertEquals("runtime", dock.kv.get("k"));
        assertEquals(List.of("k", "r"), dock.kv.list());
        assertEquals(1, dock.store.lineup.waits());
    }

    @Test(timeout = 20_000)
    public void readsThatHitAboveTheDepartedPartitionNeverWait() {
        TestDock dock = dock(GRACE);
        dock.remove(dock.partition("runtime"));

        assertEquals("ephemeral", dock.kv.get("k"));
        assertEquals("1", dock.kv.get("e"));
        assertEquals(0, dock.store.lineup.waits());
    }

    @Test(timeout = 20_000)
    public void aWriteToADepartedPartitionWaitsForItsReturn() throws Exception {
        TestDock dock = dock(GRACE);
        MemoryPartition runtime = dock.partition("runtime");
        dock.remove(runtime);
        MemoryPartition successor = runtime.successor();
        CompletableFuture<Void> back = returnOnceAwaited(dock, successor, 200);

        dock.kv.put("new", "v");

        back.get();
        assertEquals("v", dock.kv.get("new"));
        assertTrue(successor.stored(Namespace.KV, "new").isPresent());
    }

    @Test(timeout = 20_000)
    public void aWriteToADepartedPartitionFailsOnceTheGraceIsOver() {
        TestDock dock = dock(GRACE);
        dock.remove(dock.partition("runtime"));
        graceEndsOnceAwaited(dock);
        assertThrows(NoSuchPartitionException.class, () -> dock.kv.put("new", "v"));
        assertEquals(1, dock.store.lineup.waits());
    }

    @Test(timeout = 20_000)
    public void aTokenOfADepartedPartitionOpensOnceItIsBack() throws Exception {
        TestDock dock = dock(GRACE);
        byte[] png = MarkerImageFormat.image(ImageType.PNG, "splash");
        dock.images.put("splash", png, ImageType.PNG, "ephemeral");
        ImageToken token = dock.images.getToken("splash");
        MemoryPartition ephemeral = dock.partition("ephemeral");
        dock.remove(ephemeral);
        CompletableFuture<Void> back = returnOnceAwaited(dock, ephemeral.successor(), 300);

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
        TestDock dock = dock(GRACE);
        MemoryPartition ephemeral = dock.partition("ephemeral");
        CompletableFuture<Void> back = returnOnceAwaited(dock, ephemeral.successor(), 300);
        ephemeral.onOpen = p -> {
            dock.remove(p);
            throw new IllegalStateException("arena closed");
        };
        assertEquals("ephemeral", dock.kv.get("k"));
        back.get();
        assertEquals(1, dock.store.lineup.waits());
    }

    @Test(timeout = 20_000)
    public void aTokenOpenedWhileItsPartitionClosesOpensInTheSuccessor() throws Exception {
        TestDock dock = dock(GRACE);
        byte[] png = MarkerImageFormat.image(ImageType.PNG, "splash");
        dock.images.put("splash", png, ImageType.PNG, "ephemeral");
        ImageToken token = dock.images.getToken("splash");
        MemoryPartition ephemeral = dock.partition("ephemeral");
        MemoryPartition successor = ephemeral.successor();
        CompletableFuture<Void> back = returnOnceAwaited(dock, successor, 300);
        ephemeral.onOpen = p -> {
            dock.remove(p);
            throw new IllegalStateException("arena closed");
        };
        try (ImageView view = dock.images.open(token)) {
            assertEquals(png.length, view.bytes().remaining());
        }
        back.get();
        assertEquals(0, successor.openViews());
    }

    @Test
    public void deactivationDropsDepartedPartitionsAndPostsNoEvents() {
        TestDock dock = dock(GRACE);
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
    public void theGraceIsCheckedAgainstTheWaitDeadline() {
        TestDock dock = dock(GRACE);
        dock.remove(dock.partition("ephemeral"));
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(GRACE));
        // Over before anyone asked: nobody waits.
        assertEquals("runtime", dock.kv.get("k"));
        assertEquals(0, dock.store.lineup.waits());
    }
}
