package datastore.logstore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

import datastore.flash.FlashGeometry;

/**
 * The promise a runtime region keeps, as manufacturing lays regions out and as a dock on a flash that
 * describes its own layout reads it back: the default capacity needs the documented 1196 blocks, the
 * largest promise of a region fits it and one byte more does not (the partition that serves that largest
 * promise when its configuration does not fit is tested in datastore.runtime).
 */
public class RegionPromiseTest {
    private static final FlashGeometry DEFAULT_REGION = new FlashGeometry(80L << 20, 65536, 16);

    @Test
    public void theDefaultCapacityNeedsItsDocumentedBlocks() {
        assertEquals(1196, RuntimePromise.requiredBlocks(RuntimePromise.DEFAULT_CAPACITY, DEFAULT_REGION));
    }

    @Test
    public void theLargestPromiseFitsAndOneByteMoreDoesNot() {
        for (FlashGeometry geometry : new FlashGeometry[] {DEFAULT_REGION, new FlashGeometry(3L << 20, 65536, 16),
            new FlashGeometry(64 * 4096L, 4096, 16)}) {
            long largest = RuntimePromise.largestCapacity(geometry);
            assertTrue(geometry + ": " + largest, largest > 0);
            assertTrue(RuntimePromise.requiredBlocks(largest, geometry) <= geometry.blocks());
            assertTrue(RuntimePromise.requiredBlocks(largest + 1, geometry) > geometry.blocks());
        }
        assertTrue(RuntimePromise.largestCapacity(DEFAULT_REGION) >= RuntimePromise.DEFAULT_CAPACITY);
    }
}
