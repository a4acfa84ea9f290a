package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

import org.junit.Test;

/**
 * The exported dock facing a flash it must not trust: a partition table changed under data that was
 * written for the old one, a flash file that is not the dock's at all, and a damaged erase-count
 * file. A partition that cannot be sure of its region is refused, named with its reason in
 * {@code datastore:usage}, and leaves every byte of the flash file as it was, until the user formats
 * it explicitly; a damaged erase-count file, which holds no data, costs nothing.
 */
public class FlashIdentityIT {

    private static final long MIB = 1024 * 1024;
    private static final String TABLE_PID = "datastore.device.FlashPartitionTable";

    @Test
    public void aMovedRuntimeRegionIsRefusedUntouchedUntilFormattedExplicitly() throws Exception {
        Path data = ExportedDock.newDataFolder("moved-runtime");
        try (ExportedDock dock = ExportedDock.start("production", data)) {
            dock.shell("datastore:kvput -p runtime brightness 70");
            assertTrue(dock.shell("datastore:kvget brightness"), dock.shell("datastore:kvget brightness")
                    .contains("\"70\"  (partition runtime)"));
            dock.stop();
        }
        Path flash = data.resolve("flash.img");
        String before = sha256(flash);
        // The runtime region moved by one erase block: what it holds was written for the old place.
        Files.writeString(data.resolve("deploy/" + TABLE_PID + ".cfg"), "runtime.offset=" + (32 * MIB + 65536) + "\n");
        // FileInstall hands a new .cfg file to Configuration Admin while the bundles start, so at this
        // first start the device may mount with the defaults before it sees the moved table; at the
        // next start Configuration Admin has it from the beginning. Neither start may write a byte.
        try (ExportedDock dock = ExportedDock.start("production", data)) {
            dock.stop();
        }
        assertEquals("a refused region must be left byte for byte as it was", before, sha256(flash));

        try (ExportedDock dock = ExportedDock.start("production", data)) {
            String usage = dock.shell("datastore:usage");
            assertTrue(usage, usage.contains("runtime: REFUSED"));
            String read = dock.shell("datastore:kvget brightness");
            assertTrue(read, read.contains("partition runtime is unavailable"));
            String write = dock.shell("datastore:kvput -p runtime brightness 80");
            assertTrue(write, write.contains("partition runtime is unavailable"));
            dock.stop();
        }
        assertEquals("a refused region must be left byte for byte as it was", before, sha256(flash));

        try (ExportedDock dock = ExportedDock.start("production", data)) {
            String preview = dock.shell("datastore:format runtime");
            assertTrue(preview, preview.contains("run 'datastore:format -f runtime'"));
            String formatted = dock.shell("datastore:format -f runtime");
            assertTrue(formatted + "\n" + dock.output(), formatted.contains("formatted runtime"));
            String usage = dock.shell("datastore:usage");
            assertFalse(usage, usage.contains("REFUSED"));
            assertTrue(dock.shell("datastore:kvget brightness"), dock.shell("datastore:kvget brightness")
                    .contains("no partition has the key"));
            dock.shell("datastore:kvput -p runtime brightness 90");
            dock.stop();
        }
        try (ExportedDock dock = ExportedDock.start("production", data)) {
            assertTrue(dock.shell("datastore:kvget brightness"), dock.shell("datastore:kvget brightness")
                    .contains("\"90\"  (partition runtime)"));
            dock.stop();
        }
    }

    @Test
    public void aFlashFileThatIsNotTheDocksIsRefusedUntouched() throws Exception {
        Path data = ExportedDock.newDataFolder("foreign-flash");
        Path flash = data.resolve("flash.img");
        byte[] chunk = new byte[(int) MIB];
        SplittableRandom random = new SplittableRandom(9);
        try (FileChannel out = FileChannel.open(flash, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 128; i++) {
                random.nextBytes(chunk);
                out.write(java.nio.ByteBuffer.wrap(chunk));
            }
        }
        String before = sha256(flash);

        try (ExportedDock dock = ExportedDock.start("production", data)) {
            String usage = dock.shell("datastore:usage");
            assertTrue(usage, usage.contains("runtime: REFUSED"));
            assertTrue(usage, usage.contains("rom: REFUSED"));
            String write = dock.shell("datastore:kvput -p runtime brightness 80");
            assertTrue(write, write.contains("partition runtime is unavailable"));
            dock.stop();
        }
        assertEquals("a flash file that is not ours must be left as it was", before, sha256(flash));
    }

    @Test
    public void aDamagedEraseCountFileCostsNothing() throws Exception {
        Path data = ExportedDock.newDataFolder("wear-file");
        try (ExportedDock dock = ExportedDock.start("production", data)) {
            dock.shell("datastore:kvput -p runtime brightness 70");
            dock.stop();
        }
        Path wear = data.resolve("flash.img.wear");
        assertTrue(Files.isRegularFile(wear));
        byte[] garbage = new byte[(int) Files.size(wear)];
        new SplittableRandom(3).nextBytes(garbage);
        for (byte[] damaged : new byte[][] {new byte[0], new byte[] {1, 2, 3}, garbage}) {
            Files.write(wear, damaged);
            try (ExportedDock dock = ExportedDock.start("production", data)) {
                String usage = dock.shell("datastore:usage");
                assertFalse(usage, usage.contains("REFUSED"));
                String read = dock.shell("datastore:kvget brightness");
                assertTrue(read + "\n" + dock.output(), read.contains("\"70\"  (partition runtime)"));
                dock.stop();
            }
        }
        Files.delete(wear);
        try (ExportedDock dock = ExportedDock.start("production", data)) {
            assertTrue(dock.shell("datastore:kvget brightness"), dock.shell("datastore:kvget brightness")
                    .contains("\"70\"  (partition runtime)"));
            dock.stop();
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
