package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.EntryView;

import org.junit.Test;

/**
 * Several writers and readers at once: every returned write is durable after a remount, readers
 * only ever see values some writer wrote, and concurrent writers share syncs.
 */
public class ConcurrencyTest {
    static final int BLOCK = 4096;
    static final int WRITERS = 8;
    static final int WRITES = 300;

    /** A region that counts syncs and makes each take a millisecond, like an fsync. */
    static final class SlowSync implements FlashRegion {
        final FlashRegion target;
        final AtomicLong syncs = new AtomicLong();

        SlowSync(FlashRegion target) {
            this.target = target;
        }

        @Override
        public String name() {
            return target.name();
        }

        @Override
        public FlashGeometry geometry() {
            return target.geometry();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            target.read(offset, dst);
        }

        @Override
        public void program(long offset, ByteBuffer src) throws IOException {
            target.program(offset, src);
        }

        @Override
        public void erase(int block) throws IOException {
            target.erase(block);
        }

        @Override
        public void sync() throws IOException {
            syncs.incrementAndGet();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            target.sync();
        }

        @Override
        public ByteBuffer map() throws IOException {
            return target.map();
        }

        @Override
        public long eraseCount(int block) throws IOException {
            return target.eraseCount(block);
        }
    }

    /** Value of writer w's i-th write: its first 8 bytes say who wrote it, the rest follow from that. */
    static byte[] value(int writer, int i) {
        byte[] v = Stores.value(writer * 100_000L + i, 64 + (writer * 37 + i) % 400);
        ByteBuffer.wrap(v).putInt(writer).putInt(i);
        return v;
    }

    @Test
    public void concurrentWritersShareSyncsAndEveryReturnedWriteIsDurable() throws Exception {
        long capacity = 64 * 1024;
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = LogStore.requiredBlocks(capacity, probe) * BLOCK;
        FlashRegion base = NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size);
        SlowSync region = new SlowSync(base);
        LogStore store = Stores.mount(region, capacity);

        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < WRITES; i++) {
                        // Each writer owns four names and also writes a pair atomically.
                        String name = "w" + writer + "-" + i % 4;
                        store.apply(List.of(Stores.put(name, value(writer, i)),
                                Stores.put("pair" + writer + "a", value(writer, i)),
                                Stores.put("pair" + writer + "b", value(writer, i))));
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    while (writing.get()) {
                        for (int w = 0; w < WRITERS; w++) {
                            byte[] a = read(store, "pair" + w + "a");
                            if (a != null) {
                                ByteBuffer header = ByteBuffer.wrap(a);
                                int writer = header.getInt();
                                int i = header.getInt();
                                if (writer != w || !Arrays.equals(a, value(writer, i))) {
                                    throw new AssertionError("reader saw bytes no writer wrote for pair" + w);
                                }
                                reads.incrementAndGet();
                            }
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (int t = 0; t < WRITERS; t++) {
            threads.get(t).join(TimeUnit.MINUTES.toMillis(1));
        }
        writing.set(false);
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(1));
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
        long applies = (long) WRITERS * WRITES;
        System.out.println("group-commit: writers=" + WRITERS + " writes=" + applies + " syncs=" + region.syncs.get());
        assertTrue("writers shared syncs: " + region.syncs.get() + " syncs for " + applies + " writes",
                region.syncs.get() < applies);
        assertTrue(reads.get() > 0);

        LogStore again = Stores.mount(base, capacity);
        for (int w = 0; w < WRITERS; w++) {
            for (int k = 0; k < 4; k++) {
                int last = WRITES - 4 + k;
                assertArrayEquals(value(w, last), Stores.get(again, "w" + w + "-" + k));
            }
            assertArrayEquals(value(w, WRITES - 1), Stores.get(again, "pair" + w + "a"));
            assertArrayEquals(value(w, WRITES - 1), Stores.get(again, "pair" + w + "b"));
        }
        assertEquals(WRITERS * 6, again.names(Namespace.KV).size());
    }

    static byte[] read(LogStore store, String name) {
        Optional<EntryView> view = store.open(Namespace.KV, name);
        if (view.isEmpty()) {
            return null;
        }
        try (EntryView v = view.get()) {
            ByteBuffer data = v.data();
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            return bytes;
        }
    }

    /**
     * One writer applies batches that set every one of a set of names to the same generation (one
     * value spans blocks, so collection runs meanwhile); readers read all the names again and again,
     * in both orders. A reader must never see a newer generation and then an older one, and during a
     * pass in which no group was published (the publication counter did not move) it must see a
     * single generation.
     */
    @Test
    public void aBatchBecomesVisibleToReadersAllAtOnce() throws Exception {
        int names = 8;
        int batches = 2000;
        long capacity = 64 * 1024;
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = LogStore.requiredBlocks(capacity, probe) * BLOCK;
        LogStore store = Stores.mount(NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size), capacity);
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong passes = new AtomicLong();
        AtomicLong quietPasses = new AtomicLong();
        AtomicLong mixedPasses = new AtomicLong();
        Thread writer = new Thread(() -> {
            try {
                for (long generation = 1; generation <= batches; generation++) {
                    List<datastore.spi.Change> batch = new ArrayList<>();
                    for (int i = 0; i < names; i++) {
                        byte[] value = Stores.value(generation * names + i, i == 0 ? 6000 : 16 + 8 * i);
                        ByteBuffer.wrap(value).putLong(generation);
                        batch.add(Stores.put("g" + i, value));
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
                    for (long pass = 0; writing.get(); pass++) {
                        long before = store.version();
                        long newest = 0;
                        long oldest = Long.MAX_VALUE;
                        for (int k = 0; k < names; k++) {
                            int i = pass % 2 == 0 ? k : names - 1 - k;
                            byte[] value = read(store, "g" + i);
                            long generation = value == null ? 0 : ByteBuffer.wrap(value).getLong();
                            if (generation < newest) {
                                mixedPasses.incrementAndGet();
                                throw new AssertionError("read generation " + generation + " of g" + i + " after "
                                        + newest + " in the same pass");
                            }
                            newest = generation;
                            oldest = Math.min(oldest, generation);
                        }
                        passes.incrementAndGet();
                        if (store.version() == before && (before & 1) == 0) {
                            quietPasses.incrementAndGet();
                            if (oldest != newest) {
                                mixedPasses.incrementAndGet();
                                throw new AssertionError("generations " + oldest + " to " + newest
                                        + " in a pass during which nothing was published");
                            }
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        readers.forEach(Thread::start);
        writer.start();
        writer.join(TimeUnit.MINUTES.toMillis(1));
        for (Thread reader : readers) {
            reader.join(TimeUnit.MINUTES.toMillis(1));
        }
        System.out.println("atomic batches: batches=" + batches + " reader passes=" + passes.get() + " quiet passes="
                + quietPasses.get() + " mixed=" + mixedPasses.get());
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
        assertTrue("readers made passes", passes.get() > 0);
        assertTrue("collection ran under the readers", ViewTest.sum(store.eraseCounts()) > 0);
        for (int i = 0; i < names; i++) {
            assertEquals(batches, ByteBuffer.wrap(read(store, "g" + i)).getLong());
        }
    }
}
