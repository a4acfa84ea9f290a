package datastore.device;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import datastore.flashtable.FlashLayout;
import datastore.flashtable.FlashTable;

/**
 * Golden fixtures of the device's own formats as this build writes them: a small flash file with
 * partition table format 1 in its last two blocks and an erase-count file of format 2. A later
 * change of either format cannot pass without keeping these readable. {@link #main} wrote them.
 */
public class DeviceGoldenTest {
    static final long SIZE = 16 * 4096;
    static final int BLOCK = 4096;
    static final int PROGRAM = 16;
    /** Erases per block, as the fixture's history left them. */
    static final long[] COUNTS = {3, 1, 0, 7, 2, 2, 0, 0, 5, 0, 0, 0, 0, 0, 1, 1}; // blocks 14, 15: the table's copies
    static final List<FlashLayout.Region> REGIONS = List.of(new FlashLayout.Region("rom", 0, 4 * 4096),
            new FlashLayout.Region("runtime", 6 * 4096, 8 * 4096));

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void tableFormat1AndEraseCountsFormat2AreRead() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        copy("golden/device-table1-wear2.img", file);
        copy("golden/device-table1-wear2.img.wear", file.resolveSibling("flash.img.wear"));
        byte[] before = Files.readAllBytes(file);
        byte[] wearBefore = Files.readAllBytes(file.resolveSibling("flash.img.wear"));
        try (NorFlash flash = NorFlash.open(file, SIZE, BLOCK, PROGRAM)) {
            assertEquals(null, flash.eraseCountProblem());
            for (int block = 0; block < COUNTS.length; block++) {
                assertEquals("block " + block, COUNTS[block], flash.eraseCount(block));
            }
            FlashTable table = new FlashTableArea(flash).read().table().orElseThrow();
            assertEquals(new datastore.flash.FlashGeometry(SIZE, BLOCK, PROGRAM), table.geometry());
            assertEquals(REGIONS, table.entries());
            // The data the fixture wrote into the runtime region is there.
            byte[] marker = new byte[16];
            flash.region("runtime", 6 * 4096, 8 * 4096).read(0, java.nio.ByteBuffer.wrap(marker));
            assertTrue(new String(marker, java.nio.charset.StandardCharsets.US_ASCII).startsWith("golden runtime"));
        }
        assertArrayEquals("reading writes nothing", before, Files.readAllBytes(file));
        assertArrayEquals("reading writes no erase counts", wearBefore, Files.readAllBytes(file.resolveSibling("flash.img.wear")));
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = DeviceGoldenTest.class.getResourceAsStream("/" + resource)) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes the fixture into the folder given as the first argument (run once, by hand). */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0], "device-table1-wear2.img");
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".wear"));
        try (NorFlash flash = NorFlash.open(file, SIZE, BLOCK, PROGRAM)) {
            FlashTableArea area = new FlashTableArea(flash);
            FlashLayout layout = FlashLayout.of(SIZE, BLOCK, PROGRAM, REGIONS.toArray(new FlashLayout.Region[0]));
            area.write(FlashTable.of(layout, 1), area.read());
            datastore.flash.FlashRegion whole = flash.region("whole", 0, SIZE);
            long[] done = new long[COUNTS.length];
            for (int block = 0; block < COUNTS.length - 2; block++) {
                while (flash.eraseCount(block) < COUNTS[block]) {
                    whole.erase(block);
                    done[block]++;
                }
            }
            byte[] marker = "golden runtime..".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            whole.program(6 * 4096, java.nio.ByteBuffer.wrap(marker));
            whole.sync();
        }
    }
}
