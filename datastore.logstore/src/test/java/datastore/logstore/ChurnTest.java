package datastore.logstore;

import static datastore.logstore.Stores.get;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

import org.junit.Test;

/**
 * Writes a hundred times the capacity in overwrites over a mix of static (cold) and hot entries in a
 * region of the minimum size, and checks the data and how evenly the blocks wore.
 */
public class ChurnTest {
    static final int BLOCK = 4096;
    static final long CAPACITY = 48 * 1024;

    @Test
    public void hundredTimesTheCapacityInOverwritesWearsBlocksEvenly() {
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        int blocks = (int) LogStore.requiredBlocks(CAPACITY, probe);
        long size = (long) blocks * BLOCK;
        FlashRegion region = NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size);
        LogStore store = Stores.mount(region, CAPACITY);
        Map<String, byte[]> model = new HashMap<>();
        // Half the capacity is cold: written once, never touched again.
        for (int i = 0; i < 12; i++) {
            byte[] value = Stores.value(-i, 2000);
            store.apply(List.of(Stores.put("cold" + i, value)));
            model.put("cold" + i, value);
        }
        Random random = new Random(7);
        long written = 0;
        long serial = 0;
        while (written < 100 * CAPACITY) {
            String name = "hot" + random.nextInt(16);
            byte[] value = Stores.value(++serial, 100 + random.nextInt(1400));
            store.apply(List.of(Stores.put(name, value)));
            model.put(name, value);
            written += name.length() + value.length;
        }
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getKey(), e.getValue(), get(store, e.getKey()));
        }
        LogStore again = Stores.mount(region, CAPACITY);
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getKey(), e.getValue(), get(again, e.getKey()));
        }
        assertTrue(again.problems().toString(), again.problems().isEmpty());
        long[] counts = store.eraseCounts();
        long max = 0;
        long min = Long.MAX_VALUE;
        long sum = 0;
        for (long count : counts) {
            max = Math.max(max, count);
            min = Math.min(min, count);
            sum += count;
        }
        double mean = (double) sum / counts.length;
        System.out.printf("erase-spread: max=%d mean=%.1f min=%d%n", max, mean, min);
        assertTrue("the churn must wear the region many times over", mean > 20);
        // Measured: max 30, min 22, mean 27.3. Without moving cold data the static entries' blocks
        // stayed at 0 erases while the others reached 32.
        assertTrue("max " + max + " vs mean " + mean, max <= 1.25 * mean);
        assertTrue("min " + min + " vs mean " + mean, min >= 0.5 * mean);
    }
}
