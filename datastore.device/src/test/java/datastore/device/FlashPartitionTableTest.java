package datastore.device;

import static datastore.device.NorFlashTest.assertMessage;
import static datastore.device.NorFlashTest.filled;
import static datastore.device.NorFlashTest.read;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.flash.RollbackIndex;
import datastore.flashtable.FlashLayout;
import datastore.flashtable.FlashTable;
import datastore.flashtable.RollbackIndexArea;
import datastore.testsupport.Configurations;
import datastore.testsupport.FakeFramework;

public class FlashPartitionTableTest {
    private static final int BLOCK = 65536;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    /** The table's configuration with these properties, as Declarative Services builds it. */
    static FlashConfiguration config(Object... properties) {
        return Configurations.of(FlashConfiguration.class, properties);
    }

    /**
     * A small layout: rom [0, 3 blocks), runtime [4, 8 blocks) of 10, the last two for the table;
     * later pairs override earlier ones.
     */
    static Object[] small(String path, Object... overrides) {
        Object[] base = {"path", path, "size", 10L * BLOCK, "rom.offset", 0L, "rom.size", 3L * BLOCK,
            "runtime.offset", 4L * BLOCK, "runtime.size", 4L * BLOCK};
        Object[] all = Arrays.copyOf(base, base.length + overrides.length);
        System.arraycopy(overrides, 0, all, base.length, overrides.length);
        return all;
    }

    @Test
    public void theDefaultLayoutGivesEachPartitionRoomForItsPayloadAndMore() {
        FlashLayout layout = FlashPartitionTable.layout(config());
        assertEquals(new FlashGeometry(128L << 20, BLOCK, 16), layout.geometry());
        assertEquals(List.of(new FlashLayout.Region("rom", 0, 28L << 20), new FlashLayout.Region("runtime", 32L << 20, 80L << 20)), layout.regions());
    }

    @Test
    public void defaultsOpenFlashImgInTheDataDirAndRegisterBothRegions() throws IOException {
        FakeFramework framework = new FakeFramework();
        framework.properties.put(FlashPartitionTable.DATA_DIR, folder.getRoot().toString());
        FlashPartitionTable table = new FlashPartitionTable();
        table.activate(framework.context(), config());
        try {
            Path file = folder.getRoot().toPath().resolve("flash.img");
            assertEquals(128L << 20, Files.size(file));
            assertEquals("both regions and the rollback index", 3, framework.registered.size());
            assertEquals("the table was written to the last two blocks", FlashTable.MAGIC,
                    ByteBuffer.wrap(bytesAt(file, (128L << 20) - 2 * BLOCK, 4)).getInt());
            assertEquals(new FlashGeometry(28L << 20, BLOCK, 16), framework.region("rom").geometry());
            assertEquals(new FlashGeometry(80L << 20, BLOCK, 16), framework.region("runtime").geometry());
            assertEquals("runtime", framework.region("runtime").name());
            assertTrue(String.valueOf(framework.registered.get(2).properties.get(Constants.SERVICE_DESCRIPTION))
                    .contains("runtime region [0x2000000, 0x7000000)"));
        } finally {
            table.deactivate();
        }
    }

    @Test
    public void deactivationUnregistersAndClosesAndTheDataSurvivesReactivation() throws IOException {
        FakeFramework framework = new FakeFramework();
        String path = folder.getRoot().toPath().resolve("dock/flash.img").toString();
        FlashPartitionTable table = new FlashPartitionTable();
        table.activate(framework.context(), config(small(path)));
        FlashRegion runtime = framework.region("runtime");
        runtime.program(0, ByteBuffer.wrap(filled(16, 0x42)));
        runtime.erase(3);
        table.deactivate();
        assertTrue(framework.registered.stream().allMatch(r -> r.unregistered));
        assertThrows(IOException.class, () -> runtime.read(0, ByteBuffer.allocate(1)));
        table.deactivate();

        FlashPartitionTable again = new FlashPartitionTable();
        again.activate(framework.context(), config(small(path)));
        try {
            FlashRegion reopened = framework.region("runtime");
            assertArrayEquals(filled(16, 0x42), read(reopened, 0, 16));
            assertEquals(1, reopened.eraseCount(3));
            assertArrayEquals("the ROM region starts at 0 and was never written", filled(16, 0xFF),
                    read(framework.region("rom"), 0, 16));
        } finally {
            again.deactivate();
        }
    }

    @Test
    public void theRollbackIndexLivesBeforeTheTableAndSurvivesReactivation() throws IOException {
        FakeFramework framework = new FakeFramework();
        String path = folder.getRoot().toPath().resolve("flash.img").toString();
        // runtime [4, 6 blocks): blocks 6 and 7, before the table's 8 and 9, are free for the index.
        Object[] config = small(path, "runtime.size", 2L * BLOCK);
        FlashPartitionTable table = new FlashPartitionTable();
        table.activate(framework.context(), config(config));
        RollbackIndex index = framework.rollbackIndex();
        assertEquals(0, index.highest());
        index.advance(41);
        table.deactivate();
        assertEquals("written at the start of block 6", RollbackIndexArea.MAGIC,
                ByteBuffer.wrap(Files.readAllBytes(Path.of(path)), 6 * BLOCK, 4).getInt());

        FlashPartitionTable again = new FlashPartitionTable();
        again.activate(framework.context(), config(config));
        try {
            assertEquals(41, framework.rollbackIndex().highest());
        } finally {
            again.deactivate();
        }
        FlashPartitionTable overlapping = new FlashPartitionTable();
        overlapping.activate(framework.context(), config(small(path + ".2")));
        try {
            assertNull("the runtime region [4, 8 blocks) holds blocks 6 and 7: no index", framework.rollbackIndex());
            assertTrue(framework.region("runtime") != null);
        } finally {
            overlapping.deactivate();
        }
    }

    @Test
    public void aDisabledPartitionIsNotRegistered() throws IOException {
        FakeFramework framework = new FakeFramework();
        Object[] config = small(folder.getRoot().toPath().resolve("flash.img").toString(), "rom.size", 0L);
        FlashPartitionTable table = new FlashPartitionTable();
        table.activate(framework.context(), config(config));
        try {
            assertEquals("the runtime region; its end leaves no room for the rollback index", 1,
                    framework.registered.size());
            assertNull(framework.region("rom"));
        } finally {
            table.deactivate();
        }
    }

    @Test
    public void anInvalidLayoutFailsActivationBeforeTouchingTheFile() {
        FakeFramework framework = new FakeFramework();
        Path file = folder.getRoot().toPath().resolve("flash.img");
        Object[] config = small(file.toString(), "runtime.size", 7L * BLOCK);
        FlashPartitionTable table = new FlashPartitionTable();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> table.activate(framework.context(), config(config)));
        assertEquals("runtime region [0x40000, 0xb0000) does not fit the flash of 0xa0000 bytes", e.getMessage());
        assertFalse(Files.exists(file));
        assertTrue(framework.registered.isEmpty());
    }

    @Test
    public void aFlashFileOfAnotherSizeFailsActivationAndRegistersNothing() throws IOException {
        FakeFramework framework = new FakeFramework();
        Path file = folder.getRoot().toPath().resolve("flash.img");
        NorFlash.open(file, 16L * BLOCK, BLOCK, 16).close();
        FlashPartitionTable table = new FlashPartitionTable();
        IOException e = assertThrows(IOException.class,
                () -> table.activate(framework.context(), config(small(file.toString()))));
        assertMessage(e, "1048576 bytes", "655360 bytes");
        assertTrue(framework.registered.isEmpty());
        assertEquals(16L * BLOCK, Files.size(file));
    }

    @Test
    public void theDefaultFileFallsBackToTheFrameworkStorageThenTheDataArea() {
        FakeFramework framework = new FakeFramework();
        framework.dataArea = new File("/bundle/data");
        assertEquals(Path.of("/bundle/data/flash.img"), FlashPartitionTable.flashFile("", framework.context()));
        framework.properties.put(Constants.FRAMEWORK_STORAGE, "/felix-cache");
        assertEquals(Path.of("/felix-cache/flash.img"), FlashPartitionTable.flashFile(" ", framework.context()));
        framework.properties.put(FlashPartitionTable.DATA_DIR, "/dock");
        assertEquals(Path.of("/dock/flash.img"), FlashPartitionTable.flashFile(null, framework.context()));
        assertEquals(Path.of("/elsewhere/f.img"), FlashPartitionTable.flashFile("/elsewhere/f.img", framework.context()));
    }

    @Test
    public void withoutAnyFolderActivationFailsClearly() {
        FakeFramework framework = new FakeFramework();
        FlashPartitionTable table = new FlashPartitionTable();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> table.activate(framework.context(), config("size", 8L * BLOCK, "rom.size", 0L,
                        "runtime.offset", 0L, "runtime.size", 6L * BLOCK)));
        assertMessage(e, "no flash file", "datastore.data.dir");
    }

    static byte[] bytesAt(Path file, long offset, int length) throws IOException {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
            ByteBuffer bytes = ByteBuffer.allocate(length);
            channel.read(bytes, offset);
            return bytes.array();
        }
    }
}
