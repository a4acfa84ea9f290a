package datastore.romtool;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code flash build | inspect | verify} on a small chip (4 MiB of 4 KiB blocks): a list with errors on
 * several lines is reported whole and writes nothing; a good list builds a signed shared image, small
 * per-dock images and a manifest whose whole-flash digests are those of the complete files; a dump
 * verifies, and fails naming the region and offset when one byte of its UPD section is flipped or when
 * it holds another dock's UPD image.
 */
public class FlashToolTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Path root;
    private Path yaml;
    private Path layout;

    private int dock(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return DockTool.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Before
    public void setUp() throws Exception {
        root = temp.getRoot().toPath();
        yaml = RomDescriptionTest.copySample(root.resolve("sample"));
        layout = root.resolve("layout.yaml");
        Files.writeString(layout, "chip_size: 4MiB\nerase_block_size: 4KiB\nrom_payload: 400000\n"
                + "runtime_payload: 64KiB\n");
    }

    private Path csv(String text) throws Exception {
        Path file = root.resolve("sample/docks.csv");
        Files.writeString(file, text);
        return file;
    }

    @Test
    public void everyBadRowIsReportedWithLineAndColumnAndNothingIsWritten() throws Exception {
        Path docks = csv("dock_id,token,logo:png\n"
                + "DOCK-1,tok-1,images/small.png\n"
                + "DOCK 2,tok-2,\n"
                + "DOCK-3,\"tok\n-3\",images/small.bmp\n"
                + "dock-1,tok-4,\n"
                + "DOCK-5,tok-5,images/none.png\n"
                + "DOCK-6," + "x".repeat(70000) + ",\n"
                + "DOCK-7,tok-7\n");
        Path outFolder = root.resolve("out");
        assertEquals(1, dock("flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out",
                outFolder.toString(), "--layout", layout.toString()));
        String errors = err.toString();
        assertTrue(errors, errors.contains("docks.csv:3:1: bad id \"DOCK 2\""));
        assertTrue(errors, errors.contains("docks.csv:5:3: invalid image: not a valid PNG"));
        assertTrue(errors, errors.contains("docks.csv:6:1: duplicate id \"dock-1\" (first on line 2"));
        assertTrue(errors, errors.contains("docks.csv:7:3: file not found"));
        assertTrue(errors, errors.contains("docks.csv:8:2: "));
        assertTrue(errors, errors.contains("docks.csv:9:3: 2 fields where the header has 3"));
        assertTrue(errors, errors.contains("6 problems in the dock list; nothing was written"));
        assertFalse(Files.exists(outFolder));
        try (var siblings = Files.list(root)) {
            assertTrue("no partial folder left", siblings.noneMatch(p -> p.getFileName().toString().contains("partial")));
        }
    }

    /** The signing options are checked as rom build checks them, before anything is read or written. */
    @Test
    public void aKeyWithoutAGenerationAndAGenerationWithoutAKeyAreRefused() throws Exception {
        Path docks = csv("dock_id,token\nDOCK-1,tok-1\n");
        Path outFolder = root.resolve("out");
        Path key = root.resolve("factory.key");
        assertEquals(0, dock("rom", "keygen", "--private", key.toString()));
        assertEquals(2, dock("flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out",
                outFolder.toString(), "--layout", layout.toString(), "--sign", key.toString()));
        assertTrue(err.toString(), err.toString().contains("--sign needs --generation"));
        assertEquals(2, dock("flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out",
                outFolder.toString(), "--layout", layout.toString(), "--generation", "3"));
        assertTrue(err.toString(), err.toString().contains("--generation is signed into the images, so it needs --sign"));
        assertEquals(2, dock("flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out",
                outFolder.toString(), "--layout", layout.toString(), "--sign", key.toString(), "--generation", "-1"));
        assertTrue(err.toString(), err.toString().contains("--generation must not be negative, not -1"));
        assertFalse(Files.exists(outFolder));
    }

    @Test
    public void buildsVerifiesAndFindsAFlippedByteAndAnotherDocksSection() throws Exception {
        Path key = root.resolve("rom.key");
        assertEquals(err.toString(), 0, dock("rom", "keygen", "--private", key.toString(), "--public",
                root.resolve("rom.pub").toString()));
        Path docks = csv("dock_id,enrolment_token,dock_name,logo:bmp\n"
                + "DOCK-A,tok-a,\"Reception, floor 2\",images/small.bmp\n"
                + "DOCK-B,tok-b,Lab,\n"
                + "DOCK-C,tok-c,,\n");
        Path outFolder = root.resolve("out");
        assertEquals(err.toString(), 0, dock("flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(),
                "--out", outFolder.toString(), "--layout", layout.toString(), "--sign", key.toString(),
                "--generation", "3", "--jobs", "2", "--full"));
        assertTrue(out.toString(), out.toString().startsWith("built 3 docks"));
        JsonNode manifest = new ObjectMapper().readTree(outFolder.resolve("manifest.json").toFile());
        assertEquals(3, manifest.path("docks").size());
        long[] offsets = {manifest.path("upd").path("offsets").path(0).asLong(),
            manifest.path("upd").path("offsets").path(1).asLong()};
        byte[] shared = Files.readAllBytes(outFolder.resolve("shared.img"));
        assertEquals(4 << 20, shared.length);
        for (JsonNode entry : manifest.path("docks")) {
            Path full = outFolder.resolve(entry.path("flash_file").asText());
            byte[] flash = Files.readAllBytes(full);
            assertEquals(entry.path("flash_sha256").asText(), sha256(flash));
            byte[] upd = Files.readAllBytes(outFolder.resolve(entry.path("upd_file").asText()));
            assertEquals(entry.path("upd_sha256").asText(), sha256(upd));
            // The complete flash is the shared image with the dock's image at both offsets.
            byte[] expected = shared.clone();
            for (long offset : offsets) {
                System.arraycopy(upd, 0, expected, (int) offset, upd.length);
            }
            assertArrayEquals(expected, flash);
        }

        Path dumpA = outFolder.resolve("flash/DOCK-A.img");
        Path manifestFile = outFolder.resolve("manifest.json");
        assertEquals(out.toString(), 0, dock("flash", "verify", dumpA.toString(), "--manifest", manifestFile.toString()));
        assertTrue(out.toString(), out.toString().startsWith("dock DOCK-A\n") && out.toString().endsWith("pass\n"));
        assertEquals(out.toString(), 0, dock("rom", "verify", dumpA.toString(), "--key", root.resolve("rom.pub")
                .toString(), "--dock-id", "DOCK-A"));
        assertTrue(out.toString(), out.toString().contains("signature VERIFIED") && out.toString().endsWith("verified\n"));

        // One flipped byte in the UPD section.
        byte[] flipped = Files.readAllBytes(dumpA);
        long at = offsets[0] + 300;
        flipped[(int) at] ^= 0x01;
        Path bad = root.resolve("flipped.img");
        Files.write(bad, flipped);
        assertEquals(1, dock("flash", "verify", bad.toString(), "--manifest", manifestFile.toString(), "--dock",
                "DOCK-A"));
        assertTrue(out.toString(), out.toString().contains("FAIL upd [0x" + Long.toHexString(offsets[0]) + ", ")
                && out.toString().contains("first difference at 0x" + Long.toHexString(at)));
        assertTrue(out.toString(), out.toString().contains("PASS partition-table"));
        assertTrue(out.toString(), out.toString().endsWith("fail\n"));

        // DOCK-B's section in DOCK-A's device.
        assertEquals(1, dock("flash", "verify", outFolder.resolve("flash/DOCK-B.img").toString(), "--manifest",
                manifestFile.toString(), "--dock", "DOCK-A"));
        assertTrue(out.toString(), out.toString().contains("FAIL upd [") && out.toString()
                .contains("it holds the unique-per-dock image of dock DOCK-B"));

        // Inspect reads the dump by its own table.
        assertEquals(out.toString(), 0, dock("flash", "inspect", dumpA.toString(), "--json"));
        JsonNode report = new ObjectMapper().readTree(out.toString());
        JsonNode rom = report.path("partitions").path(0);
        assertEquals("rom", rom.path("name").asText());
        assertEquals("DOCK-A", rom.path("upd_section").path("dock_id").asText());
        assertTrue(rom.toString(), rom.path("entries").toString().contains(
                "{\"namespace\":\"kv\",\"name\":\"dock_name\",\"source\":\"upd\",\"bytes\":18,\"value\":\"Reception, floor 2\"}"));
        assertEquals("empty", report.path("partitions").path(1).path("state").asText());
        assertEquals(0, dock("flash", "inspect", dumpA.toString()));
        assertTrue(out.toString(), out.toString().contains("kv enrolment_token (upd) = \"tok-a\""));
    }

    @Test
    public void theOutputFolderMustBeNew() throws Exception {
        Path docks = csv("dock_id,token\nDOCK-1,tok\n");
        Path outFolder = Files.createDirectories(root.resolve("out"));
        Files.writeString(outFolder.resolve("old.txt"), "keep");
        assertEquals(2, dock("flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out",
                outFolder.toString(), "--layout", layout.toString()));
        assertTrue(err.toString(), err.toString().contains("exists and is not an empty folder"));
        assertEquals(List.of(outFolder.resolve("old.txt")), Files.list(outFolder).toList());
    }

    @Test
    public void anInterruptedBuildLeavesNothing() throws Exception {
        StringBuilder list = new StringBuilder("dock_id,token\n");
        for (int i = 0; i < 200; i++) {
            list.append("DOCK-").append(i).append(",tok-").append(i).append('\n');
        }
        Path docks = csv(list.toString());
        FlashPlan plan = FlashPlan.read(layout);
        datastore.romformat.RomImageBuilder builder = new datastore.romformat.RomImageBuilder(new datastore.images.ImageFormats(),
                plan.romPromise(), plan.romLayout());
        datastore.spi.RomContent app = RomDescription.read(yaml, builder, 0);
        List<DockList.Dock> rows = DockList.read(docks, builder, builder.payloadOf(app), false);
        Path outFolder = root.resolve("out");
        FlashBuild[] build = new FlashBuild[1];
        build[0] = new FlashBuild(plan, builder, app, rows, null, -1);
        // Interrupted (as the Ctrl-C hook does) once a few docks are written.
        FlashBuild.Progress interrupt = (done, total) -> {
            if (done == 5) {
                new Thread(build[0]::cancel).start();
            }
        };
        try {
            build[0].run(outFolder, 2, true, interrupt);
            org.junit.Assert.fail("the build ran to its end");
        } catch (InterruptedException expected) {
            // as the command line reports it
        }
        assertFalse(Files.exists(outFolder));
        try (var siblings = Files.list(root)) {
            assertTrue("no partial folder left", siblings.noneMatch(p -> p.getFileName().toString().contains("partial")));
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
