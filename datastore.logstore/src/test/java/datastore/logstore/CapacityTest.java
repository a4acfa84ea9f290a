package datastore.logstore;

import static datastore.logstore.Stores.get;
import static datastore.logstore.Stores.put;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;

import org.junit.Test;

/**
 * The promise: the configured payload always fits in a region of the required size, whatever came
 * before, including the worst cases the size formula is built on; one byte or one entry more is
 * refused and changes nothing.
 */
public class CapacityTest {
    static final int BLOCK = 4096;
    static final long CAPACITY = 40 * 1024;
    static final int ENTRIES = 64;

    static FlashRegion minimalRegion() {
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = LogStore.requiredBlocks(CAPACITY, ENTRIES, probe) * BLOCK;
        return NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size);
    }

    @Test
    public void exactlyTheCapacityFitsAfterHeavyChurnAndOneByteMoreDoesNot() {
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY, ENTRIES);
        Random random = new Random(3);
        for (int i = 0; i < 3000; i++) {
            String name = "c" + random.nextInt(40);
            int length = random.nextInt(10) == 0 ? 5000 + random.nextInt(6000) : random.nextInt(400);
            List<Change> write = List.of(put(name, Stores.value(i, length)));
            try {
                store.apply(write);
            } catch (PartitionFullException full) {
                store.apply(List.of(Stores.remove(name)));
            }
            if (random.nextInt(8) == 0) {
                store.apply(List.of(Stores.remove("c" + random.nextInt(40))));
            }
        }
        store.clear();
        // Fill to the byte: 32 entries of mixed sizes, the last one takes up the remainder.
        Map<String, byte[]> model = new HashMap<>();
        long left = CAPACITY;
        for (int i = 0; i < 32; i++) {
            String name = "f" + i;
            int length = i == 31 ? (int) (left - name.length()) : (i % 4 == 0 ? 4000 : 300);
            byte[] value = Stores.value(10_000 + i, length);
            store.apply(List.of(put(name, value)));
            model.put(name, value);
            left -= name.length() + length;
        }
        assertEquals(CAPACITY, store.usage().used());
        PartitionFullException full = assertThrows(PartitionFullException.class,
                () -> store.apply(List.of(put("x", new byte[0]))));
        assertEquals(CAPACITY + 1, full.required());
        assertEquals(CAPACITY, full.available());
        byte[] grown = Stores.value(1, model.get("f1").length + 1);
        assertThrows(PartitionFullException.class, () -> store.apply(List.of(put("f1", grown))));
        assertNull(get(store, "x"));
        LogStore again = Stores.mount(region, CAPACITY, ENTRIES);
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getValue(), get(again, e.getKey()));
        }
        assertEquals(CAPACITY, again.usage().used());
        assertTrue(again.problems().toString(), again.problems().isEmpty());
    }

    @Test
    public void aBatchReplacingEveryEntryAtFullCapacityFits() {
        // The worst case the size formula is built on: the maximum number of entries, each its own
        // record, replaced by one batch while they are all still live; and again, and again.
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY, ENTRIES);
        int each = (int) (CAPACITY / ENTRIES) - 3;
        for (int i = 0; i < ENTRIES; i++) {
            store.apply(List.of(put(String.format("e%02d", i), Stores.value(i, each))));
        }
        assertEquals(CAPACITY, store.usage().used());
        for (int round = 1; round <= 5; round++) {
            List<Change> batch = new ArrayList<>();
            for (int i = 0; i < ENTRIES; i++) {
                batch.add(put(String.format("e%02d", i), Stores.value(round * 1000 + i, each)));
            }
            store.apply(batch);
        }
        LogStore again = Stores.mount(region, CAPACITY, ENTRIES);
        for (int i = 0; i < ENTRIES; i++) {
            assertArrayEquals(Stores.value(5000 + i, each), get(again, String.format("e%02d", i)));
        }
        // And back from one batch to singletons, then large values at the threshold.
        for (int i = 0; i < ENTRIES; i++) {
            again.apply(List.of(put(String.format("e%02d", i), Stores.value(9000 + i, each))));
        }
        again.clear();
        int large = (int) (CAPACITY / 3) - 2;
        for (int round = 0; round < 6; round++) {
            List<Change> batch = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                batch.add(put("L" + i, Stores.value(round * 10 + i, large)));
            }
            again.apply(batch);
        }
        assertEquals(3L * (2 + large), again.usage().used());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Stores.value(50 + i, large), get(again, "L" + i));
        }
    }

    @Test
    public void theEntryLimitIsEnforcedAndChangesNothing() {
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY, ENTRIES);
        for (int i = 0; i < ENTRIES; i++) {
            store.apply(List.of(put("n" + i, new byte[] {(byte) i})));
        }
        PartitionFullException full = assertThrows(PartitionFullException.class,
                () -> store.apply(List.of(put("n0", new byte[] {9}), put("one-more", new byte[1]))));
        assertTrue(full.getMessage(), full.getMessage().contains(ENTRIES + 1 + " entries of a limit of " + ENTRIES));
        assertArrayEquals(new byte[] {0}, get(store, "n0"));
        assertNull(get(store, "one-more"));
        // Replacing and removing within the limit still works.
        store.apply(List.of(Stores.remove("n1"), put("other", new byte[1])));
        assertEquals(ENTRIES, store.usage().entries().get(Namespace.KV).intValue());
        assertNull(get(store, "n1"));
    }

    @Test
    public void oneWriteCarryingMoreThanTheCapacityIsRefusedAndChangesNothing() {
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY, ENTRIES);
        int each = (int) (CAPACITY / 8) - 2;
        List<Change> old = new ArrayList<>();
        List<Change> replacement = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            old.add(put("a" + i, Stores.value(i, each)));
            replacement.add(Stores.remove("a" + i));
            replacement.add(put("b" + i, Stores.value(100 + i, each)));
        }
        store.apply(old);
        // The new entries fill the capacity, and the removed names ride along in the same record.
        PartitionFullException e = assertThrows(WriteTooLargeException.class, () -> store.apply(replacement));
        assertTrue(e.getMessage(), e.getMessage().contains("names of removed entries included"));
        assertArrayEquals(Stores.value(3, each), get(store, "a3"));
        assertNull(get(store, "b3"));
        assertEquals(CAPACITY, store.usage().used());
        // Split in two, the same change goes through.
        store.apply(replacement.subList(0, 8));
        store.apply(replacement.subList(8, 16));
        LogStore again = Stores.mount(region, CAPACITY, ENTRIES);
        assertEquals(List.of("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"), again.names(Namespace.KV));
        assertArrayEquals(Stores.value(105, each), get(again, "b5"));
    }
}
