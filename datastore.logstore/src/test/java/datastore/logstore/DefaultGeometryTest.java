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
 * 64 KiB blocks, 16-byte programs, 13 MiB capacity): 12 MiB images are written, replaced and read back, and the full
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
        LogStore store = new LogStore(region, capacity, 1000);
        store.mount();
        int image = Namespace.IMAGE.maxValueBytes();
        // 12 MiB image plus small entries filling the rest of the 13 MiB to the byte, each entry counting its charge.
        store.apply(List.of(Change.put(Namespace.IMAGE, "splash", 1, ByteBuffer.wrap(Stores.value(1, image)))));
        int charge = RuntimePromise.ENTRY_CHARGE;
        long rest = capacity - image - "splash".length() - charge;
        for (int i = 0; rest > 0; i++) {
            String name = String.format("kv%04d", i);
            int length = (int) Math.min(60_000, rest - name.length() - charge);
            store.apply(List.of(Stores.put(name, Stores.value(100 + i, length))));
            rest -= name.length() + length + charge;
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
        LogStore again = new LogStore(region, capacity, 1000);
        again.mount();
        assertTrue(again.problems().toString(), again.problems().isEmpty());
        assertEquals(capacity, again.usage().used());
        assertArrayEquals(Stores.value(4, image), get(again, Namespace.IMAGE, "splash"));
        assertArrayEquals(Stores.value(100, 60_000), get(again, "kv0000"));
    }

    /**
     * The worst case the region's size is built on: the most entries the capacity counts (three-byte
     * names, one-byte values, each counting 44 bytes with the entry charge: 309,806 entries holding the
     * whole 13 MiB to the byte), each in a record of its own, then one batch replacing every one of them,
     * then half of them written singly again, then batches replacing everything until the ring has
     * wrapped; the region never runs out and everything survives a remount.
     */
    @Test
    public void theMostEntriesAtFullCapacityFitThroughTheirWorstCase() throws Exception {
        FlashRegion region = NorFlash.inMemory(REGION, 65536, 16).region("runtime", 0, REGION);
        long capacity = RuntimePromise.DEFAULT_CAPACITY;
        int charge = 3 + 1 + RuntimePromise.ENTRY_CHARGE;
        int entries = (int) (capacity / charge);
        int extra = (int) (capacity - (long) entries * charge); // entry 0's value takes the rest
        LogStore store = new LogStore(region, capacity, 1000);
        store.mount();
        for (int i = 0; i < entries; i++) {
            store.apply(List.of(Stores.put(Stores.shortKey(i), tiny(i, 0, entries, extra))));
        }
        assertEquals(capacity, store.usage().used());
        assertThrows(PartitionFullException.class, () -> store.apply(List.of(Stores.put("k", new byte[0]))));
        List<Change> all = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            all.add(Stores.put(Stores.shortKey(i), tiny(i, 1, entries, extra)));
        }
        store.apply(all);
        for (int i = 0; i < entries; i += 2) {
            store.apply(List.of(Stores.put(Stores.shortKey(i), tiny(i, 2, entries, extra))));
        }
        // More batches replacing everything wrap the ring, so collection copies what lies in its way.
        for (int round = 3; round <= 5; round++) {
            List<Change> batch = new ArrayList<>();
            for (int i = 0; i < entries; i++) {
                batch.add(Stores.put(Stores.shortKey(i), tiny(i, round, entries, extra)));
            }
            store.apply(batch);
        }
        assertTrue("the ring wrapped", Arrays.stream(store.eraseCounts()).sum() > 0);
        LogStore again = new LogStore(region, capacity, 1000);
        again.mount();
        assertTrue(again.problems().toString(), again.problems().isEmpty());
        assertEquals(capacity, again.usage().used());
        assertEquals(entries, again.names(Namespace.KV).size());
        for (int i = 0; i < entries; i += 997) {
            assertArrayEquals(tiny(i, 5, entries, extra), get(again, Stores.shortKey(i)));
        }
        long[] erases = again.eraseCounts();
        System.out.println("default geometry at the most entries: " + entries + " entries, erased "
                + Arrays.stream(erases).sum() + " blocks of " + erases.length);
    }

    /** Entry {@code i}'s one-byte value of a round ({@code extra} bytes more for entry 0). */
    static byte[] tiny(int i, int round, int entries, int extra) {
        return Stores.value((long) round * entries + i, i == 0 ? 1 + extra : 1);
    }
}
