package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.List;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;

import org.junit.Test;

/**
 * Damage to both copies of one record's header: the scan must find the next real record, so the
 * damaged record costs at most the entries it held, no later key reverts to an older value, and a
 * header whose copies are damaged at different bytes, or at one byte, is repaired.
 */
public class RecordDamageTest {
    static final int BLOCK = 4096;

    /** 40 keys, one record each, then overwrites of every seventh (key0 first, so its overwrite is record 40). */
    private static void write(LogStore store) {
        for (int i = 0; i < 40; i++) {
            Stores.apply(store, Stores.put("key" + i, Stores.value(i, 20 + i)));
        }
        for (int i = 0; i < 40; i += 7) {
            Stores.apply(store, Stores.put("key" + i, Stores.value(1000 + i, 30)));
        }
    }

    private static byte[] expected(int i) {
        return i % 7 == 0 ? Stores.value(1000 + i, 30) : Stores.value(i, 20 + i);
    }

    /** Region offset of the n-th record (from 0) of a log written from the ring's start. */
    private static long recordStart(FlashRegion region, int n) throws IOException {
        long at = 2L * BLOCK;
        java.nio.ByteBuffer map = region.map();
        for (int r = 0; r < n; r++) {
            int valueLength = map.getInt((int) at + 16);
            int nameLength = map.get((int) at + 3) & 0xFF;
            at += LogFormat.align(LogFormat.singleLength(nameLength, valueLength), 16) + LogFormat.markerSize(1, 16);
        }
        return at;
    }

    private static FlashRegion written(NorFlash flash) {
        FlashRegion region = flash.region("runtime", 0, 64L * BLOCK);
        LogStore store = Stores.mount(region, 8 * 1024);
        write(store);
        return region;
    }

    @Test
    public void bothHeaderCopiesDamagedAtTheSameByteCostOnlyThatRecord() throws IOException {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion region = written(flash);
        long at = recordStart(region, 10);
        // The same byte of both copies, differently: neither copy nor their combination is valid.
        flash.corrupt(at + 9, (byte) 0x5A);
        flash.corrupt(at + 32 + 9, (byte) 0x3C);
        flash.corrupt(at + 12, (byte) 0x01);
        LogStore store = Stores.mount(region, 8 * 1024);
        for (int i = 0; i < 40; i++) {
            if (i == 10) {
                continue;
            }
            assertArrayEquals("key" + i, expected(i), Stores.get(store, "key" + i));
        }
        assertFalse(store.problems().isEmpty());
    }

    @Test
    public void headerCopiesDamagedAtDifferentBytesAreCombined() throws IOException {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion region = written(flash);
        long at = recordStart(region, 10);
        flash.corrupt(at + 9, (byte) 0x5A);
        flash.corrupt(at + 32 + 17, (byte) 0x3C);
        flash.corrupt(at + 3, (byte) 0x40);
        LogStore store = Stores.mount(region, 8 * 1024);
        for (int i = 0; i < 40; i++) {
            assertArrayEquals("key" + i, expected(i), Stores.get(store, "key" + i));
        }
        assertTrue(store.problems().toString(), store.problems().toString().contains("repaired"));
    }

    @Test
    public void headerCopiesDamagedAtOneByteEachAreRepaired() throws IOException {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion region = written(flash);
        long at = recordStart(region, 10);
        flash.corrupt(at + 9, (byte) 0x5A);
        flash.corrupt(at + 32 + 9, (byte) 0x5A);
        LogStore store = Stores.mount(region, 8 * 1024);
        for (int i = 0; i < 40; i++) {
            assertArrayEquals("key" + i, expected(i), Stores.get(store, "key" + i));
        }
    }
    @Test
    public void aHeaderWithAValidChecksumButALengthBeyondTheRingCostsOnlyThatRecord() throws IOException {
        for (int valueLength : new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 300, 64 * BLOCK}) {
            NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
            FlashRegion region = written(flash);
            long at = recordStart(region, 10);
            // A crafted header, not damage: its CRC is right for this region, its value length impossible.
            byte[] copy = new byte[LogFormat.HEADER];
            region.map().get((int) at, copy);
            java.nio.ByteBuffer.wrap(copy).putInt(16, valueLength);
            byte[] identity = LogFormat.identity(region.deviceOffset(), region.geometry().size(), BLOCK, 16);
            java.nio.ByteBuffer.wrap(copy).putInt(LogFormat.HEADER - 4, Checksums.headerCrc(copy, 0, identity));
            for (int i = 0; i < 2 * LogFormat.HEADER; i++) {
                flash.corrupt(at + i, (byte) (copy[i % LogFormat.HEADER] ^ region.map().get((int) (at + i))));
            }
            LogStore store = Stores.mount(region, 8 * 1024);
            for (int i = 0; i < 40; i++) {
                if (i != 10) {
                    assertArrayEquals(valueLength + ": key" + i, expected(i), Stores.get(store, "key" + i));
                }
            }
            assertNull(valueLength + ": key10", Stores.get(store, "key10"));
            assertFalse(store.problems().isEmpty());
        }
    }

    @Test
    public void anOverwrittenKeyWhoseNewerRecordIsLostIsReportedNotReverted() throws IOException {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion region = written(flash);
        // Record 40 is the overwrite of key0: destroy its header beyond repair.
        long at = recordStart(region, 40);
        for (int b = 0; b < 64; b += 3) {
            flash.corrupt(at + b, (byte) 0xA5);
        }
        LogStore store = Stores.mount(region, 8 * 1024);
        CorruptedEntryException e = assertThrows(CorruptedEntryException.class,
                () -> store.open(Namespace.KV, "key0"));
        assertTrue(e.getMessage(), e.getMessage().contains("key0"));
        assertTrue("a reported name is never ruled out", store.mayContain(Namespace.KV, "key0"));
        for (int i = 1; i < 40; i++) {
            assertArrayEquals("key" + i, expected(i), Stores.get(store, "key" + i));
        }
        assertNull(Stores.get(store, "never-written"));
        assertEquals(39, store.names(Namespace.KV).stream().filter(n -> !n.equals("key0")).count());
    }

    @Test
    public void losingTheNewestAnchorOrAllAnchorsAfterWrapsCostsNothing() throws IOException {
        long size = 16L * BLOCK;
        NorFlash flash = NorFlash.inMemory(size, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, size);
        LogStore store = Stores.mount(region, 4 * 1024);
        java.util.Map<String, byte[]> model = new java.util.HashMap<>();
        for (int i = 0; i < 3000; i++) {
            String name = "k" + (i % 20);
            byte[] value = Stores.value(i, 20 + i % 100);
            Stores.apply(store, Stores.put(name, value));
            model.put(name, value);
        }
        assertTrue(java.util.Arrays.stream(store.eraseCounts()).sum() > 5 * 16);
        byte[] image = new byte[(int) size];
        region.map().get(0, image);
        long newest = store.newestAnchorAt();
        for (String shape : List.of("newest", "all-garbage", "all-erased")) {
            byte[] damaged = image.clone();
            if (shape.equals("newest")) {
                for (int b = 0; b < 2 * LogFormat.ANCHOR; b++) {
                    damaged[(int) newest + b] ^= (byte) 0x5A;
                }
            } else {
                for (int b = 0; b < 2 * BLOCK; b++) {
                    damaged[b] = shape.equals("all-erased") ? (byte) 0xFF : (byte) (b * 31 + 7);
                }
            }
            NorFlash copy = NorFlash.inMemory(size, BLOCK, 16);
            FlashRegion copyRegion = copy.region("runtime", 0, size);
            copyRegion.program(0, java.nio.ByteBuffer.wrap(damaged));
            LogStore mounted = Stores.mount(copyRegion, 4 * 1024);
            for (java.util.Map.Entry<String, byte[]> e : model.entrySet()) {
                assertArrayEquals(shape + ": " + e.getKey(), e.getValue(), Stores.get(mounted, e.getKey()));
            }
            assertEquals(shape, model.size(), mounted.names(Namespace.KV).size());
            // And it goes on working: a write, a remount.
            Stores.apply(mounted, Stores.put("after", Stores.bytes(shape)));
            assertArrayEquals(Stores.bytes(shape), Stores.get(Stores.mount(copyRegion, 4 * 1024), "after"));
        }
    }

    /** Destroys the header of the record starting at {@code at} beyond repair. */
    private static void destroyHeader(NorFlash flash, long at) throws IOException {
        for (int b = 0; b < 64; b += 3) {
            flash.corrupt(at + b, (byte) 0xA5);
        }
    }

    @Test
    public void aLostRemovalOrClearIsReportedNotReverted() throws IOException {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, 64L * BLOCK);
        LogStore store = Stores.mount(region, 8 * 1024);
        Stores.apply(store, Stores.put("kept", Stores.bytes("1")));
        Stores.apply(store, Stores.put("removed", Stores.bytes("2")));
        List<long[]> before = store.recordExtents();
        Stores.apply(store, Stores.remove("removed"));
        long removal = store.recordExtents().get(before.size())[0];
        destroyHeader(flash, removal);
        LogStore mounted = Stores.mount(region, 8 * 1024);
        CorruptedEntryException e = assertThrows(CorruptedEntryException.class,
                () -> mounted.open(Namespace.KV, "removed"));
        assertTrue(e.getMessage(), e.getMessage().contains("removed") && e.getMessage().contains("no longer readable"));
        assertTrue("a reported name is never ruled out", mounted.mayContain(Namespace.KV, "removed"));
        assertArrayEquals(Stores.bytes("1"), Stores.get(mounted, "kept"));
        // A new write of the name ends the report.
        Stores.apply(mounted, Stores.remove("removed"));
        assertNull(Stores.get(Stores.mount(region, 8 * 1024), "removed"));

        NorFlash other = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion cleared = other.region("runtime", 0, 64L * BLOCK);
        LogStore store2 = Stores.mount(cleared, 8 * 1024);
        Stores.apply(store2, Stores.put("a", Stores.bytes("1")), Stores.put("b", Stores.bytes("2")));
        int records = store2.recordExtents().size();
        store2.clear();
        Stores.apply(store2, Stores.put("c", Stores.bytes("3")));
        destroyHeader(other, store2.recordExtents().get(records)[0]);
        LogStore after = Stores.mount(cleared, 8 * 1024);
        assertThrows(CorruptedEntryException.class, () -> after.open(Namespace.KV, "a"));
        assertThrows(CorruptedEntryException.class, () -> after.open(Namespace.KV, "b"));
        assertTrue(after.mayContain(Namespace.KV, "a") && after.mayContain(Namespace.KV, "b"));
        assertArrayEquals(Stores.bytes("3"), Stores.get(after, "c"));
    }

    @Test
    public void aReportedEntryStaysReportedThroughCollection() throws IOException {
        long size = 16L * BLOCK;
        NorFlash flash = NorFlash.inMemory(size, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, size);
        LogStore store = Stores.mount(region, 3 * 1024);
        Stores.apply(store, Stores.put("value", Stores.bytes("old")), Stores.put("gone", Stores.bytes("old")));
        Stores.apply(store, Stores.remove("gone"));
        int records = store.recordExtents().size();
        Stores.apply(store, Stores.put("value", Stores.bytes("new")), Stores.put("gone", Stores.bytes("new")));
        destroyHeader(flash, store.recordExtents().get(records)[0]);
        LogStore mounted = Stores.mount(region, 3 * 1024);
        for (int i = 0; i < 1500; i++) {
            Stores.apply(mounted, Stores.put("churn" + (i % 10), Stores.value(i, 100)));
        }
        assertTrue(java.util.Arrays.stream(mounted.eraseCounts()).sum() > 3 * 16);
        for (LogStore s : List.of(mounted, Stores.mount(region, 3 * 1024))) {
            assertThrows(CorruptedEntryException.class, () -> s.open(Namespace.KV, "value"));
            assertThrows(CorruptedEntryException.class, () -> s.open(Namespace.KV, "gone"));
        }
    }
}
