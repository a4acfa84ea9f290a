package datastore.flashtable;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

import datastore.flashtable.FlashLayout.Region;
import datastore.flash.FlashGeometry;

public class FlashLayoutTest {
    private static final long MIB = 1 << 20;
    private static final int BLOCK = 65536;

    @Test
    public void adjacentRegionsInEitherOrderAreFine() {
        FlashLayout layout = FlashLayout.of(5 * MIB, BLOCK, 16, new Region("rom", 2 * MIB, 2 * MIB),
                new Region("runtime", 0, 2 * MIB));
        assertEquals(2, layout.regions().size());
    }

    @Test
    public void aRegionOfSizeZeroIsDisabledAndNeverOverlaps() {
        FlashLayout layout = FlashLayout.of(5 * MIB, BLOCK, 16, new Region("rom", 0, 4 * MIB),
                new Region("runtime", MIB, 0));
        assertEquals(List.of(new Region("rom", 0, 4 * MIB)), layout.regions());
    }

    @Test
    public void overlappingRegionsAreRefusedNamingBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(64 * MIB, BLOCK, 16, new Region("rom", 0, 28 * MIB),
                        new Region("runtime", 16 * MIB, 32 * MIB)));
        assertEquals("runtime region [0x1000000, 0x3000000) overlaps rom region [0x0, 0x1c00000)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(64 * MIB, BLOCK, 16,
                new Region("rom", 30 * MIB, 2 * MIB), new Region("runtime", 0, 32 * MIB)));
        assertEquals("runtime region [0x0, 0x2000000) overlaps rom region [0x1e00000, 0x2000000)", e.getMessage());
    }

    @Test
    public void misalignedRegionsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(64 * MIB, BLOCK, 16, new Region("rom", 0x800, 28 * MIB)));
        assertEquals("rom region [0x800, 0x1c00800) is not aligned to the erase block size 0x10000", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(64 * MIB, BLOCK, 16, new Region("runtime", 0, 32 * MIB + 16)));
        assertEquals("runtime region [0x0, 0x2000010) is not aligned to the erase block size 0x10000", e.getMessage());
    }

    @Test
    public void regionsOutsideTheFlashAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(48 * MIB, BLOCK, 16, new Region("runtime", 28 * MIB, 32 * MIB)));
        assertEquals("runtime region [0x1c00000, 0x3c00000) does not fit the flash of 0x3000000 bytes", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(48 * MIB, BLOCK, 16, new Region("rom", 48 * MIB, MIB)));
        assertEquals("rom region [0x3000000, 0x3100000) does not fit the flash of 0x3000000 bytes", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(48 * MIB, BLOCK, 16, new Region("rom", -BLOCK, MIB)));
        assertEquals("rom region has a negative offset or size: offset -65536, size 1048576", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(48 * MIB, BLOCK, 16, new Region("rom", 0, -BLOCK)));
        assertEquals("rom region has a negative offset or size: offset 0, size -65536", e.getMessage());
    }

    @Test
    public void theLastTwoEraseBlocksAreKeptForThePartitionTable() {
        FlashLayout.of(64 * MIB, BLOCK, 16, new Region("runtime", 32 * MIB, 32 * MIB - 2 * BLOCK));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlashLayout.of(64 * MIB, BLOCK, 16, new Region("runtime", 32 * MIB, 32 * MIB - BLOCK)));
        assertEquals("runtime region [0x2000000, 0x3ff0000) overlaps [0x3fe0000, 0x4000000), the flash's last two "
                + "erase blocks, which hold the partition table; end it at 0x3fe0000 or before", e.getMessage());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(64 * MIB, 2048, 16)),
                "flash erase block size 0x800 is below the 0x1000 bytes");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(BLOCK, BLOCK, 16)),
                "flash size 0x10000 cannot hold the two erase blocks");
    }

    @Test
    public void badGeometryIsRefused() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(64 * MIB, 65000, 16)),
                "flash erase block size 65000 is not a power of two");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(64 * MIB, 0, 16)),
                "flash erase block size 0 is not a power of two");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(64 * MIB, BLOCK, 24)),
                "flash program size 24 is not a power of two no larger than the erase block size 65536");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(64 * MIB, 4096, 8192)),
                "flash program size 8192");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(64 * MIB + 4096, BLOCK, 16)),
                "flash size 0x4001000 is not a positive multiple of the erase block size 0x10000");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(0, BLOCK, 16)),
                "flash size 0x0 is not a positive multiple");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> FlashLayout.of(4096 * MIB, BLOCK, 16)),
                "flash size 0x100000000 is over the 2 GiB");
    }

    static void assertMessage(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue("message \"" + e.getMessage() + "\" should contain \"" + part + "\"",
                    e.getMessage().contains(part));
        }
    }
}
