package datastore.logstore;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.junit.Test;

import datastore.CorruptedEntryException;
import datastore.flash.FlashRegion;
import datastore.device.NorFlash;

/**
 * A version's superseded markers stay in the damage unit (4 KiB) of its commit word, so one wiped unit
 * never takes a newer record together with the markers of the version it replaced while that version
 * stays readable. Without that rule a record ending exactly at a unit boundary put its markers in the
 * next unit, where the overwrite usually follows it: erasing that unit lost the overwrite and left
 * the old value looking current, served without a word.
 */
public class MarkerPlacementTest {
    static final int BLOCK = 4096;
    static final long SIZE = 32L * BLOCK;

    @Test
    public void wipingAnyOneUnitNeverServesAReplacedValue() throws IOException {
        int checked = 0;
        int crossings = 0;
        // A filler of every length (in program units) moves the old version's end across a unit boundary.
        int body = LogFormat.align(LogFormat.singleLength(1, 40), 16);
        for (int filler = 3600; filler <= 4200; filler += 16) {
            FlashRegion region = NorFlash.inMemory(SIZE, BLOCK, 16).region("runtime", 0, SIZE);
            LogStore store = Stores.mount(region, 16 * 1024);
            Stores.apply(store, Stores.put("filler", new byte[filler]));
            long[] before = store.currentExtent(datastore.Namespace.KV, "filler");
            // Where the old version's commit word would end if it followed the filler directly.
            crossings += (before[0] + before[1] + body) % BLOCK == 0 ? 1 : 0;
            byte[] old = Stores.value(1, 40);
            byte[] replaced = Stores.value(2, 40);
            Stores.apply(store, Stores.put("k", old));
            Stores.apply(store, Stores.put("k", replaced));
            // A later record, so a wiped unit in the middle is damage, not the free space at the head.
            Stores.apply(store, Stores.put("later", new byte[5000]));
            byte[] image = new byte[(int) SIZE];
            region.map().get(0, image);
            for (int unit = 2; unit < SIZE / BLOCK; unit++) {
                byte[] damaged = image.clone();
                Arrays.fill(damaged, unit * BLOCK, (unit + 1) * BLOCK, (byte) 0xFF);
                FlashRegion copy = NorFlash.inMemory(SIZE, BLOCK, 16).region("runtime", 0, SIZE);
                copy.program(0, ByteBuffer.wrap(damaged));
                LogStore mounted = Stores.mount(copy, 16 * 1024);
                try {
                    byte[] got = Stores.get(mounted, "k");
                    assertFalse("filler " + filler + ", unit " + unit + " wiped: the replaced value is served",
                            Arrays.equals(old, got));
                } catch (CorruptedEntryException reported) {
                    assertTrue(reported.getMessage(), reported.getMessage().contains("k"));
                }
                checked++;
            }
        }
        assertTrue("some filler must end the old version's commit word on a unit boundary", crossings > 0);
        assertTrue(checked > 100);
    }
}
