package datastore.device;

import static datastore.flashtable.FlashImages.table;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.flashtable.FlashImages;
import datastore.flashtable.FlashTableImage;
import datastore.testsupport.FakeFramework;

/**
 * A flash image made by a tool with {@link FlashTableImage} is one the device accepts as it is, a
 * dump's own table gives its layout to a device told to serve that file, whatever its configuration,
 * and the tools read the erase counts the device wrote beside it.
 */
public class DescribedFlashFileTest {
    private static final int BLOCK = 4096;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void theDeviceServesADescribedFileWithItsOwnLayoutAndWritesNothingAtOpen() throws IOException {
        FlashTableImage.Table table = table(40L * BLOCK, BLOCK, 10L * BLOCK, 12L * BLOCK, 20L * BLOCK);
        Path file = FlashImages.image(table, folder.newFolder().toPath());
        byte[] before = Files.readAllBytes(file);
        FakeFramework framework = new FakeFramework();
        framework.properties.put(FlashPartitionTable.DATA_DIR, folder.getRoot().toString());
        framework.properties.put(FlashRegion.FLASH_FILE, file.toString());
        FlashPartitionTable device = new FlashPartitionTable();
        // The configuration says 128 MiB; the file's own table wins.
        device.activate(framework.context(), FlashPartitionTableTest.config());
        try {
            FlashRegion rom = framework.region("rom");
            FlashRegion runtime = framework.region("runtime");
            assertNotNull(rom);
            assertNotNull(runtime);
            assertEquals(new FlashGeometry(10L * BLOCK, BLOCK, 16), rom.geometry());
            assertEquals(12L * BLOCK, runtime.deviceOffset());
            assertEquals(20L * BLOCK, runtime.geometry().size());
            assertNotNull("the rollback index before the table", framework.rollbackIndex());
        } finally {
            device.deactivate();
        }
        assertArrayEquals(before, Files.readAllBytes(file));
        assertFalse("no flash.img made in the data folder", Files.exists(folder.getRoot().toPath().resolve("flash.img")));
    }

    @Test
    public void aDescribedFileWithoutATableFailsActivationSayingSo() throws IOException {
        Path file = folder.newFile("blank.img").toPath();
        Files.write(file, new byte[40 * BLOCK]);
        FakeFramework framework = new FakeFramework();
        framework.properties.put(FlashRegion.FLASH_FILE, file.toString());
        IOException e = assertThrows(IOException.class,
                () -> new FlashPartitionTable().activate(framework.context(), FlashPartitionTableTest.config()));
        assertTrue(e.getMessage(), e.getMessage().contains("holds no intact partition table"));
    }

    @Test
    public void eraseCountsAreReadFromTheSidecarWhenThereIsOne() throws IOException {
        FlashTableImage.Table table = table(40L * BLOCK, BLOCK, 10L * BLOCK, 12L * BLOCK, 20L * BLOCK);
        Path file = FlashImages.image(table, folder.newFolder().toPath());
        List<String> problems = new ArrayList<>();
        assertFalse(FlashTableImage.eraseCounts(file, table.geometry(), problems).isPresent());
        try (NorFlash flash = NorFlash.open(file, 40L * BLOCK, BLOCK, 16)) {
            flash.region("x", 0, 40L * BLOCK).erase(3);
            flash.region("x", 0, 40L * BLOCK).erase(3);
            flash.sync();
        }
        long[] counts = FlashTableImage.eraseCounts(file, table.geometry(), problems).orElseThrow();
        assertEquals(problems.toString(), 2, counts[3]);
        assertEquals(0, counts[4]);
    }
}
