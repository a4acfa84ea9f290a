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
 * The promise: whatever fits the capacity (names, values and the entry charge of each entry) always fits
 * in a region of the required size, whatever came before and whatever the mix, including the worst
 * cases the size formula is built on; one byte more is refused and changes nothing. There is no
 * separate limit on the number of entries.
 */
public class CapacityTest {
    static final int BLOCK = 4096;
    static final long CAPACITY = 40 * 1024;
    static final int CHARGE = RuntimePromise.ENTRY_CHARGE;

    static FlashRegion minimalRegion() {
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = LogStore.requiredBlocks(CAPACITY, probe) * BLOCK;
        return NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size);
    }

    @Test
    public void exactlyTheCapacityFitsAfterHeavyChurnAndOneByteMoreDoesNot() {
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY);
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
            int length = i == 31 ? (int) (left - name.length() - CHARGE) : (i % 4 == 0 ? 4000 : 300);
            byte[] value = Stores.value(10_000 + i, length);
            store.apply(List.of(put(name, value)));
            model.put(name, value);
            left -= name.length() + length + CHARGE;
        }
        assertEquals(CAPACITY, store.usage().used());
        PartitionFullException full = assertThrows(PartitionFullException.class,
                () -> store.apply(List.of(put("x", new byte[0]))));
        assertEquals(CAPACITY + 1 + CHARGE, full.required());
        assertEquals(CAPACITY, full.available());
        byte[] grown = Stores.value(1, model.get("f1").length + 1);
        assertThrows(PartitionFullException.class, () -> store.apply(List.of(put("f1", grown))));
        assertNull(get(store, "x"));
        LogStore again = Stores.mount(region, CAPACITY);
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getValue(), get(again, e.getKey()));
        }
        assertEquals(CAPACITY, again.usage().used());
        assertTrue(again.problems().toString(), again.problems().isEmpty());
    }

    @Test
    public void aBatchReplacingEveryEntryAtFullCapacityFits() {
        // The worst cases the size formula is built on: the most entries the capacity counts (3-byte
        // names, 1-byte values), each its own record, replaced by one batch while they are all still
        // live; and again, and again; then large values.
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY);
        int entries = (int) (CAPACITY / (3 + 1 + CHARGE));
        int extra = (int) (CAPACITY - (long) entries * (3 + 1 + CHARGE));
        for (int i = 0; i < entries; i++) {
            store.apply(List.of(put(Stores.shortKey(i), DefaultGeometryTest.tiny(i, 0, entries, extra))));
        }
        assertEquals(CAPACITY, store.usage().used());
        for (int round = 1; round <= 5; round++) {
            List<Change> batch = new ArrayList<>();
            for (int i = 0; i < entries; i++) {
                batch.add(put(Stores.shortKey(i), DefaultGeometryTest.tiny(i, round, entries, extra)));
            }
            store.apply(batch);
        }
        LogStore again = Stores.mount(region, CAPACITY);
        assertEquals(CAPACITY, again.usage().used());
        for (int i = 0; i < entries; i++) {
            assertArrayEquals(DefaultGeometryTest.tiny(i, 5, entries, extra), get(again, Stores.shortKey(i)));
        }
        // And back from one batch to singletons, then large values at the threshold.
        for (int i = 0; i < entries; i++) {
            again.apply(List.of(put(Stores.shortKey(i), DefaultGeometryTest.tiny(i, 6, entries, extra))));
        }
        again.clear();
        int large = (int) (CAPACITY / 3) - 2 - CHARGE;
        for (int round = 0; round < 6; round++) {
            List<Change> batch = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                batch.add(put("L" + i, Stores.value(round * 10 + i, large)));
            }
            again.apply(batch);
        }
        assertEquals(3L * (2 + large + CHARGE), again.usage().used());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Stores.value(50 + i, large), get(again, "L" + i));
        }
    }

    @Test
    public void smallEntriesFillTheCapacityWithNoEntryLimit() {
        // 20-byte settings count 60 bytes each: 682 of them in 40 KiB; the next is refused and changes nothing.
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY);
        int entries = (int) (CAPACITY / (20 + CHARGE));
        for (int i = 0; i < entries; i++) {
            store.apply(List.of(put(String.format("s%05d", i), Stores.value(i, 14))));
        }
        assertEquals(entries, store.usage().entries().get(Namespace.KV).intValue());
        assertEquals(entries * (20L + CHARGE), store.usage().used());
        PartitionFullException full = assertThrows(PartitionFullException.class,
                () -> store.apply(List.of(put("s00000", Stores.value(-1, 14)), put("one-more", new byte[12]))));
        assertTrue(full.getMessage(), full.getMessage().contains("(names, values and " + CHARGE + " bytes an entry)"));
        assertEquals(entries * (20L + CHARGE) + 20 + CHARGE, full.required());
        assertArrayEquals(Stores.value(0, 14), get(store, "s00000"));
        assertNull(get(store, "one-more"));
        // Replacing and removing within the capacity still works.
        store.apply(List.of(Stores.remove("s00001"), put("other-", new byte[14])));
        assertEquals(entries, store.usage().entries().get(Namespace.KV).intValue());
        assertNull(get(store, "s00001"));
        LogStore again = Stores.mount(region, CAPACITY);
        assertEquals(entries * (20L + CHARGE), again.usage().used());
        assertArrayEquals(new byte[14], get(again, "other-"));
    }

    @Test
    public void oneWriteCarryingMoreThanTheCapacityIsRefusedAndChangesNothing() {
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY);
        int each = (int) (CAPACITY / 8) - 2 - CHARGE;
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
        assertTrue(e.getMessage(), e.getMessage().contains("removed entries' included"));
        assertEquals(CAPACITY + 8 * (2 + CHARGE), e.required());
        assertArrayEquals(Stores.value(3, each), get(store, "a3"));
        assertNull(get(store, "b3"));
        assertEquals(CAPACITY, store.usage().used());
        // Split in two, the same change goes through.
        store.apply(replacement.subList(0, 8));
        store.apply(replacement.subList(8, 16));
        LogStore again = Stores.mount(region, CAPACITY);
        assertEquals(List.of("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"), again.names(Namespace.KV));
        assertArrayEquals(Stores.value(105, each), get(again, "b5"));
    }

    @Test
    public void aStoreCountingMoreThanItsCapacityMountsReadsAndOnlyShrinks() {
        // As a store written before the entry charge may be now: it counts more than its capacity.
        FlashRegion region = minimalRegion();
        LogStore store = Stores.mount(region, CAPACITY);
        for (int i = 0; i < 100; i++) {
            store.apply(List.of(put(String.format("o%03d", i), Stores.value(i, 100))));
        }
        long used = store.usage().used();
        long smaller = used - 1000;
        LogStore over = Stores.mount(region, smaller);
        assertEquals(used, over.usage().used());
        assertTrue(over.problems().toString(), over.problems().stream()
                .anyMatch(p -> p.contains("more than its configured capacity of " + smaller)));
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(Stores.value(i, 100), get(over, String.format("o%03d", i)));
        }
        assertThrows(PartitionFullException.class, () -> over.apply(List.of(put("o000", Stores.value(7, 101)))));
        assertThrows(PartitionFullException.class, () -> over.apply(List.of(put("new", new byte[1]))));
        assertArrayEquals(Stores.value(0, 100), get(over, "o000"));
        // Writes that do not grow it go through: a same-sized overwrite, a removal.
        over.apply(List.of(put("o001", Stores.value(-1, 100))));
        over.apply(List.of(Stores.remove("o002")));
        assertEquals(used - (4 + 100 + CHARGE), over.usage().used());
        assertArrayEquals(Stores.value(-1, 100), get(Stores.mount(region, smaller), "o001"));
    }
}
