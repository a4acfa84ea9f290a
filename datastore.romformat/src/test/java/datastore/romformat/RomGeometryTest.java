package datastore.romformat;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.zip.CRC32C;

import org.junit.Test;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;

/**
 * A ROM region whose partition table changed (resized, moved, swapped), that holds foreign bytes or
 * a newer format is refused with both sides named, and not one byte of the flash changes; formatting
 * is an explicit act ({@link RomStore#format}). How the partition registers a refusal and formats on
 * request or with the {@code format_refused} flag is the ROM bundle's {@code RomPartitionGeometryTest}.
 */
public class RomGeometryTest {
    private static final int BLOCK = RomFixtures.SMALL_BLOCK;
    private static final int BLOCKS = RomFixtures.SMALL_BLOCKS;
    private static final long SIZE = (long) BLOCK * BLOCKS;

    /** Mounting {@code region} is refused with a message holding every {@code needles}; the flash is unchanged. */
    private static String refused(NorFlash flash, FlashRegion region, String... needles) throws Exception {
        byte[] before = RomFixtures.bytes(flash);
        RomRegionRefusedException e = assertThrows(RomRegionRefusedException.class,
                () -> new RomStore(region, RomFixtures.SMALL_CAPACITY, null, Duration.ZERO));
        for (String needle : needles) {
            assertTrue(e.getMessage() + " names " + needle, e.getMessage().contains(needle));
        }
        assertEquals(e.reason(), RomStore.refusal(region).orElseThrow());
        assertArrayEquals("the flash is byte for byte as it was", before, RomFixtures.bytes(flash));
        System.out.println("refused: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    public void theConfiguredRegionMounts() throws Exception {
        NorFlash flash = RomFixtures.manufacturedAt(BLOCK * 4L);
        RomStore store = RomFixtures.mount(flash.region("rom", BLOCK * 4L, SIZE));
        assertEquals(2, store.info().generation());
        assertEquals(RomFixtures.expected(RomFixtures.content("b"), RomFixtures.upd()), RomFixtures.snapshot(store));
    }

    @Test
    public void aResizedRegionIsRefused() throws Exception {
        NorFlash flash = RomFixtures.manufacturedAt(0);
        refused(flash, flash.region("rom", 0, SIZE + BLOCK), SIZE + " bytes", (SIZE + BLOCK) + " bytes");
        refused(flash, flash.region("rom", 0, SIZE - BLOCK), SIZE + " bytes", (SIZE - BLOCK) + " bytes");
    }

    @Test
    public void aRegionMovedByOneEraseBlockIsRefused() throws Exception {
        long at = BLOCK * 4L;
        NorFlash flash = RomFixtures.manufacturedAt(at);
        refused(flash, flash.region("rom", at + BLOCK, SIZE), "device offset " + at, "device offset " + (at + BLOCK));
        refused(flash, flash.region("rom", at - BLOCK, SIZE), "device offset " + at, "device offset " + (at - BLOCK));
    }

    @Test
    public void swappedRegionsAreRefused() throws Exception {
        // The table had the ROM at [0, S) and the runtime region at [S, 2S); the swapped table has them
        // the other way round. The ROM now finds the runtime log's bytes (here: records of some other
        // format) at its place; a ROM region placed over the middle of the old ROM finds its images
        // without their commit records.
        NorFlash flash = RomFixtures.manufacturedAt(0);
        FlashRegion runtime = flash.region("runtime", SIZE, SIZE);
        byte[] log = new byte[BLOCK * 3];
        new Random(5).nextBytes(log);
        runtime.program(0, ByteBuffer.wrap(log));
        runtime.sync();
        refused(flash, flash.region("rom", SIZE, SIZE), "neither erased nor a ROM", "region offset 128");
        refused(flash, flash.region("rom", SIZE / 2, SIZE), "a ROM image header of format 3",
                "device offset " + SIZE / 2);
    }

    @Test
    public void foreignBytesAreRefusedAndAnErasedRegionIsNot() throws Exception {
        NorFlash flash = NorFlash.inMemory(SIZE, BLOCK, 16);
        FlashRegion region = RomFixtures.romRegion(flash);
        assertTrue("a fresh, erased region mounts", RomStore.refusal(region).isEmpty());
        byte[] file = "#!/bin/sh\necho a file that is not a ROM\n".repeat(40).getBytes();
        region.program(BLOCK * 7L, ByteBuffer.wrap(java.util.Arrays.copyOf(file, file.length / 16 * 16)));
        region.sync();
        refused(flash, region, "neither erased nor a ROM", "region offset " + BLOCK * 7L, "2321");
    }

    @Test
    public void aNewerFormatIsRefusedAndLeftAsItIs() throws Exception {
        NorFlash flash = RomFixtures.manufacturedAt(0);
        FlashRegion region = flash.region("rom", 0, SIZE);
        RomLayout layout = RomLayout.of(region.geometry());
        // A newer version's commit records: the same frame, format 4, checksummed as they would be.
        for (int block = 0; block < 2; block++) {
            for (int index = 0; index < 2; index++) {
                long at = layout.recordOffset(block, index);
                byte[] record = new byte[CommitRecord.SIZE];
                region.map().get((int) at, record);
                byte[] newer = record.clone();
                newer[7] = 4;
                CRC32C crc = new CRC32C();
                crc.update(newer, 0, 124);
                ByteBuffer.wrap(newer).putInt(124, (int) crc.getValue());
                flash.corrupt(at + 7, (byte) (record[7] ^ newer[7]));
                for (int i = 124; i < 128; i++) {
                    flash.corrupt(at + i, (byte) (record[i] ^ newer[i]));
                }
            }
        }
        refused(flash, region, "format 4, newer than this dock's software", "formats 2 to 3", "left as it is");
    }

    @Test
    public void aNewerRecordVersionIsRefused() throws Exception {
        NorFlash flash = NorFlash.inMemory(SIZE, BLOCK, 16);
        FlashRegion region = RomFixtures.romRegion(flash);
        byte[] record = new CommitRecord(0, 1, 64, new byte[32], RomIdentity.of(region)).encode(CommitRecord.SIZE)
                .array();
        record[5] = 3;
        CRC32C crc = new CRC32C();
        crc.update(record, 0, 124);
        ByteBuffer.wrap(record).putInt(124, (int) crc.getValue());
        region.program(0, ByteBuffer.wrap(record));
        refused(flash, region, "commit record version 3", "newer software");
    }

    @Test
    public void formattingARefusedRegionMountsItEmpty() throws Exception {
        NorFlash flash = RomFixtures.manufacturedAt(0);
        FlashRegion moved = flash.region("rom", BLOCK, SIZE);
        refused(flash, moved, "device offset 0");
        RomStore.format(moved);
        RomStore store = RomFixtures.mount(moved);
        assertEquals(0, store.info().generation());
        assertTrue(store.names(Namespace.KV).isEmpty());
        assertEquals(1, store.replace(RomFixtures.content("c"), RomFixtures.FORMATS).generation());
        assertEquals(RomFixtures.expected(RomFixtures.content("c"), null), RomFixtures.snapshot(RomFixtures.mount(moved)));
    }
}
