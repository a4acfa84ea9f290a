package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.isSelfChecking;
import static datastore.ephemeral.ArenaFixture.selfChecking;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.spi.Change;
import datastore.spi.EntryView;

/**
 * Readers and writers at once, in a small arena that compacts often: a reader never sees a torn or
 * foreign value, a view held while writers run keeps its bytes, and a name's revision never goes back.
 */
public class ArenaConcurrencyTest {
    static final int NAMES = 40;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void readersNeverSeeTornValuesWhileWritersChurn() throws Exception {
        Path file = folder.getRoot().toPath().resolve("concurrent.arena");
        Arena arena = new Arena(file, 256 * 1024, "launch");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong verifiedReads = new AtomicLong();
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
                    read(arena, reader, writing, verifiedReads);
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
        assertTrue("readers must have verified values", verifiedReads.get() > 1000);
        assertTrue("the writers must have made the arena compact", arena.compactions() > 0);

        // Every name is intact, and the same after a reopen.
        Map<String, Long> revisions = new HashMap<>();
        for (String name : arena.names(Namespace.KV)) {
            try (EntryView view = arena.open(Namespace.KV, name).orElseThrow()) {
                assertTrue(name, isSelfChecking(name, view.data()));
                revisions.put(name, view.revision());
            }
        }
        arena.close();
        Arena reopened = new Arena(file, 256 * 1024, "launch");
        try {
            assertEquals(revisions.keySet(), new java.util.HashSet<>(reopened.names(Namespace.KV)));
            for (String name : reopened.names(Namespace.KV)) {
                try (EntryView view = reopened.open(Namespace.KV, name).orElseThrow()) {
                    assertTrue(name, isSelfChecking(name, view.data()));
                    assertEquals(revisions.get(name), Long.valueOf(view.revision()));
                }
            }
        } finally {
            reopened.close();
        }
    }

    private static void write(Arena arena, int writer) {
        SplittableRandom random = new SplittableRandom(writer);
        for (int i = 0; i < 2500; i++) {
            List<Change> batch = new ArrayList<>();
            int changes = random.nextInt(5) == 0 ? 3 : 1;
            for (int c = 0; c < changes; c++) {
                String name = "name-" + random.nextInt(NAMES);
                if (random.nextInt(6) == 0) {
                    batch.add(Change.remove(Namespace.KV, name));
                } else {
                    int size = random.nextInt(8) == 0 ? 4000 + random.nextInt(12_000) : 12 + random.nextInt(600);
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

    private static void read(Arena arena, int reader, AtomicBoolean writing, AtomicLong verified) {
        SplittableRandom random = new SplittableRandom(100 + reader);
        Map<String, Long> lastRevision = new HashMap<>();
        ArrayDeque<EntryView> held = new ArrayDeque<>();
        ArrayDeque<byte[]> heldCopies = new ArrayDeque<>();
        long iterations = 0;
        while (writing.get() && iterations++ < 5_000_000) {
            String name = "name-" + random.nextInt(NAMES);
            Optional<EntryView> opened = arena.open(Namespace.KV, name);
            if (opened.isEmpty()) {
                continue;
            }
            EntryView view = opened.get();
            ByteBuffer data = view.data();
            if (!isSelfChecking(name, data)) {
                view.close();
                throw new AssertionError("torn or foreign value for " + name + " at revision " + view.revision());
            }
            Long previous = lastRevision.put(name, view.revision());
            if (previous != null && previous > view.revision()) {
                throw new AssertionError(name + " went back from revision " + previous + " to " + view.revision());
            }
            verified.incrementAndGet();
            if (random.nextInt(50) == 0) {
                held.add(view);
                heldCopies.add(ArenaFixture.copy(data));
                if (held.size() > 6) {
                    releaseOldest(held, heldCopies);
                }
            } else {
                view.close();
            }
        }
        while (!held.isEmpty()) {
            releaseOldest(held, heldCopies);
        }
    }

    private static void releaseOldest(ArrayDeque<EntryView> held, ArrayDeque<byte[]> copies) {
        EntryView view = held.poll();
        byte[] expected = copies.poll();
        if (!java.util.Arrays.equals(expected, ArenaFixture.copy(view.data()))) {
            throw new AssertionError("the bytes of a held view of " + view.name() + " changed");
        }
        view.close();
    }
}
