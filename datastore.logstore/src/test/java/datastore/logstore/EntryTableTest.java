package datastore.logstore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.Test;

import datastore.Namespace;

/** The compact index's sizing: a mount reserves room once instead of growing (and hashing every name again). */
public class EntryTableTest {
    private static final int NAMES = 3000;
    private static final int STRIDE = 16;
    private static final int CODE = Namespace.values()[0].code();

    @Test
    public void aReservedTableTakesItsNamesWithoutGrowing() {
        EntryTable table = table();
        table.reserve(NAMES, NAMES);
        long reserved = table.bytes();
        fill(table);
        assertEquals("heap of the table and the records by id after " + NAMES + " names", reserved, table.bytes());
        assertEveryNameFound(table);
    }

    @Test
    public void anUnreservedTableGrows() {
        EntryTable table = table();
        long empty = table.bytes();
        fill(table);
        assertNotEquals(empty, table.bytes());
        assertEveryNameFound(table);
    }

    private static EntryTable table() {
        EntryTable table = new EntryTable();
        table.map = ByteBuffer.allocate(NAMES * STRIDE);
        return table;
    }

    private static void fill(EntryTable table) {
        for (int i = 0; i < NAMES; i++) {
            byte[] name = name(i);
            int at = i * STRIDE;
            table.map.put(at, name);
            RecordRef ref = new RecordRef(at, at + STRIDE, LogFormat.KIND_SINGLE, 0);
            ref.entries(1);
            ref.entry(0, CODE, 0, at, name.length, at + name.length, 0, i + 1, 0, RecordRef.NAMED | RecordRef.VERIFIED);
            table.register(ref);
            table.offer(ref, 0, table.hash(ref, 0));
        }
    }

    private static void assertEveryNameFound(EntryTable table) {
        assertEquals(NAMES, table.locations().length);
        for (int i = 0; i < NAMES; i++) {
            long loc = table.current(CODE, i * STRIDE, name(i).length);
            assertNotEquals("name " + i, 0, loc);
            assertEquals("name " + i, i + 1, table.record(loc).revision(EntryTable.slotOf(loc)));
        }
    }

    private static byte[] name(int i) {
        return String.format("key-%06d", i).getBytes(StandardCharsets.UTF_8);
    }
}
