package datastore.logstore;

import static datastore.logstore.Stores.get;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.ValueTooLargeException;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;

import org.junit.Test;

/**
 * The shipped configuration on the shipped geometry (the device's default 80 MiB runtime region of
 * 64 KiB blocks, 16-byte programs, 13 MiB capacity, 131072 entries): 12 MiB images are written, replaced and read back, and the full
 * capacity fits while an image is being replaced.
 */
public class DefaultGeometryTest {
    static final long MIB = 1024 * 1024;
    /** The runtime region of datastore.device's default partition table. */
    static final long REGION = 80 * MIB;

    @Test
    public void twelveMebibyteImagesAreReplacedAtFullCapacity() throws Exception {
        long size = REGION;
        FlashRegion region = NorFlash.inMemory(size, 65536, 16).region("runtime", 0, size);
        long capacity = RuntimePromise.DEFAULT_CAPACITY;
        LogStore store = new LogStore(region, capacity, RuntimePromise.DEFAULT_MAX_ENTRIES, 1000);
        store.mount();
        int image = Namespace.IMAGE.maxValueBytes();
        // 12 MiB image plus small entries filling the rest of the 13 MiB to the byte.
        store.apply(List.of(Change.put(Namespace.IMAGE, "splash", 1, ByteBuffer.wrap(Stores.value(1, image)))));
        long rest = capacity - image - "splash".length();
        for (int i = 0; rest > 0; i++) {
            String name = String.format("kv%04d", i);
            int length = (int) Math.min(60_000, rest - name.length());
            store.apply(List.of(Stores.put(name, Stores.value(100 + i, length))));
            rest -= name.length() + length;
        }
        assertEquals(capacity, store.usage().used());
        // Replace the image several times while everything else stays: twice the image on flash
        // at the moment of each replacement.
        for (int round = 2; round <= 4; round++) {
            store.apply(List.of(Change.put(Namespace.IMAGE, "splash", 1, ByteBuffer.wrap(Stores.value(round, image)))));
        }
        assertThrows(PartitionFullException.class, () -> store.apply(List.of(Stores.put("one-more", new byte[1]))));
        assertThrows(ValueTooLargeException.class, () -> store.apply(
                List.of(Change.put(Namespace.IMAGE, "huge", 1, ByteBuffer.allocate(image + 1)))));
        try (EntryView view = store.open(Namespace.IMAGE, "splash").orElseThrow()) {
            ByteBuffer data = view.data();
            assertEquals(image, data.remaining());
            assertEquals(1, view.format());
            byte[] bytes = new byte[image];
            data.get(bytes);
            assertArrayEquals(Stores.value(4, image), bytes);
        }
        LogStore again = new LogStore(region, capacity, RuntimePromise.DEFAULT_MAX_ENTRIES, 1000);
        again.mount();
        assertTrue(again.problems().toString(), again.problems().isEmpty());
        assertEquals(capacity, again.usage().used());
        assertArrayEquals(Stores.value(4, image), get(again, Namespace.IMAGE, "splash"));
        assertArrayEquals(Stores.value(100, 60_000), get(again, "kv0000"));
    }

    /**
     * The worst case the region's size is built on, at the default limits: 131072 entries holding the
     * whole 13 MiB, each in a record of its own, then one batch replacing every one of them, then
     * half of them written singly again, then batches replacing everything until the ring has
     * wrapped; the region never runs out and everything survives a remount.
     */
    @Test
    public void theEntryLimitAtFullCapacityFitsThroughItsWorstCase() throws Exception {
        FlashRegion region = NorFlash.inMemory(REGION, 65536, 16).region("runtime", 0, REGION);
        long capacity = RuntimePromise.DEFAULT_CAPACITY;
        int entries = RuntimePromise.DEFAULT_MAX_ENTRIES;
        int each = (int) (capacity / entries) - 7; // a 7-byte name and the value fill the capacity exactly
        LogStore store = new LogStore(region, capacity, entries, 1000);
        store.mount();
        for (int i = 0; i < entries; i++) {
            store.apply(List.of(Stores.put(key(i), Stores.value(i, each))));
        }
        assertEquals(capacity, store.usage().used());
        assertThrows(PartitionFullException.class, () -> store.apply(List.of(Stores.put("k", new byte[0]))));
        List<Change> all = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            all.add(Stores.put(key(i), Stores.value(-i, each)));
        }
        store.apply(all);
        for (int i = 0; i < entries; i += 2) {
            store.apply(List.of(Stores.put(key(i), Stores.value(entries + i, each))));
        }
        // More batches replacing everything wrap the ring, so collection copies what lies in its way.
        for (int round = 2; round <= 4; round++) {
            List<Change> batch = new ArrayList<>();
            for (int i = 0; i < entries; i++) {
                batch.add(Stores.put(key(i), expected(i, round, entries, each)));
            }
            store.apply(batch);
        }
        assertTrue("the ring wrapped", Arrays.stream(store.eraseCounts()).sum() > 0);
        LogStore again = new LogStore(region, capacity, entries, 1000);
        again.mount();
        assertTrue(again.problems().toString(), again.problems().isEmpty());
        assertEquals(capacity, again.usage().used());
        assertEquals(entries, again.names(Namespace.KV).size());
        for (int i = 0; i < entries; i += 997) {
            assertArrayEquals(expected(i, 4, entries, each), get(again, key(i)));
        }
        long[] erases = again.eraseCounts();
        System.out.println("default geometry at the entry limit: erased " + Arrays.stream(erases).sum() + " blocks of "
                + erases.length);
    }

    /** Even entries keep what the singles wrote; odd ones take the round's value. */
    static byte[] expected(int i, int round, int entries, int each) {
        return i % 2 == 0 ? Stores.value(entries + i, each) : Stores.value((long) round * entries + i, each);
    }

    /** "k" and six digits: seven bytes (String.format is too slow for a million names). */
    static String key(int i) {
        String digits = Integer.toString(1_000_000 + i);
        return "k" + digits.substring(1);
    }
}
