package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.filled;
import static datastore.ephemeral.ArenaFixture.get;
import static datastore.ephemeral.ArenaFixture.put;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.spi.Change;
import datastore.spi.EntryView;

/**
 * The capacity promise: whatever the history of overwrites, removals and views, exactly the
 * configured payload fits, one more byte does not, and a refused write changes nothing.
 */
public class ArenaCapacityTest {
    static final long CAPACITY = 1024 * 1024;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private record Key(Namespace namespace, String name) {
        long payload(byte[] value) {
            return name.getBytes(StandardCharsets.UTF_8).length + (long) value.length;
        }
    }

    private final Map<Key, byte[]> model = new HashMap<>();
    private long modelUsed;

    @Test
    public void capacitySizedPayloadFitsAfterHeavyChurn() {
        Path file = folder.getRoot().toPath().resolve("capacity.arena");
        Arena arena = new Arena(file, CAPACITY, "launch");
        SplittableRandom random = new SplittableRandom(20240611);
        int refused = 0;
        List<EntryView> heldViews = new ArrayList<>();
        for (int op = 0; op < 4000; op++) {
            List<Change> batch = new ArrayList<>();
            int changes = random.nextInt(8) == 0 ? 2 + random.nextInt(3) : 1;
            for (int c = 0; c < changes; c++) {
                Namespace namespace = random.nextBoolean() ? Namespace.KV : Namespace.IMAGE;
                String name = "n" + random.nextInt(150);
                if (random.nextInt(5) == 0) {
                    batch.add(Change.remove(namespace, name));
                } else {
                    int limit = namespace == Namespace.KV ? Namespace.KV.maxValueBytes() : 180_000;
                    int size = random.nextInt(4) == 0 ? random.nextInt(limit + 1) : random.nextInt(2000);
                    batch.add(Change.put(namespace, name, 0, ByteBuffer.wrap(filled(size, op * 10 + c))));
                }
            }
            try {
                arena.apply(batch);
                applyToModel(batch);
            } catch (PartitionFullException full) {
                refused++;
                assertEquals(modelUsed, arena.usage().used());
                assertTrue(full.required() > CAPACITY);
            }
            // Now and then a view pins a record for a while, so compaction meets obstacles.
            if (op % 97 == 0 && !model.isEmpty()) {
                Key key = model.keySet().iterator().next();
                heldViews.add(arena.open(key.namespace(), key.name()).orElseThrow());
            }
            if (heldViews.size() > 3) {
                heldViews.remove(0).close();
            }
        }
        heldViews.forEach(EntryView::close);
        assertTrue("the churn must hit the capacity now and then", refused > 0);
        assertTrue("the churn must compact", arena.compactions() > 10);
        assertModel(arena);

        // Fill the remaining payload exactly, with entries of varying sizes.
        int filler = 0;
        while (CAPACITY - modelUsed > 200) {
            String name = "fill-" + filler;
            int size = (int) Math.min(CAPACITY - modelUsed - name.length() - 1, 1000 + (filler * 7919L) % 150_000);
            putAndModel(arena, Namespace.IMAGE, name, filled(size, 5000 + filler));
            filler++;
        }
        String last = "x";
        putAndModel(arena, Namespace.FONT, last, filled((int) (CAPACITY - modelUsed - 1), 99));
        assertEquals(CAPACITY, arena.usage().used());
        assertEquals(CAPACITY, modelUsed);
        assertThrows(PartitionFullException.class, () -> put(arena, Namespace.KV, "y", new byte[0]));
        int lastLength = model.get(new Key(Namespace.FONT, last)).length;
        assertThrows(PartitionFullException.class, () -> put(arena, Namespace.FONT, last, filled(lastLength + 1, 1)));
        assertModel(arena);

        // At full capacity, keep moving bytes between entries: every write needs compaction to fit.
        List<Key> keys = new ArrayList<>(model.keySet());
        for (int round = 0; round < 400; round++) {
            Key from = keys.get(random.nextInt(keys.size()));
            Key to = keys.get(random.nextInt(keys.size()));
            if (from.equals(to) || from.namespace() == Namespace.KV || to.namespace() == Namespace.KV) {
                continue;
            }
            int delta = Math.min(model.get(from).length, random.nextInt(60_000));
            byte[] smaller = filled(model.get(from).length - delta, round);
            byte[] larger = filled(model.get(to).length + delta, round + 1);
            List<Change> swap = List.of(Change.put(from.namespace(), from.name(), 0, ByteBuffer.wrap(smaller)),
                    Change.put(to.namespace(), to.name(), 0, ByteBuffer.wrap(larger)));
            arena.apply(swap);
            applyToModel(swap);
        }
        assertEquals(CAPACITY, arena.usage().used());
        assertModel(arena);
        // The arena stays close to its live set: capacity, record overhead and the slack.
        assertTrue("arena grew to " + arena.mappedBytes(), arena.mappedBytes() <= CAPACITY * 3 / 2);
        long mapped = arena.mappedBytes();
        arena.close();

        Arena reopened = new Arena(file, CAPACITY, "launch");
        try {
            assertEquals(CAPACITY, reopened.usage().used());
            assertModel(reopened);
            assertEquals(mapped, reopened.mappedBytes());
        } finally {
            reopened.close();
        }
    }

    private void putAndModel(Arena arena, Namespace namespace, String name, byte[] value) {
        List<Change> change = List.of(Change.put(namespace, name, 0, ByteBuffer.wrap(value)));
        arena.apply(change);
        applyToModel(change);
    }

    private void applyToModel(List<Change> batch) {
        for (Change change : batch) {
            Key key = new Key(change.namespace(), change.name());
            byte[] old = change.isRemoval() ? model.remove(key) : model.put(key, ArenaFixture.copy(change.data()));
            if (old != null) {
                modelUsed -= key.payload(old);
            }
            if (!change.isRemoval()) {
                modelUsed += key.payload(model.get(key));
            }
        }
    }

    private void assertModel(Arena arena) {
        assertEquals(modelUsed, arena.usage().used());
        int entries = 0;
        for (Namespace namespace : Namespace.values()) {
            for (String name : arena.names(namespace)) {
                entries++;
                assertTrue(namespace + " " + name, model.containsKey(new Key(namespace, name)));
            }
        }
        assertEquals(model.size(), entries);
        for (Map.Entry<Key, byte[]> entry : model.entrySet()) {
            assertArrayEquals(entry.getKey().toString(), entry.getValue(),
                    get(arena, entry.getKey().namespace(), entry.getKey().name()));
        }
    }
}
