package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.Change;

import org.junit.Test;

/**
 * Damage to a batch record's directory, which is stored twice (FORMAT.md, "Records"): either copy
 * alone costs nothing and is reported; both copies cost that record's entries only, reported too.
 * The mount reads the directory in place and checksums an undamaged one once, so each copy's own
 * verdict is checked here.
 */
public class DirectoryDamageTest {
    private static final int BLOCK = 4096;
    private static final int KEYS = 5;
    /** The batch is the ring's first record: it starts at the ring's start, after the two anchor blocks. */
    private static final long BATCH = 2L * BLOCK;
    /** The directory of a batch written at once: one revision run, then 16 bytes an entry, then its CRC. */
    private static final int DIRECTORY = LogFormat.RUN + LogFormat.DIR_ENTRY * KEYS + 4;
    /** After the two header copies and the markers that lead the body (format 4). */
    private static final long FIRST_COPY = BATCH + 2 * LogFormat.HEADER + LogFormat.lead(KEYS, 16);
    private static final long SECOND_COPY = FIRST_COPY + DIRECTORY;

    private static FlashRegion written(NorFlash flash) {
        FlashRegion region = flash.region("runtime", 0, 64L * BLOCK);
        LogStore store = Stores.mount(region, 8 * 1024);
        List<Change> batch = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            batch.add(Stores.put("batch" + i, Stores.value(i, 10 + i)));
        }
        store.apply(batch);
        Stores.apply(store, Stores.put("after", Stores.value(99, 12)));
        return region;
    }

    private static void assertAllServed(LogStore store) {
        for (int i = 0; i < KEYS; i++) {
            assertArrayEquals("batch" + i, Stores.value(i, 10 + i), Stores.get(store, "batch" + i));
        }
        assertArrayEquals(Stores.value(99, 12), Stores.get(store, "after"));
    }

    private static void assertReported(LogStore store, String damage) {
        String problems = store.problems().toString();
        assertTrue(problems, problems.contains(damage));
    }

    @Test
    public void anUndamagedBatchMountsWithoutAProblem() {
        NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
        LogStore store = Stores.mount(written(flash), 8 * 1024);
        assertAllServed(store);
        assertEquals(List.of(), store.problems());
    }

    @Test
    public void eitherDamagedCopyAloneCostsNothingAndIsReported() throws IOException {
        // An entry's value length, a revision run and the copy's CRC: each copy, one place at a time.
        for (long copy : new long[] {FIRST_COPY, SECOND_COPY}) {
            for (int offset : new int[] {LogFormat.RUN + 16 + 4, 0, DIRECTORY - 1}) {
                NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
                FlashRegion region = written(flash);
                flash.corrupt(copy + offset, (byte) 0x24);
                LogStore store = Stores.mount(region, 8 * 1024);
                assertAllServed(store);
                assertReported(store, "one copy of its directory is damaged; the other copy is used");
            }
        }
    }

    @Test
    public void bothCopiesDamagedCostOnlyThatBatchAndAreReported() throws IOException {
        // The same damage to both (the copies stay equal to each other) and different damage to each.
        byte[][] masks = {{0x24, 0x24}, {0x24, 0x42}};
        for (byte[] mask : masks) {
            NorFlash flash = NorFlash.inMemory(64L * BLOCK, BLOCK, 16);
            FlashRegion region = written(flash);
            flash.corrupt(FIRST_COPY + LogFormat.RUN + 3, mask[0]);
            flash.corrupt(SECOND_COPY + LogFormat.RUN + 3, mask[1]);
            LogStore store = Stores.mount(region, 8 * 1024);
            for (int i = 0; i < KEYS; i++) {
                assertNull("batch" + i, Stores.get(store, "batch" + i));
            }
            assertArrayEquals(Stores.value(99, 12), Stores.get(store, "after"));
            assertReported(store, "both copies of its directory are damaged; skipped");
        }
    }
}
