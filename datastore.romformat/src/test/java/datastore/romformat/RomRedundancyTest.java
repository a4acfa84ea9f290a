package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Map;

import org.junit.Test;

import datastore.device.NorFlash;
import datastore.flash.FlashRegion;

/**
 * One damaged piece of metadata (a header, a page table, the UPD header, a commit record, a whole
 * commit block) costs no entry and no generation: every piece has a second, independently checked
 * copy in another erase block.
 */
public class RomRedundancyTest {
    private final NorFlash flash = RomFixtures.smallFlash();
    private final FlashRegion region = RomFixtures.romRegion(flash);
    private final RomLayout layout = RomLayout.of(region.geometry());
    private final Map<String, String> expected = RomFixtures.expected(RomFixtures.content("b"), RomFixtures.upd());

    /** Manufactured generation 1 (slot 0, UPD data), then a replace: generation 2 in slot 1. */
    private void manufactureAndReplace() {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), null));
        RomFixtures.mount(region).replace(RomFixtures.content("b"), RomFixtures.FORMATS);
    }

    private void servesEverythingOfGeneration2() {
        RomStore store = RomFixtures.mount(region);
        assertEquals(2, store.info().generation());
        assertEquals(expected, RomFixtures.snapshot(store));
    }

    @Test
    public void aFlippedBitInTheApplicationPageTableLosesNothing() throws Exception {
        manufactureAndReplace();
        flash.corrupt(layout.slotOffset(1) + RomImageFormat.HEADER_SIZE + 3, (byte) 0x02);
        servesEverythingOfGeneration2();
    }

    @Test
    public void aFlippedBitInTheApplicationHeaderLosesNothing() throws Exception {
        manufactureAndReplace();
        flash.corrupt(layout.slotOffset(1) + RomImageFormat.OFF_ENTRY_COUNT + 1, (byte) 0x40);
        servesEverythingOfGeneration2();
        String problem = RomFixtures.mount(region).info().problem().orElseThrow();
        assertTrue(problem, problem.contains("region offset " + layout.slotOffset(1) + " is damaged")
                && problem.contains("copy at region offset " + layout.slotCopyOffset(1) + " is served from"));
    }

    @Test
    public void aDamagedCopyIsReportedByTheBackgroundPass() throws Exception {
        manufactureAndReplace();
        flash.corrupt(layout.slotCopyOffset(1) + RomImageFormat.HEADER_SIZE + 1, (byte) 0x40);
        RomStore store = RomFixtures.mount(region);
        assertTrue("the mount reads the first copy only", store.info().problem().isEmpty());
        store.verifyAll();
        String problem = store.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("copy of the header and page table")
                && problem.contains("region offset " + layout.slotCopyOffset(1)));
        assertEquals(expected, RomFixtures.snapshot(store));
    }

    @Test
    public void aWholeErasedOrGarbageUpdBlockLosesNothing() throws Exception {
        manufactureAndReplace();
        int first = (int) (layout.updOffset() / RomFixtures.SMALL_BLOCK);
        region.erase(first);
        servesEverythingOfGeneration2();
        byte[] garbage = new byte[RomFixtures.SMALL_BLOCK];
        new java.util.Random(3).nextBytes(garbage);
        region.program(layout.updOffset(), java.nio.ByteBuffer.wrap(garbage));
        servesEverythingOfGeneration2();
    }

    @Test
    public void aFlippedBitInTheUpdHeaderOrPageTableLosesNothing() throws Exception {
        manufactureAndReplace();
        flash.corrupt(layout.updOffset() + RomImageFormat.OFF_PAYLOAD + 7, (byte) 0x01);
        servesEverythingOfGeneration2();
        flash.corrupt(layout.updOffset() + RomImageFormat.OFF_PAYLOAD + 7, (byte) 0x01);
        flash.corrupt(layout.updOffset() + RomImageFormat.HEADER_SIZE + 9, (byte) 0x80);
        servesEverythingOfGeneration2();
    }

    @Test
    public void aFlippedBitInTheNewestCommitRecordRevertsNothing() throws Exception {
        manufactureAndReplace();
        flash.corrupt(layout.recordOffset(0, 1) + 20, (byte) 0x04);
        servesEverythingOfGeneration2();
    }

    @Test
    public void anErasedCommitBlockRevertsNothing() throws Exception {
        manufactureAndReplace();
        region.erase(0);
        servesEverythingOfGeneration2();
    }
}
