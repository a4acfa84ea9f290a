package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.Change;

import org.junit.Test;

/**
 * The check that only erased flash follows the walk, made from both ends by two threads: its answer
 * must not depend on how far the helper got, and a record past an erased hole must still be found.
 */
public class FreeAreaScanTest {
    private static final int BLOCK = 64 * 1024;
    /** Large enough for the mount's helper thread (FreeAreaScan.HELPER_MIN_RING). */
    private static final long SIZE = 16L * 1024 * 1024;

    private static RingLayout layout(FlashRegion region) {
        return new RingLayout(region, 1024 * 1024, 200);
    }

    @Test
    public void theAnswerIsTheSameWhereverTheHelperStopped() throws IOException {
        NorFlash flash = NorFlash.inMemory(SIZE, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, SIZE);
        RingLayout layout = layout(region);
        ByteBuffer map = region.map();
        long ring = layout.ringSize;
        // Non-erased bytes at the limit's last byte, chunk edges, mid-chunk and the tail's first byte;
        // the range [tail, limit) in lap 0 and, crossing the ring's end, in lap 3.
        long[] offsets = {ring - 1, ring - FreeAreaScan.CHUNK, ring - FreeAreaScan.CHUNK - 1, ring / 2 + 12345, 1, 0};
        for (long lapStart : new long[] {0, 3 * ring + 5 * BLOCK}) {
            long tail = lapStart;
            long limit = layout.blockStart(tail) + ring;
            for (long offset : offsets) {
                long dirty = tail + offset;
                int at = (int) layout.phys(dirty);
                flash.corrupt(at, (byte) 0x01);
                for (boolean helperFirst : new boolean[] {false, true}) {
                    try (FreeAreaScan scan = new FreeAreaScan(map, layout, tail, limit, false)) {
                        if (helperFirst) {
                            scan.backward();
                            long chunkEnd = dirty + 1;
                            assertTrue("the helper stops at the bytes, not before", scan.erasedFrom() >= chunkEnd);
                            assertTrue("and within a chunk of them", scan.erasedFrom() - chunkEnd < FreeAreaScan.CHUNK);
                        }
                        assertEquals("from the byte itself", false, scan.erasedToLimit(dirty));
                        assertEquals("from the tail", false, scan.erasedToLimit(tail));
                        if (dirty + 1 < limit) {
                            assertEquals("from just after it", true, scan.erasedToLimit(dirty + 1));
                        }
                    }
                    // The same with the helper running while the mounting thread checks.
                    try (FreeAreaScan scan = new FreeAreaScan(map, layout, tail, limit, true)) {
                        assertEquals(false, scan.erasedToLimit(dirty));
                        if (dirty + 1 < limit) {
                            assertEquals(true, scan.erasedToLimit(dirty + 1));
                        }
                    }
                }
                flash.corrupt(at, (byte) 0x01);
            }
        }
    }

    @Test
    public void recordsPastAnErasedBlockAreFoundOnALargeRing() throws IOException {
        NorFlash flash = NorFlash.inMemory(SIZE, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, SIZE);
        LogStore store = Stores.mount(region, 1024 * 1024);
        for (int i = 0; i < 400; i++) {
            List<Change> batch = new ArrayList<>();
            for (int k = 0; k < 5; k++) {
                batch.add(Stores.put("key" + (5 * i + k), Stores.value(5 * i + k, 100)));
            }
            store.apply(batch);
        }
        // The ring's third block (the records it held, and those it cut, are lost); everything after is found.
        region.erase(4);
        LogStore mounted = Stores.mount(region, 1024 * 1024);
        int found = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] value = Stores.get(mounted, "key" + i);
            if (value != null) {
                assertArrayEquals(Stores.value(i, 100), value);
                found++;
            }
        }
        assertTrue(mounted.problems().toString(), mounted.problems().toString().contains("unreadable bytes skipped"));
        // About 200 KiB of records were written; one 64 KiB block of them is gone, the rest is served.
        assertTrue("found " + found, found > 1000 && found < 2000);
        assertArrayEquals(Stores.value(1999, 100), Stores.get(mounted, "key1999"));
    }
}
