package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.EntryView;

import org.junit.Test;

/**
 * Keys written one by one mount as runs: single records lying back to back in one block share one
 * record object in the index. A run must read, supersede, pin and collect exactly as the single
 * records it stands for, and the collector copies its entries as single records again.
 */
public class SingleRunTest {
    private static final int BLOCK = 4096;

    private static List<List<Long>> listed(List<long[]> rows) {
        List<List<Long>> out = new ArrayList<>();
        for (long[] row : rows) {
            out.add(Arrays.stream(row).boxed().toList());
        }
        return out;
    }

    /** Writes key0 to key{keys - 1} one by one, each with a 20-byte value of its index; returns the writer. */
    private static LogStore writtenOneByOne(FlashRegion region, long capacity, int keys) {
        LogStore store = Stores.mount(region, capacity);
        for (int i = 0; i < keys; i++) {
            Stores.apply(store, Stores.put("key" + i, Stores.value(i, 20)));
        }
        return store;
    }

    @Test
    public void keysWrittenOneByOneMountAsRunsWithinABlock() {
        NorFlash flash = NorFlash.inMemory(128L * BLOCK, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, 128L * BLOCK);
        LogStore store = writtenOneByOne(region, 16 * 1024, 200);
        List<long[]> written = store.recordExtents();
        assertEquals(200, written.stream().filter(r -> r[2] == LogFormat.KIND_SINGLE).count());
        assertTrue("the writer joins them into runs as well", store.ringObjects().size() <= 16);
        assertEquals(listed(store.ringObjects()), listed(Stores.mount(region, 16 * 1024).ringObjects()));

        LogStore mounted = Stores.mount(region, 16 * 1024);
        assertEquals(List.of(), mounted.problems());
        assertEquals("a run shows as the records it stands for", listed(written), listed(mounted.recordExtents()));
        for (int i = 0; i < 200; i++) {
            assertArrayEquals("key" + i, Stores.value(i, 20), Stores.get(mounted, "key" + i));
            long[] extent = mounted.currentExtent(Namespace.KV, "key" + i);
            assertEquals("key" + i + "'s own record", extent[0], store.currentExtent(Namespace.KV, "key" + i)[0]);
            assertEquals(extent[1], store.currentExtent(Namespace.KV, "key" + i)[1]);
        }
        List<long[]> objects = mounted.ringObjects();
        int entries = 0;
        for (long[] object : objects) {
            entries += (int) object[2];
            if (object[2] > 1) {
                assertEquals("a run at " + object[0] + " of " + object[1] + " bytes stays in one block",
                        object[0] / BLOCK, (object[0] + object[1] - 1) / BLOCK);
            }
        }
        assertEquals(200, entries);
        // 200 records of 128 bytes fill about 7 blocks of 32: about one object a block.
        assertTrue(objects.size() + " objects for 200 records", objects.size() <= 16);
    }

    @Test
    public void aRunTheMountFoundGrowsWithTheNextWrites() {
        int block = 16 * 1024;
        NorFlash flash = NorFlash.inMemory(64L * block, block, 16);
        FlashRegion region = flash.region("runtime", 0, 64L * block);
        writtenOneByOne(region, 64 * 1024, 10);
        LogStore mounted = Stores.mount(region, 64 * 1024);
        assertEquals(1, mounted.ringObjects().size());
        // Past two chunks of flags: the run's columns grow, and its flags gain whole chunks.
        for (int i = 10; i < 90; i++) {
            Stores.apply(mounted, Stores.put("key" + i, Stores.value(i, 20)));
            Stores.apply(mounted, Stores.put("key" + (i - 10), Stores.value(100 + i, 20)));
        }
        List<long[]> objects = mounted.ringObjects();
        assertTrue(listed(objects).toString(), objects.size() <= 3 && objects.get(0)[2] > 128);
        long entries = 0;
        for (long[] object : objects) {
            entries += object[2];
            if (object[2] > 1) {
                assertEquals(object[0] / block, (object[0] + object[1] - 1) / block);
            }
        }
        assertEquals(170, entries);
        List<long[]> written = mounted.recordExtents();
        LogStore again = Stores.mount(region, 64 * 1024);
        assertEquals(List.of(), again.problems());
        assertEquals(listed(written), listed(again.recordExtents()));
        assertEquals("the mount finds the runs the writer made", listed(objects), listed(again.ringObjects()));
        for (int i = 0; i < 90; i++) {
            byte[] expected = i < 80 ? Stores.value(100 + i + 10, 20) : Stores.value(i, 20);
            assertArrayEquals("key" + i, expected, Stores.get(again, "key" + i));
            assertArrayEquals("key" + i, expected, Stores.get(mounted, "key" + i));
        }
    }

    /**
     * Runs are the index's alone: a workload writes the same bytes to flash with runs as without them
     * (one object a record), whether the engine is remounted often (runs rebuilt from flash, passes
     * stopping inside them) or never.
     */
    @Test
    public void runsNeverChangeWhatIsWritten() throws IOException {
        byte[][] images = new byte[3][];
        for (int variant = 0; variant < 3; variant++) {
            NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
            FlashRegion region = flash.region("runtime", 0, 64L * BLOCK);
            LogStore store = mount(region, variant == 0);
            java.util.Random random = new java.util.Random(5);
            for (int w = 0; w < 6000; w++) {
                int key = random.nextInt(10) < 7 ? random.nextInt(8) : 8 + random.nextInt(40);
                if (random.nextInt(12) == 0) {
                    Stores.apply(store, Stores.remove("key" + key));
                } else if (random.nextInt(15) == 0) {
                    Stores.apply(store, Stores.put("key" + key, Stores.value(w, 10)),
                            Stores.put("key" + (key + 1), Stores.value(w + 1, 10)));
                } else {
                    Stores.apply(store, Stores.put("key" + key, Stores.value(w, 10 + random.nextInt(60))));
                }
                if (variant == 2 && w % 97 == 96) {
                    store = mount(region, false);
                }
            }
            assertTrue("collection ran", Arrays.stream(store.eraseCounts()).sum() > 64);
            if (variant > 0) {
                assertTrue("runs formed", store.ringObjects().size() < store.recordExtents().size() / 2);
            }
            images[variant] = new byte[(int) (64L * BLOCK)];
            region.map().get(0, images[variant]);
        }
        assertArrayEquals("runs as the writer makes them", images[0], images[1]);
        assertArrayEquals("runs as mounts rebuild them", images[0], images[2]);
    }

    private static LogStore mount(FlashRegion region, boolean withoutRuns) throws IOException {
        LogStore store = new LogStore(region, 8 * 1024, 200);
        if (withoutRuns) {
            store.withoutRuns();
        }
        try {
            store.mount();
        } catch (RefusedRegionException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return store;
    }

    @Test
    public void anEntrySupersededInARunIsNeverServedAtItsOlderValue() throws IOException {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, 64L * BLOCK);
        writtenOneByOne(region, 8 * 1024, 60);
        LogStore mounted = Stores.mount(region, 8 * 1024);
        assertTrue("runs formed", mounted.ringObjects().size() < 10);
        // The newer write marks key17's version superseded, in the markers of key17's own record.
        Stores.apply(mounted, Stores.put("key17", Stores.value(999, 20)));
        long newer = mounted.currentExtent(Namespace.KV, "key17")[0];
        for (int b = 0; b < 64; b += 3) {
            flash.corrupt(newer + b, (byte) 0xA5);
        }

        LogStore again = Stores.mount(region, 8 * 1024);
        CorruptedEntryException e = assertThrows(CorruptedEntryException.class, () -> again.open(Namespace.KV, "key17"));
        assertTrue(e.getMessage(), e.getMessage().contains("no longer readable"));
        for (int i = 0; i < 60; i++) {
            if (i != 17) {
                assertArrayEquals("key" + i, Stores.value(i, 20), Stores.get(again, "key" + i));
            }
        }
        for (String problem : again.problems()) {
            assertTrue(problem, !problem.contains("\"key") || problem.contains("\"key17\""));
        }
    }

    @Test
    public void collectionCopiesARunsLiveEntriesAndWaitsForItsViews() {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        FlashRegion region = flash.region("runtime", 0, 64L * BLOCK);
        LogStore store = Stores.mount(region, 8 * 1024);
        Map<String, byte[]> model = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            model.put("key" + i, Stores.value(i, 20 + i % 10));
            Stores.apply(store, Stores.put("key" + i, model.get("key" + i)));
        }
        store = Stores.mount(region, 8 * 1024);
        assertTrue("runs formed", store.ringObjects().size() < 10);
        EntryView held = store.open(Namespace.KV, "key5").orElseThrow();
        ByteBuffer heldData = held.data();
        for (int r = 0; r < 4000; r++) {
            String key = "key" + (r * 7 % 40);
            if (!key.equals("key5")) {
                model.put(key, Stores.value(10_000 + r, 20 + r % 30));
                Stores.apply(store, Stores.put(key, model.get(key)));
            }
        }
        assertTrue("collection erased blocks", Arrays.stream(store.eraseCounts()).sum() > 0);
        byte[] seen = new byte[heldData.remaining()];
        heldData.get(seen);
        assertArrayEquals("a view keeps its run's block from being erased", model.get("key5"), seen);
        held.close();
        // Hot keys only from here on: the runs the mounts find hold cold keys that all survive collection.
        for (int r = 0; r < 4000; r++) {
            String key = "key" + (r * 11 % 10);
            model.put(key, Stores.value(20_000 + r, 20 + r % 30));
            Stores.apply(store, Stores.put(key, model.get(key)));
            if (r % 700 == 699) {
                // Remounts form runs again, from new writes and from the collector's copies alike.
                store = Stores.mount(region, 8 * 1024);
            }
        }
        LogStore mounted = Stores.mount(region, 8 * 1024);
        assertEquals(List.of(), mounted.problems());
        assertTrue("every write and every copy is a single record, as the collector found it",
                mounted.recordExtents().stream().noneMatch(r -> r[2] == LogFormat.KIND_BATCH));
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getKey(), e.getValue(), Stores.get(mounted, e.getKey()));
        }
    }
}
