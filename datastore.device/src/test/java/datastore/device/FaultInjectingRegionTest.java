package datastore.device;

import static datastore.device.NorFlashTest.assertMessage;
import static datastore.device.NorFlashTest.filled;
import static datastore.device.NorFlashTest.pattern;
import static datastore.device.NorFlashTest.read;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.junit.After;
import org.junit.Test;

import datastore.flash.FlashRegion;

public class FaultInjectingRegionTest {
    private static final int BLOCK = 4096;
    private static final int UNIT = 16;

    private final NorFlash flash = NorFlash.inMemory(4 * BLOCK, BLOCK, UNIT);
    private final FlashRegion target = flash.region("runtime", 0, 4 * BLOCK);

    @After
    public void close() throws IOException {
        flash.close();
    }

    @Test
    public void withoutFaultsEveryOperationReachesTheTarget() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target);
        region.program(0, ByteBuffer.wrap(pattern(64, 1)));
        region.erase(1);
        region.sync();
        assertArrayEquals(pattern(64, 1), read(target, 0, 64));
        assertEquals(1, target.eraseCount(1));
        assertEquals(1, region.eraseCount(1));
        assertEquals(2, region.operations());
        assertFalse(region.powerCut());
        assertEquals("runtime", region.name());
        assertEquals(target.geometry(), region.geometry());
    }

    @Test
    public void cutAfterNLetsExactlyNOperationsThrough() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).cutPowerAfter(2);
        region.program(0, ByteBuffer.wrap(filled(UNIT, 0x11)));
        region.program(UNIT, ByteBuffer.wrap(filled(UNIT, 0x22)));
        ByteBuffer third = ByteBuffer.wrap(filled(UNIT, 0x33));
        assertMessage(assertThrows(PowerCutException.class, () -> region.program(2 * UNIT, third)), "operation 3");
        assertEquals("a refused source is left untouched", 0, third.position());
        assertTrue(region.powerCut());
        assertArrayEquals(filled(UNIT, 0x11), read(target, 0, UNIT));
        assertArrayEquals(filled(UNIT, 0x22), read(target, UNIT, UNIT));
        assertArrayEquals(filled(UNIT, 0xFF), read(target, 2 * UNIT, UNIT));
    }

    @Test
    public void cutAfterZeroFailsTheFirstOperation() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).cutPowerAfter(0);
        target.program(0, ByteBuffer.wrap(filled(UNIT, 0)));
        assertThrows(PowerCutException.class, () -> region.erase(0));
        assertArrayEquals(filled(UNIT, 0), read(target, 0, UNIT));
        assertEquals(0, target.eraseCount(0));
        assertEquals(1, region.operations());
    }

    @Test
    public void everythingAfterTheCutFailsButReadsAndMapStillWork() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).cutPowerAfter(1);
        region.program(0, ByteBuffer.wrap(filled(UNIT, 0x5A)));
        region.sync();
        assertThrows(PowerCutException.class, () -> region.erase(2));
        assertThrows(PowerCutException.class, () -> region.program(UNIT, ByteBuffer.wrap(filled(UNIT, 0))));
        assertThrows(PowerCutException.class, () -> region.erase(3));
        assertThrows(PowerCutException.class, region::sync);
        assertEquals(4, region.operations());
        assertArrayEquals(filled(UNIT, 0x5A), read(region, 0, UNIT));
        assertEquals(0x5A, region.map().get(0));
        assertEquals((byte) 0xFF, region.map().get(UNIT));
        assertEquals(0, region.eraseCount(2));
        assertEquals(0, target.eraseCount(3));
    }

    @Test
    public void tornProgramWritesHalfRoundedDownToTheProgramSize() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).tearProgramAt(2);
        region.program(0, ByteBuffer.wrap(filled(UNIT, 0)));
        // 5 units: half is 40 bytes, rounded down to the program size that is 32.
        byte[] data = pattern(5 * UNIT, 4);
        ByteBuffer src = ByteBuffer.wrap(data);
        assertMessage(assertThrows(PowerCutException.class, () -> region.program(BLOCK, src)),
                "operation 2", "torn after 32 bytes");
        assertEquals(0, src.position());
        byte[] written = read(target, BLOCK, 5 * UNIT);
        for (int i = 0; i < written.length; i++) {
            assertEquals("byte " + i, i < 2 * UNIT ? data[i] : (byte) 0xFF, written[i]);
        }
        assertTrue(region.powerCut());
        assertThrows(PowerCutException.class, () -> region.program(2 * BLOCK, ByteBuffer.wrap(filled(UNIT, 0))));
        assertArrayEquals(filled(UNIT, 0xFF), read(target, 2 * BLOCK, UNIT));
    }

    @Test
    public void tornSingleUnitProgramWritesNothing() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).tearProgramAt(1);
        assertThrows(PowerCutException.class, () -> region.program(0, ByteBuffer.wrap(filled(UNIT, 0))));
        assertArrayEquals(filled(UNIT, 0xFF), read(target, 0, UNIT));
    }

    @Test
    public void tornProgramKeepsTheSourcePosition() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).tearProgramAt(1);
        byte[] data = pattern(6 * UNIT, 5);
        ByteBuffer src = ByteBuffer.wrap(data);
        src.position(2 * UNIT);
        assertThrows(PowerCutException.class, () -> region.program(0, src));
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 2 * UNIT, 4 * UNIT), read(target, 0, 2 * UNIT));
        assertArrayEquals(filled(2 * UNIT, 0xFF), read(target, 2 * UNIT, 2 * UNIT));
    }

    @Test
    public void tearAtAnEraseCutsBeforeIt() throws IOException {
        target.program(0, ByteBuffer.wrap(filled(UNIT, 0)));
        FaultInjectingRegion region = new FaultInjectingRegion(target).tearProgramAt(1);
        assertThrows(PowerCutException.class, () -> region.erase(0));
        assertArrayEquals(filled(UNIT, 0), read(target, 0, UNIT));
        assertEquals(0, target.eraseCount(0));
    }

    @Test
    public void badArgumentsAtTheTornOperationAreRefusedWithoutWriting() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).tearProgramAt(1);
        assertThrows(IllegalArgumentException.class, () -> region.program(8, ByteBuffer.wrap(filled(4 * UNIT, 0))));
        assertThrows(IllegalArgumentException.class, () -> region.program(4 * BLOCK - UNIT, ByteBuffer.wrap(filled(4 * UNIT, 0))));
        assertArrayEquals(filled(4 * BLOCK, 0xFF), read(target, 0, 4 * BLOCK));
        assertFalse(region.powerCut());
    }

    @Test
    public void theEarlierFaultWins() throws IOException {
        FaultInjectingRegion region = new FaultInjectingRegion(target).cutPowerAfter(1).tearProgramAt(3);
        region.program(0, ByteBuffer.wrap(filled(UNIT, 0)));
        assertMessage(assertThrows(PowerCutException.class, () -> region.program(UNIT, ByteBuffer.wrap(filled(4 * UNIT, 0)))),
                "operation 2");
        assertArrayEquals(filled(4 * UNIT, 0xFF), read(target, UNIT, 4 * UNIT));
    }

    @Test
    public void faultSettingsAreChecked() {
        FaultInjectingRegion region = new FaultInjectingRegion(target);
        assertThrows(IllegalArgumentException.class, () -> region.cutPowerAfter(-1));
        assertThrows(IllegalArgumentException.class, () -> region.tearProgramAt(0));
        assertSame(region, region.cutPowerAfter(3));
    }
}
