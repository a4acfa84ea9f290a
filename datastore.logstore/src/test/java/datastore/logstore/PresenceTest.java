package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;

import org.junit.Test;

/**
 * The presence test behind {@code mayContain} (a probe of the compact index) never rules out a name a
 * read would find: not after puts, batches, removals and re-puts, a clear, a remount, the index's own
 * growth as it fills, nor while writers run; and it does rule out most absent names. The direct {@code read} returns exactly
 * the bytes a writer wrote while collection erases blocks under it, allocates on a hit only what its decoder does, and
 * gives a decoder that reads again a buffer of its own.
 */
public class PresenceTest {
    static final int BLOCK = 4096;

    private static LogStore store(long capacity) {
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = LogStore.requiredBlocks(capacity, probe) * BLOCK;
        FlashRegion region = NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size);
        return Stores.mount(region, capacity);
    }

    private static void assertPresent(LogStore store, Namespace namespace, String name) {
        assertTrue(namespace.id() + " " + name + " is held but ruled out", store.mayContain(namespace, name));
    }

    /** How many of {@code count} names never written the filter rules out. */
    private static int ruledOut(LogStore store, String prefix, int count) {
        int out = 0;
        for (int i = 0; i < count; i++) {
            if (!store.mayContain(Namespace.KV, prefix + i)) {
                out++;
            }
        }
        return out;
    }

    @Test
    public void everyNameHeldTestsPresentThroughPutsBatchesRemovalsAndRebuilds() {
        LogStore store = store(512 * 1024);
        List<String> held = new ArrayList<>();
        // Far more names than the first filter is sized for, so it is rebuilt several times.
        for (int batch = 0; batch < 60; batch++) {
            List<Change> changes = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String name = "n" + batch + "-" + i;
                changes.add(Stores.put(name, Stores.bytes("v" + name)));
                held.add(name);
            }
            changes.add(Stores.put(Namespace.IMAGE, "img" + batch, Stores.bytes("image")));
            store.apply(changes);
            for (String name : held) {
                assertPresent(store, Namespace.KV, name);
            }
            for (int b = 0; b <= batch; b++) {
                assertPresent(store, Namespace.IMAGE, "img" + b);
            }
        }
        // A removal may leave a false positive; a put after it is present again.
        Stores.apply(store, Stores.remove("n0-0"), Stores.remove("n0-1"));
        assertNull(Stores.get(store, "n0-0"));
        Stores.apply(store, Stores.put("n0-0", Stores.bytes("again")));
        assertPresent(store, Namespace.KV, "n0-0");
        assertTrue("the filter rules out most absent names: " + ruledOut(store, "absent", 10_000),
                ruledOut(store, "absent", 10_000) > 9_000);
        // A name in one namespace says nothing about another.
        assertTrue(Namespace.values().length > 1);
        int otherNamespace = 0;
        for (String name : held) {
            if (!store.mayContain(Namespace.CODE, name)) {
                otherNamespace++;
            }
        }
        assertTrue(otherNamespace > held.size() * 9 / 10);
    }

    @Test
    public void aClearRulesOutWhatItRemovedAndNothingWrittenAfterIt() {
        LogStore store = store(256 * 1024);
        for (int i = 0; i < 1000; i++) {
            Stores.apply(store, Stores.put("old" + i, Stores.bytes("v")));
        }
        store.clear();
        assertTrue("after a clear the old names are ruled out again", ruledOut(store, "old", 1000) > 900);
        for (int i = 0; i < 300; i++) {
            Stores.apply(store, Stores.put("new" + i, Stores.bytes("v")));
            for (int j = 0; j <= i; j++) {
                assertPresent(store, Namespace.KV, "new" + j);
            }
        }
    }

    @Test
    public void aRemountedStoreTestsEveryNameItHolds() {
        long capacity = 256 * 1024;
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = LogStore.requiredBlocks(capacity, probe) * BLOCK;
        FlashRegion region = NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size);
        LogStore store = Stores.mount(region, capacity);
        for (int batch = 0; batch < 20; batch++) {
            List<Change> changes = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                changes.add(Stores.put("k" + batch + "-" + i, Stores.bytes("v")));
            }
            store.apply(changes);
        }
        Stores.apply(store, Stores.remove("k0-0"));
        LogStore again = Stores.mount(region, capacity);
        for (int batch = 0; batch < 20; batch++) {
            for (int i = 0; i < 100; i++) {
                String name = "k" + batch + "-" + i;
                if (!name.equals("k0-0")) {
                    assertPresent(again, Namespace.KV, name);
                }
            }
        }
        assertTrue(ruledOut(again, "absent", 10_000) > 9_000);
    }

    /**
     * Writers add new names without end (the filter is rebuilt under them); readers pick names whose
     * write has returned and require the filter and the direct read to find each.
     */
    @Test
    public void aNameWhoseWriteReturnedIsNeverRuledOutWhileWritersRun() throws Exception {
        int writers = 3;
        int writes = 1500;
        LogStore store = store(1024 * 1024);
        AtomicIntegerArray done = new AtomicIntegerArray(writers);
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong checks = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 1; i <= writes; i++) {
                        // Pairs, so that batches of several names are published together.
                        store.apply(List.of(Stores.put("w" + writer + "-" + i, Stores.bytes("w" + writer + "-" + i)),
                                Stores.put("p" + writer + "-" + i, Stores.bytes("p"))));
                        done.set(writer, i);
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            long seed = r;
            threads.add(new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                try {
                    while (writing.get()) {
                        int writer = random.nextInt(writers);
                        int returned = done.get(writer);
                        if (returned == 0) {
                            continue;
                        }
                        // The newest returned write, and one picked at random among the earlier ones.
                        for (int i : new int[] {returned, 1 + random.nextInt(returned)}) {
                            String name = "w" + writer + "-" + i;
                            if (!store.mayContain(Namespace.KV, name)) {
                                throw new AssertionError(name + " ruled out after its write returned");
                            }
                            Optional<String> value = store.read(Namespace.KV, name,
                                    data -> java.nio.charset.StandardCharsets.UTF_8.decode(data).toString());
                            if (!value.equals(Optional.of(name))) {
                                throw new AssertionError(name + " read as " + value + " after its write returned");
                            }
                            checks.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (int w = 0; w < writers; w++) {
            threads.get(w).join(TimeUnit.MINUTES.toMillis(2));
        }
        writing.set(false);
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(1));
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
        assertTrue("readers checked names: " + checks.get(), checks.get() > 0);
        for (int w = 0; w < writers; w++) {
            for (int i = 1; i <= writes; i++) {
                assertPresent(store, Namespace.KV, "w" + w + "-" + i);
                assertPresent(store, Namespace.KV, "p" + w + "-" + i);
            }
        }
    }

    /**
     * The direct read decodes from the mapped flash without a pin: while one writer rewrites values
     * that span blocks (so collection erases blocks under the readers), every value it returns is one
     * the writer wrote whole, never erased or foreign bytes.
     */
    @Test
    public void aDirectReadReturnsOnlyBytesAWriterWroteWhileBlocksAreErased() throws Exception {
        int names = 6;
        int batches = 1500;
        long capacity = 64 * 1024;
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = LogStore.requiredBlocks(capacity, probe) * BLOCK;
        LogStore store = Stores.mount(NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size), capacity);
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        Thread writer = new Thread(() -> {
            try {
                for (long generation = 1; generation <= batches; generation++) {
                    List<Change> batch = new ArrayList<>();
                    for (int i = 0; i < names; i++) {
                        batch.add(Stores.put("g" + i, generationValue(generation, i)));
                    }
                    store.apply(batch);
                }
            } catch (Throwable t) {
                error.compareAndSet(null, t);
            } finally {
                writing.set(false);
            }
        });
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(new Thread(() -> {
                try {
                    while (writing.get()) {
                        for (int i = 0; i < names; i++) {
                            Optional<byte[]> value = store.read(Namespace.KV, "g" + i, data -> {
                                byte[] bytes = new byte[data.remaining()];
                                data.get(bytes);
                                return bytes;
                            });
                            if (value.isEmpty()) {
                                continue;
                            }
                            byte[] bytes = value.get();
                            long generation = bytes.length < 8 ? -1 : ByteBuffer.wrap(bytes).getLong();
                            if (generation < 1 || !Arrays.equals(bytes, generationValue(generation, i))) {
                                throw new AssertionError("g" + i + " read as bytes no writer wrote");
                            }
                            reads.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        readers.forEach(Thread::start);
        writer.start();
        writer.join(TimeUnit.MINUTES.toMillis(2));
        for (Thread reader : readers) {
            reader.join(TimeUnit.MINUTES.toMillis(1));
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
        assertTrue(reads.get() > 0);
        assertTrue("collection ran under the readers", ViewTest.sum(store.eraseCounts()) > 0);
        for (int i = 0; i < names; i++) {
            assertArrayEquals(generationValue(batches, i), Stores.get(store, "g" + i));
        }
    }

    /**
     * The decoder itself rewrites the entry and churns the ring until the block under the slice it
     * was given is erased or reused, so the bytes it decodes are no longer the value: the read must
     * notice and read again, returning the new value, not what the first decode saw.
     */
    @Test
    public void aValueErasedUnderItsDecoderIsReadAgain() {
        LogStore store = store(64 * 1024);
        byte[] first = Stores.value(1, 900);
        byte[] second = Stores.value(2, 900);
        Stores.apply(store, Stores.put("victim", first));
        assertArrayEquals(first, Stores.get(store, "victim")); // checked once, so later reads go direct
        int[] decodes = {0};
        boolean[] changed = {false};
        Optional<byte[]> read = store.read(Namespace.KV, "victim", data -> {
            if (decodes[0]++ == 0) {
                Stores.apply(store, Stores.put("victim", second));
                for (int i = 0; i < 10_000 && !changed[0]; i++) {
                    Stores.apply(store, Stores.put("churn" + i % 8, Stores.value(100 + i, 2000)));
                    byte[] now = new byte[data.remaining()];
                    data.duplicate().get(now);
                    changed[0] = !Arrays.equals(now, first);
                }
            }
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            return bytes;
        });
        assertTrue("the churn erased or reused the first value's bytes", changed[0]);
        assertEquals("decoded again after the erase", 2, decodes[0]);
        assertArrayEquals(second, read.orElseThrow());
    }

    private static byte[] generationValue(long generation, int i) {
        byte[] value = Stores.value(generation * 31 + i, i == 0 ? 6000 : 16 + 8 * i);
        ByteBuffer.wrap(value).putLong(generation);
        return value;
    }

    @Test
    public void aDirectReadAgreesWithOpenOnHitsMissesAndEmptyValues() {
        LogStore store = store(64 * 1024);
        Stores.apply(store, Stores.put("a", Stores.bytes("alpha")), Stores.put("empty", new byte[0]));
        java.util.function.Function<ByteBuffer, String> utf8 = data -> java.nio.charset.StandardCharsets.UTF_8.decode(data)
                .toString();
        assertEquals(Optional.of("alpha"), store.read(Namespace.KV, "a", utf8)); // first read: checked through open
        assertEquals(Optional.of("alpha"), store.read(Namespace.KV, "a", utf8)); // then direct
        assertEquals(Optional.of(""), store.read(Namespace.KV, "empty", utf8));
        assertEquals(Optional.empty(), store.read(Namespace.KV, "absent", utf8));
        assertEquals(Optional.empty(), store.read(Namespace.IMAGE, "a", utf8));
        assertFalse(store.read(Namespace.KV, "a", data -> data.isReadOnly()).isEmpty());
        assertTrue(store.read(Namespace.KV, "a", ByteBuffer::isReadOnly).orElseThrow());
        assertEquals(0, ViewTest.sum(new long[] {store.pins(0)}));
    }

    @Test
    public void aDirectReadHitAllocatesOnlyWhatTheDecoderReturns() {
        LogStore store = store(64 * 1024);
        byte[] value = Stores.value(7, 100);
        Stores.apply(store, Stores.put("hit", value), Stores.put("other", Stores.bytes("o")));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        // The decoder returns a constant, so that whatever is allocated is the read's own.
        java.util.function.Function<ByteBuffer, Boolean> decoder =
                data -> data.remaining() == 100 && data.get(data.limit() - 1) == value[99];
        int calls = 200_000;
        int hits = 0;
        for (int i = 0; i < calls; i++) { // warm up; the first read checks the value through a pin
            hits += store.readOrNull(Namespace.KV, "hit", decoder) ? 1 : 0;
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            hits += store.readOrNull(Namespace.KV, "hit", decoder) ? 1 : 0;
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(2 * calls, hits);
        // A slice of the map for each read took 56 bytes.
        assertTrue(allocated + " bytes for " + calls + " hits", allocated < calls);
    }

    @Test
    public void aDecoderThatReadsAgainGetsABufferOfItsOwn() {
        LogStore store = store(64 * 1024);
        byte[] outer = Stores.value(1, 300);
        byte[] inner = Stores.value(2, 40);
        Stores.apply(store, Stores.put("outer", outer), Stores.put("inner", inner));
        java.util.function.Function<ByteBuffer, byte[]> copy = data -> {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            return bytes;
        };
        for (int round = 0; round < 2; round++) { // the first read of each value checks it through a pin
            byte[] read = store.readOrNull(Namespace.KV, "outer", data -> {
                int position = data.position();
                int limit = data.limit();
                assertArrayEquals(inner, store.readOrNull(Namespace.KV, "inner", copy));
                assertEquals(position, data.position());
                assertEquals(limit, data.limit());
                return copy.apply(data);
            });
            assertArrayEquals(outer, read);
            assertArrayEquals(inner, store.readOrNull(Namespace.KV, "inner", copy));
        }
    }

    @Test
    public void nothingADecoderLeavesOnItsBufferReachesTheNextRead() {
        LogStore store = store(64 * 1024);
        // "b" lies after "a" in the ring, so a mark left at "a" would still stand when "b" is read.
        Stores.apply(store, Stores.put("a", new byte[] {0, 0, 0, 1}));
        Stores.apply(store, Stores.put("b", new byte[] {0, 0, 0, 2}));
        for (int round = 0; round < 3; round++) { // the first read of each checks it through a pin
            assertEquals(Integer.valueOf(1), store.readOrNull(Namespace.KV, "a", data -> {
                int value = data.getInt(data.position());
                data.mark().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                return value;
            }));
            assertEquals(Integer.valueOf(2), store.readOrNull(Namespace.KV, "b", data -> {
                assertEquals(java.nio.ByteOrder.BIG_ENDIAN, data.order());
                assertThrows(java.nio.InvalidMarkException.class, data::reset);
                return data.getInt(data.position());
            }));
        }
    }
}
