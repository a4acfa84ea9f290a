package datastore.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

/**
 * The promise a runtime region keeps, as manufacturing lays regions out and as a dock on a flash that
 * describes its own layout reads it back: the default promise needs the documented 1239 blocks, the
 * largest promise of a region fits it and one byte more does not, and a partition whose configuration
 * does not fit such a region serves that largest promise instead of failing.
 */
public class RegionPromiseTest {
    private static final FlashGeometry DEFAULT_REGION = new FlashGeometry(80L << 20, 65536, 16);

    @Test
    public void theDefaultPromiseScalesToItsOwnEntryLimit() {
        assertEquals(RuntimePartition.DEFAULT_MAX_ENTRIES, RuntimePromise.entriesFor(RuntimePartition.DEFAULT_CAPACITY));
        assertEquals(1239, RuntimePromise.requiredBlocks(RuntimePartition.DEFAULT_CAPACITY, DEFAULT_REGION));
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
        assertTrue(RuntimePromise.largestCapacity(DEFAULT_REGION) >= RuntimePartition.DEFAULT_CAPACITY);
    }

    @Test
    public void aConfigurationThatFitsIsKeptAndOneThatDoesNotBecomesTheRegionsPromise() {
        RuntimeConfiguration config = RuntimePartitionTest.config(RuntimePartition.DEFAULT_CAPACITY,
                RuntimePartition.DEFAULT_MAX_ENTRIES);
        assertSame(config, RuntimePartition.promisedByRegion(config, DEFAULT_REGION));
        FlashRegion small = RuntimePartitionTest.region(64);
        RuntimeConfiguration promised = RuntimePartition.promisedByRegion(config, small.geometry());
        assertEquals(RuntimePromise.largestCapacity(small.geometry()), promised.capacity());
        assertEquals(RuntimePromise.entriesFor(promised.capacity()), promised.max_entries());
        RuntimePartition partition = new RuntimePartition(small, promised);
        assertEquals(promised.capacity(), partition.usage().capacity());
    }
}
