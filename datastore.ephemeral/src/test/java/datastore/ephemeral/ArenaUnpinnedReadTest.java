package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.bytes;
import static datastore.ephemeral.ArenaFixture.isSelfChecking;
import static datastore.ephemeral.ArenaFixture.put;
import static datastore.ephemeral.ArenaFixture.selfChecking;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.DatastoreException;
import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.spi.Change;
import datastore.spi.EntryView;

/**
 * {@link Arena#read}: small values read without a pin. While writers overwrite, remove and force
 * compactions in a small arena, readers decoding through it never see a torn or foreign value, and the
 * unpinned path is the one that served most small reads. Values above
 * {@link Arena#OPTIMISTIC_READ_BYTES} go through a pinned view.
 */
public class ArenaUnpinnedReadTest {
    static final int NAMES = 40;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void readDecodesPresentValuesAndAnswersEmptyForAbsentOnes() {
        Arena arena = new Arena(folder.getRoot().toPath().resolve("read.arena"), 1024 * 1024, "launch");
        try {
            put(arena, Namespace.KV, "small", bytes("value"));
            byte[] large = ArenaFixture.filled(ArenaReader.OPTIMISTIC_READ_BYTES + 1, 7);
            put(arena, Namespace.IMAGE, "large", large);
            for (int i = 0; i < 3; i++) { // the first read verifies through a pin, the later ones do not pin
                assertArrayEquals(bytes("value"), arena.read(Namespace.KV, "small", ArenaFixture::copy).orElseThrow());
                assertArrayEquals(large, arena.read(Namespace.IMAGE, "large", ArenaFixture::copy).orElseThrow());
            }
            // A small verified value reaches the decoder as a private heap copy; a large one as the pinned,
            // read-only view of the mapping.
            assertTrue(arena.read(Namespace.KV, "small", ByteBuffer::hasArray).orElseThrow());
            assertTrue(arena.read(Namespace.IMAGE, "large", ByteBuffer::isReadOnly).orElseThrow());
            assertEquals(Optional.empty(), arena.read(Namespace.KV, "absent", ArenaFixture::copy));
            assertEquals(Optional.empty(), arena.read(Namespace.IMAGE, "small", ArenaFixture::copy));
            ArenaFixture.remove(arena, Namespace.KV, "small");
            assertEquals(Optional.empty(), arena.read(Namespace.KV, "small", ArenaFixture::copy));
            assertThrows(NullPointerException.class, () -> arena.read(Namespace.IMAGE, "large", data -> null));
        } finally {
            arena.close();
        }
        assertThrows(DatastoreException.class, () -> arena.read(Namespace.KV, "small", ArenaFixture::copy));
    }

    /**
     * A reader stalled between its check of the record header and its copy of the value while a
     * compaction slides another record of the same size over those bytes, and the writer has not
     * published yet (so neither the header nor the sequence lock can tell):
     * the retired slot sends the read round again, and it answers the moved record, never the other one.
     */
    @Test(timeout = 20_000)
    public void readStalledAcrossACompactionThatReusedItsBytesReadsAgain() throws Exception {
        // The arena is deterministic: a rehearsal finds the write that compacts, so that every write
        // before it (each one publishing) is done before the read starts, and only that one runs during it.
        Arena rehearsal = new Arena(folder.getRoot().toPath().resolve("rehearsal.arena"), 64 * 1024, "launch");
        int writesBefore = 0;
        try {
            prepareVictim(rehearsal);
            while (rehearsal.compactions() == 0) {
                put(rehearsal, Namespace.KV, "x", selfChecking("x", writesBefore++, 4000));
            }
            writesBefore--;
        } finally {
            rehearsal.close();
        }

        Arena arena = new Arena(folder.getRoot().toPath().resolve("stalled.arena"), 64 * 1024, "launch");
        try {
            byte[] victim = prepareVictim(arena);
            for (int i = 0; i < writesBefore; i++) {
                put(arena, Namespace.KV, "x", selfChecking("x", i, 4000));
            }
            assertEquals(0, arena.compactions());
            int compacting = writesBefore;
            CountDownLatch compacted = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            arena.beforeCommit = () -> {
                compacted.countDown();
                await(release);
            };
            Thread writer = new Thread(() -> put(arena, Namespace.KV, "x", selfChecking("x", compacting, 4000)),
                    "compacting-writer");
            AtomicInteger stalls = new AtomicInteger();
            arena.beforeCopy = () -> {
                if (stalls.incrementAndGet() == 1) {
                    writer.start();
                    await(compacted);
                }
            };
            byte[] read = arena.read(Namespace.KV, "v", ArenaFixture::copy).orElseThrow();
            arena.beforeCopy = null;
            release.countDown();
            writer.join();
            assertEquals("the write compacted while the reader was stalled", 1, arena.compactions());
            assertArrayEquals(victim, read);
            assertArrayEquals(victim, arena.read(Namespace.KV, "v", ArenaFixture::copy).orElseThrow());
        } finally {
            arena.close();
        }
    }

    /**
     * Records d, v and w of one size, then d removed: the next compaction slides v down into d's place
     * and w into v's. Reads v once, so that its record is verified and later reads of it are unpinned.
     */
    private static byte[] prepareVictim(Arena arena) {
        byte[] victim = selfChecking("v", 1, 2000);
        put(arena, Namespace.KV, "d", selfChecking("d", 2, 2000));
        put(arena, Namespace.KV, "v", victim);
        put(arena, Namespace.KV, "w", selfChecking("w", 3, 2000));
        ArenaFixture.remove(arena, Namespace.KV, "d");
        assertArrayEquals(victim, arena.read(Namespace.KV, "v", ArenaFixture::copy).orElseThrow());
        return victim;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out waiting for the other thread");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    public void unpinnedReadsNeverSeeTornOrForeignValuesWhileWritersChurn() throws Exception {
        Path file = folder.getRoot().toPath().resolve("unpinned.arena");
        Arena arena = new Arena(file, 256 * 1024, "launch");
        // A writer that pauses between moving records (compaction) and publishing its batch: the window
        // in which only the retired slot, not the sequence lock, tells a reader that its bytes moved.
        arena.beforeCommit = () -> LockSupport.parkNanos(20_000);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong unpinned = new AtomicLong();
        AtomicLong pinned = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int writer = w;
                writers.add(threads.submit((Callable<Void>) () -> {
                    write(arena, writer);
                    return null;
                }));
            }
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int reader = r;
                readers.add(threads.submit((Callable<Void>) () -> {
                    read(arena, reader, writing, unpinned, pinned);
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get(60, TimeUnit.SECONDS);
            }
            writing.set(false);
            for (Future<?> reader : readers) {
                reader.get(60, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
            threads.shutdownNow();
        }
        try {
            assertTrue("unpinned reads must have verified values: " + unpinned, unpinned.get() > 1000);
            assertTrue("the writers must have made the arena compact", arena.compactions() > 0);
            for (String name : arena.names(Namespace.KV)) {
                assertTrue(name, arena.read(Namespace.KV, name, data -> isSelfChecking(name, data)).orElseThrow());
            }
        } finally {
            arena.close();
        }
    }

    /** Overwrites and removes the names in batches, most values small, some above the unpinned limit. */
    private static void write(Arena arena, int writer) {
        SplittableRandom random = new SplittableRandom(writer);
        for (int i = 0; i < 4_000; i++) {
            List<Change> batch = new ArrayList<>();
            int changes = random.nextInt(5) == 0 ? 3 : 1;
            for (int c = 0; c < changes; c++) {
                String name = "name-" + random.nextInt(NAMES);
                if (random.nextInt(6) == 0) {
                    batch.add(Change.remove(Namespace.KV, name));
                } else {
                    int size = random.nextInt(10) == 0 ? 4000 + random.nextInt(8_000) : 12 + random.nextInt(300);
                    batch.add(Change.put(Namespace.KV, name, 0,
                            ByteBuffer.wrap(selfChecking(name, random.nextLong(), size))));
                }
            }
            try {
                arena.apply(batch);
            } catch (PartitionFullException full) {
                // Expected now and then in a small arena; the batch changed nothing.
            }
        }
    }

    private static void read(Arena arena, int reader, AtomicBoolean writing, AtomicLong unpinned, AtomicLong pinned) {
        SplittableRandom random = new SplittableRandom(100 + reader);
        long iterations = 0;
        while (writing.get() && iterations++ < 5_000_000) {
            String name = "name-" + random.nextInt(NAMES);
            // The decoder sees the bytes only once they are validated: check them there, and after.
            Optional<byte[]> value = arena.read(Namespace.KV, name, data -> {
                if (!isSelfChecking(name, data)) {
                    throw new AssertionError("torn or foreign value for " + name);
                }
                (data.hasArray() ? unpinned : pinned).incrementAndGet();
                return ArenaFixture.copy(data);
            });
            if (value.isPresent()) {
                assertTrue(name, isSelfChecking(name, ByteBuffer.wrap(value.get())));
                assertFalse(value.get().length == 0);
            }
            // Now and then a pinned view held across the next reads, so compaction must leave gaps.
            if (random.nextInt(100) == 0) {
                Optional<EntryView> view = arena.open(Namespace.KV, name);
                if (view.isPresent()) {
                    try (EntryView held = view.get()) {
                        byte[] before = ArenaFixture.copy(held.data());
                        for (int i = 0; i < 20; i++) {
                            String other = "name-" + random.nextInt(NAMES);
                            arena.read(Namespace.KV, other, data -> isSelfChecking(other, data) ? Boolean.TRUE : fail(other));
                        }
                        assertArrayEquals(before, ArenaFixture.copy(held.data()));
                    }
                }
            }
        }
    }

    private static Boolean fail(String name) {
        throw new AssertionError("torn or foreign value for " + name);
    }
}
