package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.Test;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;

public class RomLayoutTest {
    private static final long MIB = 1024 * 1024;

    @Test
    public void theDefaultRegionGivesEachSlotTheFullCapacity() {
        RomLayout layout = RomLayout.of(new FlashGeometry(28 * MIB, 65536, 16));
        assertEquals(3, layout.formatVersion());
        assertEquals(4 * 65536, layout.updOffset());
        assertEquals(MIB, layout.updSize());
        assertEquals(MIB / 2, layout.updCopySize());
        assertEquals(214 * 65536, layout.slotSize());
        assertEquals(2 * 65536, layout.slotCopySize());
        assertEquals(layout.updOffset() + layout.updSize() + layout.slotSize(), layout.slotOffset(1));
        assertEquals(28 * MIB, layout.slotOffset(1) + layout.slotSize());
        assertEquals(512, layout.recordsPerBlock());
        assertEquals(2, layout.commitGroups());
        assertTrue(RomImageFormat.roomFor(layout.slotImageRoom()) >= 13631488);
        // The copies lie in other erase blocks than the headers they copy, after the largest image.
        assertEquals(layout.slotOffset(0) + layout.slotImageRoom(), layout.slotCopyOffset(0));
        assertEquals(layout.updOffset() + layout.updImageRoom(), layout.updCopyOffset());
    }

    @Test
    public void formatTwoKeepsItsLayout() {
        RomLayout layout = RomLayout.legacy(new FlashGeometry(28 * MIB, 65536, 16));
        assertEquals(2, layout.formatVersion());
        assertEquals(2 * 65536, layout.updOffset());
        assertEquals(MIB, layout.updSize());
        assertEquals(14090240, layout.slotSize());
        assertEquals(-1, layout.slotCopyOffset(1));
        assertEquals(-1, layout.updCopyOffset());
        assertEquals(1024, layout.recordsPerBlock());
    }

    @Test
    public void tooSmallARegionIsRefusedWithItsNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RomLayout.of(new FlashGeometry(9 * 4096, 4096, 16)));
        assertTrue(e.getMessage(), e.getMessage().contains("at least 10 erase blocks"));
    }

    @Test
    public void thirteenMebibytesOfPayloadFitTheDefaultRegion() throws Exception {
        NorFlash flash = NorFlash.inMemory(28 * MIB, 65536, 16);
        FlashRegion region = flash.region("rom", 0, 28 * MIB);
        RomStore store = new RomStore(region, 13631488, null, Duration.ZERO);
        Map<String, String> kv = new LinkedHashMap<>();
        long left = 13631488;
        for (int i = 0; left > 0; i++) {
            String name = String.format("k%03d", i);
            int value = (int) Math.min(Namespace.KV.maxValueBytes(), left - name.length());
            kv.put(name, "v".repeat(value));
            left -= name.length() + value;
        }
        RomInfo info = store.replace(new RomContent(null, kv, Map.of()), RomFixtures.FORMATS);
        assertEquals(13631488, info.payloadBytes());
        assertEquals(kv.size(), store.names(Namespace.KV).size());
        assertEquals(13631488, new RomStore(region, 13631488, null, Duration.ZERO).usage().used());
    }
}
