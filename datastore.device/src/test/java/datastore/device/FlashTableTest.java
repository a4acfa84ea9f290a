package datastore.device;

import static datastore.device.FlashPartitionTableTest.small;
import static datastore.device.NorFlashTest.filled;
import static datastore.device.NorFlashTest.pattern;
import static datastore.device.NorFlashTest.read;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.flashtable.FlashLayout;
import datastore.flashtable.FlashTable;
import datastore.spi.RefusedPartition;
import datastore.testsupport.FakeFramework;

/**
 * The flash's own partition table: written when its area is erased, agreed with the configuration at
 * every activation, and a region it disagrees with refused - every byte of the flash file as it was -
 * until it is formatted explicitly.
 */
public class FlashTableTest {
    private static final int BLOCK = 65536;
    private static final long SIZE = 10L * BLOCK;
    private static final long TABLE = 8L * BLOCK;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path file;
    private FakeFramework framework;
    private FlashPartitionTable table;

    @Before
    public void paths() {
        file = folder.getRoot().toPath().resolve("flash.img");
    }

    /** Activates the small layout of {@link FlashPartitionTableTest} with overrides. */
    private void activate(Object... overrides) throws IOException {
        framework = new FakeFramework();
        table = new FlashPartitionTable();
        table.activate(framework.context(), FlashPartitionTableTest.config(small(file.toString(), overrides)));
    }

    /** A flash with rom and runtime data and its table, all closed again. */
    private void writeData() throws IOException {
        activate();
        framework.region("rom").program(0, ByteBuffer.wrap(pattern(64, 1)));
        framework.region("runtime").program(BLOCK, ByteBuffer.wrap(pattern(64, 2)));
        table.deactivate();
    }

    @Test
    public void aFreshFlashGetsTheConfiguredTableInBothCopies() throws IOException {
        activate();
        try {
            assertNotNull(framework.region("rom"));
            assertNotNull(framework.region("runtime"));
            assertEquals(2, framework.live());
        } finally {
            table.deactivate();
        }
        FlashTable expected = new FlashTable(new FlashGeometry(SIZE, BLOCK, 16), 1,
                List.of(new FlashLayout.Region("rom", 0, 3L * BLOCK), new FlashLayout.Region("runtime", 4L * BLOCK,
                        4L * BLOCK)));
        for (int copy = 0; copy < 2; copy++) {
            FlashTable.Copy found = FlashTable.decode(ByteBuffer.wrap(
                    FlashPartitionTableTest.bytesAt(file, TABLE + (long) copy * BLOCK, BLOCK)));
            assertEquals("copy " + copy, new FlashTable.Valid(expected), found);
        }
    }

    @Test
    public void aFlashOfABuildWithoutTheTableKeepsItsDataAndGetsTheTable() throws IOException {
        try (NorFlash old = NorFlash.open(file, SIZE, BLOCK, 16)) {
            old.region("runtime", 4L * BLOCK, 4L * BLOCK).program(0, ByteBuffer.wrap(pattern(32, 3)));
        }
        activate();
        try {
            assertArrayEquals(pattern(32, 3), read(framework.region("runtime"), 0, 32));
            assertEquals(2, framework.live());
        } finally {
            table.deactivate();
        }
        String before = hash();
        activate();
        table.deactivate();
        assertEquals("an agreeing table writes nothing", before, hash());
    }

    @Test
    public void aResizedRegionIsRefusedWithBothSidesAndTheFlashUntouched() throws IOException {
        writeData();
        String before = hash();
        activate("runtime.size", 3L * BLOCK);
        try {
            assertNull(framework.region("runtime"));
            assertNotNull("an unchanged region is registered as usual", framework.region("rom"));
            RefusedPartition refused = framework.refused("runtime");
            assertEquals("runtime", refused.name());
            assertMessage(refused.reason(), "the flash's partition table has runtime at [0x40000, 0x80000) (size 0x40000)",
                    "the configuration has runtime at [0x40000, 0x70000) (size 0x30000)", "format");
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void aMovedRegionIsRefusedAndTheFlashUntouched() throws IOException {
        writeData();
        String before = hash();
        activate("runtime.offset", 5L * BLOCK, "runtime.size", 3L * BLOCK);
        try {
            assertMessage(framework.refused("runtime").reason(), "runtime at [0x40000, 0x80000)",
                    "the configuration has runtime at [0x50000, 0x80000)");
            assertNotNull(framework.region("rom"));
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void swappedRegionsAreBothRefusedAndTheFlashUntouched() throws IOException {
        writeData();
        String before = hash();
        activate(swapped());
        try {
            assertEquals(0, framework.registered.stream().filter(r -> r.service instanceof FlashRegion).count());
            assertMessage(framework.refused("rom").reason(), "table has rom at [0x0, 0x30000)",
                    "configuration has rom at [0x50000, 0x80000)");
            assertMessage(framework.refused("runtime").reason(), "table has runtime at [0x40000, 0x80000)",
                    "configuration has runtime at [0x0, 0x40000)");
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void formatErasesTheRefusedRegionRecordsItAndRegistersIt() throws IOException {
        writeData();
        activate("runtime.size", 3L * BLOCK);
        try {
            RefusedPartition refused = framework.refused("runtime");
            refused.format();
            assertNull(framework.refused("runtime"));
            FlashRegion runtime = framework.region("runtime");
            assertEquals(3L * BLOCK, runtime.geometry().size());
            assertArrayEquals(filled(3 * BLOCK, 0xFF), read(runtime, 0, 3 * BLOCK));
            assertArrayEquals("the other region is untouched", pattern(64, 1), read(framework.region("rom"), 0, 64));
            IOException again = assertThrows(IOException.class, refused::format);
            assertMessage(again.getMessage(), "no longer refused");
        } finally {
            table.deactivate();
        }
        activate("runtime.size", 3L * BLOCK);
        try {
            assertEquals("the table now agrees", 2, framework.live());
            assertNotNull(framework.region("runtime"));
        } finally {
            table.deactivate();
        }
        String before = hash();
        activate();
        try {
            assertMessage(framework.refused("runtime").reason(), "table has runtime at [0x40000, 0x70000)",
                    "configuration has runtime at [0x40000, 0x80000)");
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void afterASwapFormattedRegionByRegionGoingBackIsRefusedAgain() throws IOException {
        writeData();
        activate(swapped());
        try {
            framework.refused("rom").format();
            assertNotNull(framework.region("rom"));
            assertNotNull("formatting one leaves the other refused", framework.refused("runtime"));
            framework.refused("runtime").format();
            assertEquals(2, framework.registered.stream().filter(r -> !r.unregistered
                    && r.service instanceof FlashRegion).count());
        } finally {
            table.deactivate();
        }
        String before = hash();
        // Back to the old layout: the old entries went with the bytes they described.
        activate();
        try {
            assertNotNull(framework.refused("rom"));
            assertNotNull(framework.refused("runtime"));
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void aTableOfANewerFormatRefusesEveryRegionUntilFormatted() throws IOException {
        writeData();
        for (int copy = 0; copy < 2; copy++) {
            overwrite(TABLE + (long) copy * BLOCK + FlashTable.T_FORMAT, ByteBuffer.allocate(4).putInt(0, 2).array());
        }
        String before = hash();
        activate();
        try {
            assertEquals(0, framework.registered.stream().filter(r -> r.service instanceof FlashRegion).count());
            assertMessage(framework.refused("rom").reason(), "format 2, newer than this build's 1",
                    "configuration has rom at [0x0, 0x30000)");
            assertNotNull(framework.refused("runtime"));
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
        activate();
        try {
            framework.refused("runtime").format();
            assertNotNull(framework.region("runtime"));
            assertNotNull("the other region has no entry in the new table", framework.refused("rom"));
        } finally {
            table.deactivate();
        }
    }

    @Test
    public void aTableOfAnotherGeometryRefusesEveryRegion() throws IOException {
        writeData();
        String before = hash();
        activate("program.size", 32);
        try {
            assertMessage(framework.refused("runtime").reason(), "written for flash size 0xa0000, erase block 0x10000, "
                    + "program size 16, the configuration has flash size 0xa0000, erase block 0x10000, program size 32");
            assertNotNull(framework.refused("rom"));
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void bytesThatAreNoTableRefuseEveryRegion() throws IOException {
        writeData();
        byte[] garbage = new byte[2 * BLOCK];
        new Random(5).nextBytes(garbage);
        overwrite(TABLE, garbage);
        String before = hash();
        activate();
        try {
            assertMessage(framework.refused("rom").reason(), "the partition table area [0x80000, 0xa0000)",
                    "not a partition table (no magic DDPT)", "neither a partition table nor erased");
            assertNotNull(framework.refused("runtime"));
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void disablingARegionLeavesTheOthersAsTheyAre() throws IOException {
        writeData();
        String before = hash();
        activate("rom.size", 0L);
        try {
            assertEquals(1, framework.live());
            assertArrayEquals(pattern(64, 2), read(framework.region("runtime"), BLOCK, 64));
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
        activate();
        try {
            assertEquals("the table still has the rom entry", 2, framework.live());
        } finally {
            table.deactivate();
        }
    }

    @Test
    public void withEveryRegionDisabledNothingIsRefusedAndNothingWritten() throws IOException {
        writeData();
        byte[] garbage = new byte[2 * BLOCK];
        new Random(6).nextBytes(garbage);
        overwrite(TABLE, garbage);
        String before = hash();
        activate("rom.size", 0L, "runtime.size", 0L);
        try {
            assertEquals("only the rollback index, which is not a partition", 1, framework.live());
            assertTrue(framework.registered.get(0).service instanceof datastore.flash.RollbackIndex);
        } finally {
            table.deactivate();
        }
        assertEquals(before, hash());
    }

    @Test
    public void oneDamagedCopyIsRewrittenFromTheOther() throws IOException {
        writeData();
        for (int copy = 0; copy < 2; copy++) {
            overwrite(TABLE + (long) copy * BLOCK + FlashTable.HEADER + 3, new byte[] {0x55});
            activate();
            try {
                assertEquals("copy " + copy, 2, framework.live());
                assertArrayEquals(pattern(64, 2), read(framework.region("runtime"), BLOCK, 64));
            } finally {
                table.deactivate();
            }
            for (int c = 0; c < 2; c++) {
                assertTrue("copy " + c + " repaired", FlashTable.decode(ByteBuffer.wrap(FlashPartitionTableTest.bytesAt(
                        file, TABLE + (long) c * BLOCK, BLOCK))) instanceof FlashTable.Valid);
            }
        }
    }

    @Test
    public void acceptingTheTableChangeErasesOnlyTheChangedRegion() throws IOException {
        writeData();
        activate("runtime.size", 3L * BLOCK, "accept.table.change", true);
        try {
            assertEquals(2, framework.live());
            assertArrayEquals(filled(3 * BLOCK, 0xFF), read(framework.region("runtime"), 0, 3 * BLOCK));
            assertArrayEquals(pattern(64, 1), read(framework.region("rom"), 0, 64));
        } finally {
            table.deactivate();
        }
        activate("runtime.size", 3L * BLOCK);
        try {
            assertEquals(2, framework.live());
            assertNull(framework.refused("runtime"));
        } finally {
            table.deactivate();
        }
    }

    @Test
    public void aDamagedEraseCountFileKeepsEveryRegionOnline() throws IOException {
        writeData();
        Files.write(file.resolveSibling("flash.img.wear"), new byte[] {7, 7, 7});
        activate();
        try {
            assertEquals(2, framework.live());
            assertArrayEquals(pattern(64, 1), read(framework.region("rom"), 0, 64));
            assertArrayEquals(pattern(64, 2), read(framework.region("runtime"), BLOCK, 64));
        } finally {
            table.deactivate();
        }
    }

    @Test
    public void theRefusalIsRegisteredWithThePartitionProperty() throws IOException {
        writeData();
        activate("runtime.size", 3L * BLOCK);
        try {
            FakeFramework.Registered registered = framework.registered.stream()
                    .filter(r -> r.service instanceof RefusedPartition).findFirst().orElseThrow();
            assertEquals(RefusedPartition.class, registered.clazz);
            assertEquals("runtime", registered.properties.get(RefusedPartition.PARTITION));
            // At the runtime partition's own rank, so the store keeps its place in the lookup order.
            assertEquals(200, registered.properties.get(org.osgi.framework.Constants.SERVICE_RANKING));
        } finally {
            table.deactivate();
        }
        assertTrue("deactivation unregisters the refusal", framework.registered.stream().allMatch(r -> r.unregistered));
    }

    @Test
    public void aPowerCutAtAnyStepOfARewriteLeavesTheOldOrTheNewTable() throws IOException {
        FlashGeometry geometry = new FlashGeometry(SIZE, BLOCK, 16);
        FlashTable old = new FlashTable(geometry, 1, List.of(new FlashLayout.Region("rom", 0, BLOCK)));
        FlashTable next = old.with(new FlashLayout.Region("runtime", BLOCK, BLOCK), 2);
        for (boolean fresh : new boolean[] {true, false}) {
            for (int operations = 0; operations <= 4; operations++) {
                for (boolean tear : new boolean[] {false, true}) {
                    NorFlash flash = NorFlash.inMemory(SIZE, BLOCK, 16);
                    FlashRegion reserved = flash.region(FlashTableArea.NAME, TABLE, 2L * BLOCK);
                    if (!fresh) {
                        new FlashTableArea(reserved).write(old, new FlashTableArea(reserved).read());
                    }
                    FaultInjectingRegion faulty = new FaultInjectingRegion(reserved);
                    if (tear) {
                        faulty.tearProgramAt(operations + 1);
                    } else {
                        faulty.cutPowerAfter(operations);
                    }
                    FlashTableArea area = new FlashTableArea(faulty);
                    try {
                        area.write(fresh ? FlashTable.of(FlashLayout.of(SIZE, BLOCK, 16,
                                new FlashLayout.Region("rom", 0, BLOCK)), 1) : next, area.read());
                    } catch (PowerCutException expected) {
                        // the cut
                    }
                    FlashTableArea.Found found = new FlashTableArea(reserved).read();
                    String trial = (fresh ? "first write" : "rewrite") + ", cut after " + operations
                            + (tear ? " with a torn program" : "");
                    if (fresh) {
                        assertTrue(trial + ": " + found, found.erased() || found.table().isPresent());
                    } else {
                        FlashTable inForce = found.table().orElseThrow(() -> new AssertionError(trial + ": " + found));
                        assertTrue(trial + ": " + inForce, inForce.equals(old) || inForce.equals(next));
                    }
                }
            }
        }
    }

    private static Object[] swapped() {
        return new Object[] {"rom.offset", 5L * BLOCK, "rom.size", 3L * BLOCK, "runtime.offset", 0L,
            "runtime.size", 4L * BLOCK};
    }

    private void overwrite(long offset, byte[] bytes) throws IOException {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    private String hash() throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertMessage(String message, String... parts) {
        for (String part : parts) {
            assertTrue("\"" + message + "\" should contain \"" + part + "\"", message.contains(part));
        }
    }
}
