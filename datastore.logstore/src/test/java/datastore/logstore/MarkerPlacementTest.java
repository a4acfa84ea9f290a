package datastore.logstore;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import org.junit.Test;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.flash.FlashRegion;
import datastore.device.NorFlash;

/**
 * Damage that takes a newer write and the superseded markers of the version it replaced never leaves
 * that version readable: it is never served as current. A record's markers lie between its header
 * copies and its body (format 4), and a newer version always lies after the record it replaced, so a
 * contiguous span of damage reaching from the markers to the newer record covers the old version's
 * commit words too. Format 3 kept the markers after the commit words, in the same 4 KiB unit: whole
 * units were safe, but damage to part of a unit (the second half of a torn page) could take the markers
 * and the overwrite and leave the commit words.
 */
public class MarkerPlacementTest {
    static final int BLOCK = 4096;
    static final long SIZE = 32L * BLOCK;
    static final int PROGRAM = 16;

    /** An image with the old and the replaced version of "k" after a filler, and a later record. */
    record Written(byte[] image, long oldAt, long oldEnd, long newAt, long newEnd, byte[] old) {
    }

    static Written written(int filler, int valueLength) throws IOException {
        FlashRegion region = NorFlash.inMemory(SIZE, BLOCK, PROGRAM).region("runtime", 0, SIZE);
        LogStore store = Stores.mount(region, 16 * 1024);
        Stores.apply(store, Stores.put("filler", new byte[filler]));
        byte[] old = Stores.value(1, valueLength);
        Stores.apply(store, Stores.put("k", old));
        long[] oldExtent = store.currentExtent(Namespace.KV, "k");
        Stores.apply(store, Stores.put("k", Stores.value(2, valueLength)));
        long[] newExtent = store.currentExtent(Namespace.KV, "k");
        // A later record, so damage in the middle is damage, not the free space at the head.
        Stores.apply(store, Stores.put("later", new byte[5000]));
        byte[] image = new byte[(int) SIZE];
        region.map().get(0, image);
        return new Written(image, oldExtent[0], oldExtent[0] + oldExtent[1], newExtent[0], newExtent[0] + newExtent[1],
                old);
    }

    /** Mounts the image with {@code [from, to)} overwritten by {@code fill}, and checks "k" is not the old value. */
    static void assertNotReverted(Written w, long from, long to, byte[] fill, String what) throws IOException {
        byte[] damaged = w.image().clone();
        System.arraycopy(fill, 0, damaged, (int) from, (int) (to - from));
        FlashRegion copy = NorFlash.inMemory(SIZE, BLOCK, PROGRAM).region("runtime", 0, SIZE);
        copy.program(0, ByteBuffer.wrap(damaged));
        LogStore mounted = Stores.mount(copy, 16 * 1024);
        try {
            byte[] got = Stores.get(mounted, "k");
            assertFalse(what + ": the replaced value is served", Arrays.equals(w.old(), got));
        } catch (CorruptedEntryException reported) {
            assertTrue(reported.getMessage(), reported.getMessage().contains("\"k\""));
        }
    }

    /**
     * Every span that starts anywhere from the old version's start to the newer one's end and ends
     * anywhere up to past the newer one, at program-unit granularity, erased, zeroed or garbage, at
     * several places of the old version relative to the 4 KiB units.
     */
    @Test
    public void noSpanOfDamageServesAReplacedValue() throws IOException {
        Random random = new Random(7);
        int spans = 0;
        int markersAndOverwrite = 0;
        for (int filler = 3600; filler <= 4200; filler += 48) {
            Written w = written(filler, 40);
            for (long from = w.oldAt(); from < w.newEnd(); from += PROGRAM) {
                for (long to = from + PROGRAM; to <= w.newEnd() + 2 * PROGRAM; to += PROGRAM) {
                    byte[] garbage = new byte[(int) (to - from)];
                    random.nextBytes(garbage);
                    for (byte[] fill : new byte[][] {filled(to - from, 0xFF), filled(to - from, 0x00), garbage}) {
                        assertNotReverted(w, from, to, fill, "filler " + filler + ", bytes " + from + ".." + to
                                + " overwritten with " + (fill[0] & 0xFF));
                        spans++;
                    }
                    // The shape that reverted in format 3: the old version's markers and the overwrite.
                    boolean markers = from < w.oldAt() + 2 * LogFormat.HEADER + LogFormat.lead(1, PROGRAM)
                            && to > w.oldAt() + 2 * LogFormat.HEADER;
                    markersAndOverwrite += markers && to > w.newAt() ? 1 : 0;
                }
            }
        }
        assertTrue("spans must take markers and overwrite together", markersAndOverwrite > 100);
        assertTrue(spans > 1000);
    }

    /** Any one whole unit (a torn 4 KiB page, an erased or garbage block) wiped. */
    @Test
    public void wipingAnyOneUnitNeverServesAReplacedValue() throws IOException {
        int checked = 0;
        for (int filler = 3600; filler <= 4200; filler += 16) {
            Written w = written(filler, 40);
            for (int unit = 2; unit < SIZE / BLOCK; unit++) {
                assertNotReverted(w, (long) unit * BLOCK, (long) (unit + 1) * BLOCK, filled(BLOCK, 0xFF),
                        "filler " + filler + ", unit " + unit + " wiped");
                checked++;
            }
        }
        assertTrue(checked > 100);
    }

    private static byte[] filled(long length, int value) {
        byte[] b = new byte[(int) length];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
