package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.EntryView;

import org.junit.Test;

/**
 * Values of any size are read-only slices of the mapped region, pinned as a whole while open; a
 * value's CRC is checked at mount or by its first read, and damage a read finds is reported once.
 */
public class ZeroCopyTest {
    static final int BLOCK = 4096;
    static final long CAPACITY = 64 * 1024;

    final long size = LogStore.requiredBlocks(CAPACITY, new FlashGeometry(1024L * BLOCK, BLOCK, 16)) * BLOCK;
    final NorFlash flash = NorFlash.inMemory(size, BLOCK, 16);
    final FlashRegion region = flash.region("runtime", 0, size);

    /** Where a value's bytes lie in the region (the flash starts with the region). */
    long find(byte[] value) throws Exception {
        ByteBuffer map = region.map();
        long found = -1;
        outer:
        for (int at = 0; at + value.length <= map.limit(); at++) {
            for (int i = 0; i < 64; i++) {
                if (map.get(at + i) != value[i]) {
                    continue outer;
                }
            }
            assertEquals("the value is on flash once", -1, found);
            found = at;
        }
        assertTrue("the value is on flash", found >= 0);
        return found;
    }

    static byte[] bytes(EntryView view) {
        ByteBuffer data = view.data();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return bytes;
    }

    @Test
    public void aValueOfManyBlocksIsASliceOfTheFlashPinnedWholeThroughCollections() throws Exception {
        LogStore store = Stores.mount(region, CAPACITY);
        byte[] big = Stores.value(1, 5 * BLOCK + 123);
        Stores.apply(store, Stores.put(Namespace.IMAGE, "big", big), Stores.put("small", Stores.value(2, 50)));
        EntryView view = store.open(Namespace.IMAGE, "big").orElseThrow();
        ByteBuffer data = view.data();
        assertTrue(data.isReadOnly());
        assertEquals(0, data.position());
        assertEquals(big.length, data.limit());
        assertArrayEquals(big, bytes(view));
        long at = find(big);
        // The view shows the flash itself: a bit flipped on the chip shows through it.
        flash.corrupt(at + 3 * BLOCK, (byte) 0x10);
        assertEquals((byte) (big[3 * BLOCK] ^ 0x10), view.data().get(3 * BLOCK));
        flash.corrupt(at + 3 * BLOCK, (byte) 0x10);
        int first = (int) (at / BLOCK);
        int last = (int) ((at + big.length - 1) / BLOCK);
        for (int b = first; b <= last; b++) {
            assertTrue("block " + b + " under the view is pinned", store.pins(b) > 0);
        }
        // Replace it and churn until the ring has been collected many times over.
        long erasesBefore = ViewTest.sum(store.eraseCounts());
        for (int i = 0; i < 300; i++) {
            Stores.apply(store, Stores.put(Namespace.IMAGE, "big", Stores.value(100 + i, 4 * BLOCK + i)));
            Stores.apply(store, Stores.put("k" + i % 5, Stores.value(i, 900)));
        }
        long erases = ViewTest.sum(store.eraseCounts()) - erasesBefore;
        assertTrue("collection ran many times, erased " + erases, erases > 5L * region.geometry().blocks());
        assertArrayEquals(big, bytes(view));
        assertArrayEquals(Stores.value(399, 4 * BLOCK + 299), Stores.get(store, Namespace.IMAGE, "big"));
        view.close();
        for (int b = 0; b < region.geometry().blocks(); b++) {
            assertEquals(0, store.pins(b));
        }
        // With the view gone, its blocks are collected like any other.
        for (int i = 0; i < 100; i++) {
            Stores.apply(store, Stores.put(Namespace.IMAGE, "big", Stores.value(i, 4 * BLOCK)));
        }
        assertTrue(store.problems().toString(), store.problems().isEmpty());
    }

    @Test
    public void damageTheFirstReadAfterAWriteFindsIsReportedOnceAndKeptAcrossRemount() throws Exception {
        LogStore store = Stores.mount(region, CAPACITY);
        byte[] value = Stores.value(7, 9000);
        Stores.apply(store, Stores.put("v", value), Stores.put("w", Stores.value(8, 100)));
        flash.corrupt(find(value) + 4321, (byte) 0x01);
        CorruptedEntryException e = assertThrows(CorruptedEntryException.class, () -> store.open(Namespace.KV, "v"));
        assertTrue(e.getMessage(), e.getMessage().contains("\"v\""));
        assertEquals(1, store.problems().size());
        assertTrue(store.problems().toString(), store.problems().get(0).contains("kv entry \"v\""));
        assertThrows(CorruptedEntryException.class, () -> store.open(Namespace.KV, "v"));
        assertEquals("reported once", 1, store.problems().size());
        assertArrayEquals(Stores.value(8, 100), Stores.get(store, "w"));
        LogStore again = Stores.mount(region, CAPACITY);
        assertThrows(CorruptedEntryException.class, () -> again.open(Namespace.KV, "v"));
        assertTrue(again.problems().toString(), again.problems().toString().contains("kv entry \"v\""));
        assertArrayEquals(Stores.value(8, 100), Stores.get(again, "w"));
    }

    @Test
    public void aValueCheckedOnceIsNotCheckedAgainUntilTheNextMount() throws Exception {
        LogStore store = Stores.mount(region, CAPACITY);
        byte[] value = Stores.value(9, 3 * BLOCK);
        Stores.apply(store, Stores.put("v", value));
        assertArrayEquals(value, Stores.get(store, "v"));
        // The record cannot change while it is reachable, so later opens trust the first check;
        // damage the chip suffers afterwards (bit rot) is found by the next mount's full check.
        flash.corrupt(find(value) + 10, (byte) 0x04);
        try (EntryView view = store.open(Namespace.KV, "v").orElseThrow()) {
            assertEquals((byte) (value[10] ^ 0x04), view.data().get(10));
        }
        LogStore again = Stores.mount(region, CAPACITY);
        assertThrows(CorruptedEntryException.class, () -> again.open(Namespace.KV, "v"));
        assertEquals(1, again.problems().size());
        List<String> names = again.names(Namespace.KV);
        assertEquals(List.of("v"), names);
    }
}
