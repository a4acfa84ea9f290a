package datastore.ephemeral;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * A batch becomes visible to readers all at once. One writer commits batches that set {@code KEYS}
 * names to the same generation (so commit order and generation order agree); readers look the names
 * up one {@code open()} at a time, in the order the batch lists them. Each open is a read at one
 * instant, so once a reader has seen generation {@code g} on one name, every later read of another
 * name must show {@code g} or newer: a batch published name by name shows up as a later read going
 * back to an older generation. Listings and usage, each one snapshot, must show all of a batch or
 * none of it.
 */
public class ArenaBatchVisibilityTest {
    static final int KEYS = 8;
    static final int BATCHES = 20_000;
    static final int VALUE_BYTES = 24;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void readersNeverSeePartOfABatch() throws Exception {
        Path file = folder.getRoot().toPath().resolve("batches.arena");
        Arena arena = new Arena(file, 1024 * 1024, "launch");
        arena.apply(batch(0));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong passes = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            Future<?> writer = threads.submit((Callable<Void>) () -> {
                try {
                    for (long generation = 1; generation <= BATCHES; generation++) {
                        arena.apply(batch(generation));
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(threads.submit((Callable<Void>) () -> {
                    readPasses(arena, writing, passes);
                    return null;
                }));
            }
            writer.get(60, TimeUnit.SECONDS);
            for (Future<?> reader : readers) {
                reader.get(60, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
            threads.shutdownNow();
            arena.close();
        }
        assertTrue("the readers must have read while the writer ran", passes.get() > 100);
    }

    @Test
    public void listingsAndUsageShowAllOfABatchOrNone() throws Exception {
        Path file = folder.getRoot().toPath().resolve("listings.arena");
        Arena arena = new Arena(file, 1024 * 1024, "launch");
        arena.apply(List.of(Change.put(Namespace.KV, "bystander", 0, ByteBuffer.wrap(new byte[VALUE_BYTES]))));
        long bystander = "bystander".length() + VALUE_BYTES;
        long full = bystander + KEYS * (long) (key(0).length() + VALUE_BYTES);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong snapshots = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            Future<?> writer = threads.submit((Callable<Void>) () -> {
                try {
                    List<Change> removeAll = new ArrayList<>();
                    for (int i = 0; i < KEYS; i++) {
                        removeAll.add(Change.remove(Namespace.KV, key(i)));
                    }
                    for (long generation = 1; generation <= BATCHES / 2; generation++) {
                        arena.apply(batch(generation));
                        arena.apply(removeAll);
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(threads.submit((Callable<Void>) () -> {
                    while (writing.get()) {
                        Set<String> names = new HashSet<>(arena.names(Namespace.KV));
                        int present = names.size() - (names.contains("bystander") ? 1 : 0);
                        if (!names.contains("bystander") || present != 0 && present != KEYS) {
                            throw new AssertionError("a listing shows part of a batch: " + names);
                        }
                        PartitionUsage usage = arena.usage();
                        int entries = usage.entries().get(Namespace.KV);
                        boolean none = entries == 1 && usage.used() == bystander;
                        boolean all = entries == KEYS + 1 && usage.used() == full;
                        if (!none && !all) {
                            throw new AssertionError("usage shows part of a batch: " + entries + " entries, "
                                    + usage.used() + " bytes");
                        }
                        snapshots.incrementAndGet();
                    }
                    return null;
                }));
            }
            writer.get(60, TimeUnit.SECONDS);
            for (Future<?> reader : readers) {
                reader.get(60, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
            threads.shutdownNow();
            arena.close();
        }
        assertTrue("the readers must have listed while the writer ran", snapshots.get() > 100);
    }

    private static void readPasses(Arena arena, AtomicBoolean writing, AtomicLong passes) {
        long[] generations = new long[KEYS];
        long[] revisions = new long[KEYS];
        while (writing.get()) {
            for (int i = 0; i < KEYS; i++) {
                Optional<EntryView> opened = arena.open(Namespace.KV, key(i));
                if (opened.isEmpty()) {
                    throw new AssertionError(key(i) + " vanished; no batch removes it");
                }
                try (EntryView view = opened.get()) {
                    ByteBuffer data = view.data();
                    generations[i] = data.getLong(0);
                    assertEquals("the value of " + key(i) + " names its key", i, data.getInt(8));
                    revisions[i] = view.revision();
                }
                if (i > 0 && generations[i] < generations[i - 1]) {
                    throw new AssertionError("part of a batch: " + key(i - 1) + " was at generation "
                            + generations[i - 1] + ", then " + key(i) + " still at " + generations[i]);
                }
            }
            // Names of one generation were written by one batch: consecutive revisions, in list order.
            for (int i = 1; i < KEYS; i++) {
                if (generations[i] == generations[i - 1] && revisions[i] != revisions[i - 1] + 1) {
                    throw new AssertionError("generation " + generations[i] + " of " + key(i)
                            + " does not come from the batch of " + key(i - 1));
                }
            }
            passes.incrementAndGet();
        }
    }

    private static List<Change> batch(long generation) {
        List<Change> changes = new ArrayList<>(KEYS);
        for (int i = 0; i < KEYS; i++) {
            ByteBuffer value = ByteBuffer.allocate(VALUE_BYTES);
            value.putLong(0, generation).putInt(8, i);
            changes.add(Change.put(Namespace.KV, key(i), 0, value));
        }
        return changes;
    }

    private static String key(int i) {
        return "key-" + i;
    }
}
