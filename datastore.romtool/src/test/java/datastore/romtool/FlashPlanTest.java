package datastore.romtool;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.flash.FlashGeometry;
import datastore.logstore.RuntimePromise;

/**
 * Chip layouts: the default chip gets the dock's default table; 32, 64 and 128 MiB chips get regions that
 * keep their promises, checked with the engines' own arithmetic; a chip or a layout file that cannot keep
 * its promise is refused with the numbers.
 */
public class FlashPlanTest {
    private static final long MIB = 1024 * 1024;

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void theDefaultChipGetsTheDocksDefaultTable() {
        FlashPlan plan = FlashPlan.compute(128 * MIB, 65536, 16, 13 * MIB, 13 * MIB);
        assertEquals(0, plan.rom().offset());
        assertEquals(28 * MIB, plan.rom().size());
        assertEquals(32 * MIB, plan.runtime().offset());
        assertEquals(80 * MIB, plan.runtime().size());
    }

    @Test
    public void smallerChipsKeepSmallerPromises() {
        long[][] cases = {{32 * MIB, 6 * MIB, 2 * MIB}, {64 * MIB, 13 * MIB, 4 * MIB}, {128 * MIB, 13 * MIB, 12 * MIB}};
        for (long[] c : cases) {
            FlashPlan plan = FlashPlan.compute(c[0], 65536, 16, c[1], c[2]);
            FlashGeometry runtime = new FlashGeometry(plan.runtime().size(), 65536, 16);
            assertTrue(plan.toString(), RuntimePromise.largestCapacity(runtime) >= c[2]);
            assertTrue(plan.toString(), FlashPlan.romRoom(plan.rom().size() / 65536, 65536, 16) >= c[1]);
            assertTrue("clear of the rollback index and the table", plan.runtime().end() <= c[0] - 4 * 65536);
        }
    }

    @Test
    public void aChipThatCannotKeepThePromiseIsRefusedWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlashPlan.compute(32 * MIB, 65536, 16, 13 * MIB, 13 * MIB));
        assertTrue(e.getMessage(), e.getMessage().startsWith("a chip of 32 MiB (512 erase blocks of 64 KiB) cannot keep "
                + "the promise: the ROM needs "));
        assertTrue(e.getMessage(), e.getMessage().contains("the runtime partition 1196 blocks"));
        assertTrue(e.getMessage(), e.getMessage().contains("more than the chip has"));
    }

    @Test
    public void aLayoutFileGivesTheChipAndItsRegionsWhichMustKeepThePromise() throws Exception {
        Path file = temp.getRoot().toPath().resolve("layout.yaml");
        Files.writeString(file, "chip_size: 32MiB\nrom_payload: 4MiB\nruntime_payload: 2MiB\n");
        FlashPlan computed = FlashPlan.read(file);
        assertEquals(32 * MIB, computed.geometry().size());
        assertEquals(4 * MIB, computed.romPromise());

        Files.writeString(file, "chip_size: 32MiB\nrom_payload: 4MiB\nruntime_payload: 2MiB\n"
                + "rom: {offset: 0, size: 4MiB}\nruntime: {offset: 8MiB, size: 16MiB}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlashPlan.read(file));
        assertTrue(e.getMessage(), e.getMessage().contains("the ROM region of 4 MiB holds ")
                && e.getMessage().contains("less than the promise of 4194304"));

        Files.writeString(file, "chip_size: 32MiB\nruntime: {offset: 8MiB, size: 16MiB}\n");
        assertThrows(IllegalArgumentException.class, () -> FlashPlan.read(file));
        Files.writeString(file, "chip: 32MiB\n");
        e = assertThrows(IllegalArgumentException.class, () -> FlashPlan.read(file));
        assertTrue(e.getMessage(), e.getMessage().contains("unknown key chip"));
    }

    @Test
    public void sizesReadAsPeopleWriteThem() {
        assertEquals(32 * MIB, FlashPlan.parseSize("32MiB"));
        assertEquals(32 * MIB, FlashPlan.parseSize("32 MiB"));
        assertEquals(32 * MIB, FlashPlan.parseSize("0x2000000"));
        assertEquals(65536, FlashPlan.parseSize("64KiB"));
        assertEquals(1234, FlashPlan.parseSize("1234"));
        assertThrows(IllegalArgumentException.class, () -> FlashPlan.parseSize("lots"));
    }
}
