package datastore.device;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;

import datastore.flash.FlashRegion;

import org.junit.After;
import org.junit.Test;
import datastore.flashtable.RollbackIndexArea;

public class RollbackIndexAreaTest {
    /** The smallest erase block: 128 records per block, so a few hundred advances wrap both blocks. */
    private static final int BLOCK = 4096;
    private static final int UNIT = 16;

    private final NorFlash flash = NorFlash.inMemory(2 * BLOCK, BLOCK, UNIT);
    private final FlashRegion target = flash.region(RollbackIndexArea.NAME, 0, 2 * BLOCK);

    @After
    public void close() throws IOException {
        flash.close();
    }

    @Test
    public void aFreshAreaIsZeroAndAdvancesSurviveReopening() throws IOException {
        RollbackIndexArea index = new RollbackIndexArea(target);
        assertEquals(0, index.highest());
        index.advance(7);
        index.advance(3);
        assertEquals("the index never decreases", 7, index.highest());
        assertEquals(7, new RollbackIndexArea(target).highest());
        assertThrows(IllegalArgumentException.class, () -> index.advance(-1));
    }

    @Test
    public void wrapsBothBlocksManyTimesWithoutLosingTheValue() throws IOException {
        RollbackIndexArea index = new RollbackIndexArea(target);
        for (long g = 1; g <= 600; g++) {
            index.advance(g);
        }
        assertEquals(600, new RollbackIndexArea(target).highest());
        assertTrue("blocks were erased to wrap", target.eraseCount(0) >= 4 && target.eraseCount(1) >= 4);
    }

    /**
     * Cuts the power at every program and erase of a run of advances that wraps both blocks, and tears
     * every program: each time, a reopened index reads the value before or after the interrupted advance,
     * never less than any value an earlier advance returned with, and the next advances still work.
     */
    @Test
    public void aPowerCutAtEveryWriteLeavesTheOldOrTheNewValueAndNeverLess() throws IOException {
        int advances = 140;
        for (boolean tear : new boolean[] {false, true}) {
            long operationsInRun = run(new FaultInjectingRegion(target), advances);
            for (long cut = tear ? 1 : 0; cut < operationsInRun; cut++) {
                eraseTarget();
                FaultInjectingRegion faulty = new FaultInjectingRegion(target);
                if (tear) {
                    faulty.tearProgramAt(cut);
                } else {
                    faulty.cutPowerAfter(cut);
                }
                RollbackIndexArea index = new RollbackIndexArea(faulty);
                long returned = 0;
                long attempted = 0;
                try {
                    for (long g = 1; g <= advances; g++) {
                        attempted = 2 * g;
                        index.advance(2 * g);
                        returned = 2 * g;
                    }
                } catch (PowerCutException expected) {
                    // the run stops here
                }
                long after = new RollbackIndexArea(target).highest();
                String where = (tear ? "tear at " : "cut after ") + cut;
                assertTrue(where + ": " + after + " is the old " + returned + " or the new " + attempted,
                        after == returned || after == attempted);
                RollbackIndexArea reopened = new RollbackIndexArea(target);
                reopened.advance(after + 1);
                assertEquals(where + ": advances after the cut", after + 1, new RollbackIndexArea(target).highest());
                reopened.advance(after);
                assertEquals(where + ": never decreases", after + 1, new RollbackIndexArea(target).highest());
            }
        }
    }

    /**
     * Two cuts in a row: the first between the blocks of the advance that fills block 0, leaving the new
     * value only there; the next advance must wrap block 0, and may be cut at any point. Block 0 is erased
     * only after block 1 has caught up, so the value never falls back to block 1's older one.
     */
    @Test
    public void aBlockLeftBehindByACutCatchesUpBeforeTheOtherIsErased() throws IOException {
        int perBlock = BLOCK / RollbackIndexArea.RECORD;
        for (long secondCut = 0; secondCut < 6; secondCut++) {
            eraseTarget();
            RollbackIndexArea index = new RollbackIndexArea(target);
            for (long g = 1; g < perBlock; g++) {
                index.advance(g);
            }
            RollbackIndexArea first = new RollbackIndexArea(new FaultInjectingRegion(target).cutPowerAfter(1));
            assertThrows(PowerCutException.class, () -> first.advance(perBlock));
            assertEquals("the last record of block 0 is whole", perBlock, new RollbackIndexArea(target).highest());
            RollbackIndexArea second = new RollbackIndexArea(new FaultInjectingRegion(target).cutPowerAfter(secondCut));
            try {
                second.advance(perBlock + 1);
            } catch (PowerCutException expected) {
                // the second cut
            }
            long after = new RollbackIndexArea(target).highest();
            assertTrue("second cut after " + secondCut + ": " + after, after == perBlock || after == perBlock + 1);
        }
    }

    private long run(FaultInjectingRegion region, int advances) throws IOException {
        eraseTarget();
        RollbackIndexArea index = new RollbackIndexArea(region);
        for (long g = 1; g <= advances; g++) {
            index.advance(2 * g);
        }
        return region.operations();
    }

    private void eraseTarget() throws IOException {
        target.erase(0);
        target.erase(1);
        target.sync();
    }

    @Test
    public void foreignBytesAreRefusedAndLeftAsTheyAre() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(UNIT);
        data.put(0, (byte) 0x42);
        target.program(BLOCK + 64, data);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new RollbackIndexArea(target));
        assertTrue(e.getMessage(), e.getMessage().contains("not index records"));
        ByteBuffer back = ByteBuffer.allocate(1);
        target.read(BLOCK + 64, back);
        assertEquals(0x42, back.get(0));
    }
}
