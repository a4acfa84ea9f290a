package datastore.logstore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** A record's columns: slot 0 kept in fields, later slots in arrays, each read back as written. */
public class RecordRefTest {

    @Test
    public void everySlotReadsBackItsOwnColumns() {
        for (int count : new int[] {1, 2, 5}) {
            RecordRef ref = new RecordRef(4096, 8192, LogFormat.KIND_BATCH, 7);
            long base = 1L << 40;
            ref.entries(count, base);
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
        ref.entries(3, 100);
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
}
