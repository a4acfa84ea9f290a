package datastore.logstore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/**
 * A record's columns: slot 0 kept in fields, later slots in arrays, each read back as written; the
 * record's shape (kind, count, markers) packed in one word.
 */
public class RecordRefTest {

    @Test
    public void everySlotReadsBackItsOwnColumns() {
        for (int count : new int[] {1, 2, 5}) {
            RecordRef ref = new RecordRef(4096, 8192, LogFormat.KIND_BATCH, 7);
            long base = 1L << 40;
            ref.entries(count);
            for (int slot = 0; slot < count; slot++) {
                ref.entry(slot, 1 + slot, 10 + slot, 1000 + slot, 3 + slot, 2000 + 100 * slot, 50 + slot, base + slot,
                        0xC0DE0000 | slot, slot % 2 == 0 ? RecordRef.NAMED : RecordRef.NAMED | RecordRef.REMOVAL);
            }
            for (int slot = 0; slot < count; slot++) {
                String where = count + " entries, slot " + slot;
                assertEquals(where, 1 + slot, ref.namespaceCode(slot));
                assertEquals(where, 10 + slot, ref.format(slot));
                assertEquals(where, 1000 + slot, ref.nameAt(slot));
                assertEquals(where, 3 + slot, ref.nameLength(slot));
                assertEquals(where, 2000 + 100 * slot, ref.valueAt(slot));
                assertEquals(where, 50 + slot, ref.valueLength(slot));
                assertEquals(where, base + slot, ref.revision(slot));
                assertEquals(where, 0xC0DE0000 | slot, ref.valueCrc(slot));
                assertTrue(where, ref.is(slot, RecordRef.NAMED));
                assertEquals(where, slot % 2 != 0, ref.is(slot, RecordRef.REMOVAL));
            }
        }
    }

    @Test
    public void flagsChangeOnlyTheirOwnSlot() {
        RecordRef ref = new RecordRef(0, 512, LogFormat.KIND_BATCH, 0);
        ref.entries(3);
        for (int slot = 0; slot < 3; slot++) {
            ref.entry(slot, 1, 0, 10 * slot, 4, 100 + 10 * slot, 4, 100 + slot, slot, RecordRef.NAMED);
        }
        for (int slot = 0; slot < 3; slot++) {
            assertTrue("first set of slot " + slot, ref.set(slot, RecordRef.VERIFIED));
            assertFalse("second set of slot " + slot, ref.set(slot, RecordRef.VERIFIED));
            for (int other = 0; other < 3; other++) {
                assertEquals("slot " + other + " after setting slot " + slot, other <= slot,
                        ref.is(other, RecordRef.VERIFIED));
            }
        }
        ref.clear(0, RecordRef.VERIFIED);
        assertFalse(ref.is(0, RecordRef.VERIFIED));
        assertTrue(ref.is(1, RecordRef.VERIFIED) && ref.is(2, RecordRef.VERIFIED));
        assertTrue("a cleared flag keeps the others", ref.is(0, RecordRef.NAMED));
        ref.clear(2, RecordRef.NAMED);
        assertFalse(ref.is(2, RecordRef.NAMED));
        assertTrue(ref.is(0, RecordRef.NAMED) && ref.is(1, RecordRef.NAMED));
    }

    @Test
    public void revisionsOnEitherSideOfSlotZerosAreKept() {
        // A batch written by collection keeps its entries' revisions, in any order.
        RecordRef ref = new RecordRef(0, 512, LogFormat.KIND_BATCH, 3);
        long[] revisions = {5_000_000_000L, 5_000_000_000L - Integer.MAX_VALUE, 5_000_000_000L + Integer.MAX_VALUE};
        ref.entries(revisions.length);
        for (int slot = 0; slot < revisions.length; slot++) {
            ref.entry(slot, 1, 0, 10 * slot, 4, 100 + 10 * slot, 4, revisions[slot], slot, RecordRef.NAMED);
        }
        for (int slot = 0; slot < revisions.length; slot++) {
            assertEquals(revisions[slot], ref.revision(slot));
            assertEquals(slot, ref.valueCrc(slot));
        }
        RecordRef far = new RecordRef(0, 512, LogFormat.KIND_BATCH, 3);
        far.entries(2);
        far.entry(0, 1, 0, 0, 4, 4, 4, 10, 0, RecordRef.NAMED);
        org.junit.Assert.assertThrows(IllegalStateException.class,
                () -> far.entry(1, 1, 0, 8, 4, 12, 4, 10L + Integer.MAX_VALUE + 1, 0, RecordRef.NAMED));
    }

    @Test
    public void theShapeWordKeepsKindCountPassAndMarkers() throws java.io.IOException {
        datastore.flash.FlashRegion region = datastore.device.NorFlash.inMemory(64L * 4096, 4096, 16)
                .region("runtime", 0, 64L * 4096);
        RingLayout layout = new RingLayout(region, 8 * 1024, 200);
        int count = 100_000;
        long start = 3 * layout.ringSize + 4096;
        int markers = LogFormat.markerSize(count, layout.programSize);
        RecordRef ref = new RecordRef(start, start + 4096 + markers, LogFormat.KIND_BATCH, 0x1_0005);
        assertEquals("no markers until noted", -1, ref.markerAt(layout));
        ref.entries(count);
        ref.markers();
        assertEquals(LogFormat.KIND_BATCH, ref.kind());
        assertEquals(count, ref.count());
        assertEquals("the last bytes of the extent", layout.phys(start) + 4096, ref.markerAt(layout));
        assertTrue("passes compare in 16 bits", ref.writtenBy(5) && ref.writtenBy(0x1_0005) && !ref.writtenBy(6));
        org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> ref.entries(1 << 25));
        RecordRef single = new RecordRef(start, start + 96 + LogFormat.markerSize(1, 16), LogFormat.KIND_SINGLE, 0);
        single.entries(1);
        single.markers();
        assertEquals(LogFormat.KIND_SINGLE, single.kind());
        assertEquals(layout.phys(start) + 96, single.markerAt(layout));
    }

    /**
     * A run grown a record at a time past two chunks of flags keeps every slot's columns and every
     * flag set meanwhile, trims, and splits into a run of the later slots with the same columns, while
     * the first keeps describing all of them.
     */
    @Test
    public void aGrowingRunKeepsItsSlotsAndSplits() throws java.io.IOException {
        int block = 64 * 1024;
        datastore.flash.FlashRegion region = datastore.device.NorFlash.inMemory(64L * block, block, 16)
                .region("runtime", 0, 64L * block);
        RingLayout layout = new RingLayout(region, 64 * 1024, 200);
        int nameLength = 6;
        int valueLength = 10;
        int extent = (int) layout.singleExtent(nameLength, valueLength, true);
        long start = layout.ringStart + 2L * block;
        RecordRef run = new RecordRef(start, start + extent, LogFormat.KIND_SINGLE, 0);
        run.markersLead();
        run.entries(1);
        int slots = 150;
        for (int slot = 0; slot < slots; slot++) {
            long at = start + (long) slot * extent;
            if (slot > 0) {
                assertTrue("slot " + slot, run.canTake(layout, at, extent, 500 + slot, 0));
                assertEquals(slot, run.grow(extent));
            }
            int nameAt = (int) layout.phys(at) + 2 * LogFormat.HEADER + LogFormat.lead(1, 16);
            run.entry(slot, 1, 0, nameAt, nameLength, nameAt + nameLength, valueLength, 500 + slot, 0xAB00 | slot,
                    RecordRef.NAMED);
            if (slot % 7 == 0) {
                // Set while the run grows: never lost when the columns are copied.
                run.set(slot, RecordRef.VERIFIED);
            }
        }
        assertFalse("a record of another pass never joins", run.canTake(layout, start + slots * extent, extent, 999, 3));
        assertFalse("nor one that does not follow it", run.canTake(layout, start + slots * extent + 16, extent, 999, 0));
        assertFalse("nor one whose revision lies too far from the run's first",
                run.canTake(layout, start + slots * extent, extent, 500 + SingleRun.REVISION_SPAN + 1, 0));
        run.trim();
        assertTrue(run.isRun());
        assertEquals(slots, run.count());
        assertEquals(start + (long) slots * extent, run.end());
        RecordRef rest = run.split(layout, 100);
        assertTrue(rest.isRun());
        assertEquals(run.recordStart(layout, 100), rest.start);
        assertEquals(run.end(), rest.end());
        for (int slot = 0; slot < slots; slot++) {
            String where = "slot " + slot;
            assertEquals(where, layout.phys(start) + (long) slot * extent, run.recordAt(layout, slot));
            assertEquals(where, extent, run.recordExtent(layout, slot));
            // Format 4: the markers follow the two header copies.
            assertEquals(where, run.recordAt(layout, slot) + 2 * LogFormat.HEADER, run.markerAt(layout, slot));
            assertEquals(where, 500 + slot, run.revision(slot));
            assertEquals(where, slot % 7 == 0, run.is(slot, RecordRef.VERIFIED));
            if (slot >= 100) {
                int r = slot - 100;
                assertEquals(where, run.nameAt(slot), rest.nameAt(r));
                assertEquals(where, run.valueAt(slot), rest.valueAt(r));
                assertEquals(where, run.valueCrc(slot), rest.valueCrc(r));
                assertEquals(where, run.revision(slot), rest.revision(r));
                assertEquals(where, run.markerAt(layout, slot), rest.markerAt(layout, r));
                assertEquals(where, slot % 7 == 0, rest.is(r, RecordRef.VERIFIED));
            }
        }
    }
}
