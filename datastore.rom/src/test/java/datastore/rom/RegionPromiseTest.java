package datastore.rom;

import static org.junit.Assert.assertEquals;

import java.util.Arrays;

import org.junit.Test;

import datastore.flash.FlashGeometry;
import datastore.romformat.ArrayRegion;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;

/**
 * On a flash that describes its own layout, a ROM region sized for a smaller promise than the
 * configured capacity promises what its slots hold; a region that holds the configuration keeps it.
 */
public class RegionPromiseTest {
    private static ArrayRegion region(long size) {
        byte[] bytes = new byte[(int) size];
        Arrays.fill(bytes, (byte) 0xFF);
        return new ArrayRegion(bytes, 65536, 16, 0);
    }

    @Test
    public void aSmallRegionPromisesWhatItsSlotsHold() throws Exception {
        ArrayRegion small = region(4L << 20);
        long room = RomImageFormat.roomFor(RomLayout.of(new FlashGeometry(4L << 20, 65536, 16)).slotImageRoom());
        assertEquals(room, RomPartition.promisedByRegion(13L << 20, small));
        RomPartition partition = new RomPartition(small, RomConfigs.of(), false, null, null, true);
        assertEquals(room, partition.usage().capacity());
    }

    @Test
    public void aRegionThatHoldsTheConfigurationKeepsIt() {
        assertEquals(13L << 20, RomPartition.promisedByRegion(13L << 20, region(28L << 20)));
    }
}
