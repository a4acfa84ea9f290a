package datastore.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

import org.junit.Test;

/**
 * A dock upgraded in place: the flash file and erase-count file that the build at commit 3528d4a
 * wrote (runtime log format 2, ROM image format 2, erase counts without a version, no partition
 * table on the flash; {@code upgrade/written-by.py} is how) are started by this build, which must
 * serve every value they hold, the same after a second start and after a new write, and refuse
 * nothing. A format change that forgets an older format fails here.
 */
public class UpgradeIT {

    private static final String FIXTURE = "/datastore/itests/upgrade/flash-3528d4a.img";

    @Test
    public void aFlashWrittenByTheEarlierBuildIsServedWhole() throws Exception {
        Path data = ExportedDock.newDataFolder("upgrade");
        try (InputStream in = new GZIPInputStream(UpgradeIT.class.getResourceAsStream(FIXTURE + ".gz"))) {
            Files.copy(in, data.resolve("flash.img"), StandardCopyOption.REPLACE_EXISTING);
        }
        try (InputStream in = UpgradeIT.class.getResourceAsStream(FIXTURE + ".wear")) {
            Files.copy(in, data.resolve("flash.img.wear"), StandardCopyOption.REPLACE_EXISTING);
        }

        for (int start = 1; start <= 3; start++) {
            try (ExportedDock dock = ExportedDock.start("production", data)) {
                String usage = dock.shell("datastore:usage");
                assertFalse(usage + "\n" + dock.output(), usage.contains("REFUSED"));
                assertTrue(usage, usage.matches("(?s).*rom \\(read-only\\)\\s+100\\s.*\\s3\\s+2\\s+1\\s+0.*"));
                String keys = dock.shell("datastore:kvlist");
                for (String expected : new String[] {"brightness   runtime    \"75\"",
                        "content_url  rom        \"https://content.example.com/dock\"",
                        "dock_name    runtime    \"Kitchen\"", "timezone     runtime    \"UTC\""}) {
                    assertTrue(expected + " in\n" + keys, keys.contains(expected));
                }
                assertFalse(keys, keys.contains("tmp"));
                for (int i = 0; i < 40; i++) {
                    String key = String.format("setting.%02d", i);
                    String read = dock.shell("datastore:kvget " + key);
                    assertTrue(read, read.contains("\"value-" + i * i + "\"  (partition runtime)"));
                }
                Path samples = SampleRomStore.sampleFolder();
                assertImage(dock, data, "default", samples.resolve("images/splash-1080p.png"));
                assertImage(dock, data, "logo", samples.resolve("images/small.bmp"));
                assertImage(dock, data, "splash", samples.resolve("images/small.png"));
                if (start == 2) {
                    // Written by this build on top of the earlier build's data.
                    dock.shell("datastore:kvput -p runtime brightness 80");
                    dock.shell("datastore:kvremove -p runtime brightness");
                    dock.shell("datastore:kvput -p runtime brightness 75");
                }
                dock.stop();
            }
        }
    }

    private static void assertImage(ExportedDock dock, Path data, String tag, Path expected) throws Exception {
        Path copy = data.resolve("read-" + tag);
        Files.deleteIfExists(copy);
        String answer = dock.shell("datastore:imageget " + tag + " " + copy);
        assertTrue(answer, Files.exists(copy));
        assertArrayEquals(tag, Files.readAllBytes(expected), Files.readAllBytes(copy));
    }
}
