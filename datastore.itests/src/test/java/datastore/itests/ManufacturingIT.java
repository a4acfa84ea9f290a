package datastore.itests;

import static datastore.itests.DockTools.sample;
import static datastore.itests.DockTools.tools;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.Test;

import datastore.itests.DockTools.Run;
import datastore.logstore.RuntimePromise;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The factory flow end to end, with the tools' runnable jar as a factory machine runs it and the exported
 * product as the dock: from the protocol's sample ROM description and a list of 1,000 docks to signed
 * images and a manifest; five docks' complete flash files, assembled as a programmer writes them (the
 * shared image, then the dock's own image at each offset the build names), boot as real docks serving their
 * own unique-per-dock values and the shared ROM, and verify against the manifest, which fails naming the
 * region and offset for a flipped byte and for another dock's section; a list with errors on several lines
 * writes nothing; and chips of 32, 64 and 128 MiB build, boot and hold their payload promise, while a chip
 * that cannot keep it is refused with the numbers.
 */
public class ManufacturingIT {
    private static final long MIB = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String token(int dock) {
        return "tok-" + Integer.toHexString(dock * 7919 + 1234567);
    }

    @Test
    public void aThousandDocksBuildAndFiveBootVerifyAndFailWhereTheyDiffer() throws Exception {
        Path work = ExportedDock.newDataFolder("factory");
        Path yaml = sample(work.resolve("sample"));
        StringBuilder csv = new StringBuilder("dock_id,enrolment_token,dock_name,badge:png\n");
        for (int i = 1; i <= 1000; i++) {
            csv.append(String.format("DOCK-%04d,%s,\"Dock %d, hall %d\",%s%n", i, token(i), i, i % 7,
                    i % 2 == 0 ? "images/small.png" : ""));
        }
        Path docks = work.resolve("sample/docks.csv");
        Files.writeString(docks, csv);
        assertEquals(0, tools(work, "rom", "keygen", "--private", "factory.key", "--public", "factory.pub").status());

        // A small chip of 4 KiB erase blocks, given by a layout file: the list's size is what this test is about
        // (the chips test boots 32 to 128 MiB), and the build hashes every dock's complete flash.
        Files.writeString(work.resolve("layout.yaml"), "chip_size: 4MiB\nerase_block_size: 4KiB\n"
                + "rom_payload: 400000\nruntime_payload: 64KiB\n");
        Run build = tools(work, "flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out", "out",
                "--layout", "layout.yaml", "--sign", "factory.key", "--generation", "4");
        assertEquals(build.output(), 0, build.status());
        assertTrue(build.output(), build.output().contains("built 1000 docks"));
        Path out = work.resolve("out");
        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
        assertEquals(1000, manifest.path("docks").size());
        assertTrue(manifest.path("signature").path("signed").asBoolean());
        byte[] shared = Files.readAllBytes(out.resolve("shared.img"));
        assertEquals(4 * MIB, shared.length);
        assertEquals(manifest.path("shared_image").path("sha256").asText(), sha256(shared));
        long[] offsets = {manifest.path("upd").path("offsets").path(0).asLong(),
            manifest.path("upd").path("offsets").path(1).asLong()};

        List<Path> flashes = new ArrayList<>();
        for (int index : new int[] {0, 1, 499, 998, 999}) {
            JsonNode dock = manifest.path("docks").path(index);
            byte[] upd = Files.readAllBytes(out.resolve(dock.path("upd_file").asText()));
            assertEquals(dock.path("upd_sha256").asText(), sha256(upd));
            assertTrue("a unique-per-dock image is small: " + upd.length, upd.length < 16 * 1024);
            byte[] flash = shared.clone();
            for (long offset : offsets) {
                System.arraycopy(upd, 0, flash, (int) offset, upd.length);
            }
            assertEquals(dock.path("flash_sha256").asText(), sha256(flash));
            Path file = work.resolve(dock.path("id").asText() + ".img");
            Files.write(file, flash);
            flashes.add(file);

            Run verify = tools(work, "flash", "verify", file.toString(), "--manifest", "out/manifest.json");
            assertEquals(verify.output(), 0, verify.status());
            assertTrue(verify.output(), verify.output().startsWith("dock " + dock.path("id").asText() + "\n"));
            if (index == 0 || index == 999) {
                // Signatures and the dock id they bind, as a dock with the public key checks them.
                Run signature = tools(work, "rom", "verify", file.toString(), "--key", "factory.pub", "--dock-id",
                        dock.path("id").asText());
                assertEquals(signature.output(), 0, signature.status());
                assertTrue(signature.output(), signature.output().contains("signature VERIFIED"));
            }
        }

        // The five docks start side by side, as the factory's test rack would run them.
        int[] numbers = {1, 2, 500, 999, 1000};
        ExecutorService starter = Executors.newFixedThreadPool(numbers.length);
        List<Future<ExportedDock>> starting = new ArrayList<>();
        for (int n = 0; n < numbers.length; n++) {
            Path flash = flashes.get(n);
            Path data = ExportedDock.newDataFolder("dock-" + numbers[n]);
            starting.add(starter.submit(() -> ExportedDock.start("production", data,
                    Map.of("datastore.flash.file", flash.toString()))));
        }
        starter.shutdown();
        List<ExportedDock> running = new ArrayList<>();
        try {
            for (Future<ExportedDock> future : starting) {
                running.add(future.get());
            }
            for (int n = 0; n < numbers.length; n++) {
                int number = numbers[n];
                ExportedDock dock = running.get(n);
                String token = dock.shell("datastore:kvget enrolment_token");
                assertTrue(token + "\n" + dock.output(), token.contains("\"" + token(number) + "\"  (partition rom)"));
                assertTrue(dock.shell("datastore:kvget dock_name").contains("\"Dock " + number + ", hall "));
                assertTrue("the shared ROM", dock.shell("datastore:kvget timezone").contains("\"GB\"  (partition rom)"));
                String badge = dock.shell("datastore:imageget badge");
                assertTrue(badge, number % 2 == 0 ? badge.startsWith("badge: PNG") : badge.contains("no partition has"));
                assertTrue(dock.shell("datastore:imageget welcome").contains("JPEG"));
                assertFalse(dock.shell("datastore:usage").contains("REFUSED"));
            }
        } finally {
            for (ExportedDock dock : running) {
                dock.close();
            }
        }

        // One flipped byte in the second copy of the UPD section.
        byte[] flipped = Files.readAllBytes(flashes.get(0));
        long at = offsets[1] + 100;
        flipped[(int) at] ^= 0x40;
        Path bad = work.resolve("flipped.img");
        Files.write(bad, flipped);
        Run verify = tools(work, "flash", "verify", bad.toString(), "--manifest", "out/manifest.json");
        assertEquals(verify.output(), 1, verify.status());
        assertTrue(verify.output(), verify.output().contains("FAIL upd [0x" + Long.toHexString(offsets[0]) + ", ")
                && verify.output().contains("first difference at 0x" + Long.toHexString(at)));
        assertTrue(verify.output(), verify.output().contains("PASS runtime"));

        // DOCK-0002's section in DOCK-0001's device.
        verify = tools(work, "flash", "verify", flashes.get(1).toString(), "--manifest", "out/manifest.json",
                "--dock", "DOCK-0001");
        assertEquals(verify.output(), 1, verify.status());
        assertTrue(verify.output(), verify.output().contains("FAIL upd [")
                && verify.output().contains("it holds the unique-per-dock image of dock DOCK-0002"));
    }

    @Test
    public void aListWithErrorsOnSeveralLinesReportsEveryOneAndWritesNothing() throws Exception {
        Path work = ExportedDock.newDataFolder("bad-list");
        Path yaml = sample(work.resolve("sample"));
        Path docks = work.resolve("sample/docks.csv");
        Files.writeString(docks, "dock_id,enrolment_token,logo:png\n"
                + "DOCK-1,tok-1,images/small.png\n"
                + "DOCK/2,tok-2,\n"
                + "DOCK-3,tok-3,images/small.jpg\n"
                + "DOCK-1,tok-4,\n"
                + "DOCK-5," + "t".repeat(65537) + ",\n");
        Run build = tools(work, "flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out", "out",
                "--chip-size", "32MiB", "--rom-payload", "6MiB", "--runtime-payload", "2MiB");
        assertEquals(build.output(), 1, build.status());
        for (String expected : new String[] {"docks.csv:3:1: bad id", "docks.csv:4:3: invalid image: not a valid PNG",
            "docks.csv:5:1: duplicate id \"DOCK-1\" (first on line 2", "docks.csv:6:2: value of 65537 bytes",
            "4 problems in the dock list; nothing was written"}) {
            assertTrue(build.output(), build.output().contains(expected));
        }
        try (Stream<Path> files = Files.list(work)) {
            assertEquals("nothing written beside the list and the sample", List.of("sample"),
                    files.map(path -> path.getFileName().toString()).toList());
        }
    }

    @Test
    public void chipsOf32And64And128MiBBuildBootAndHoldTheirPromise() throws Exception {
        Path work = ExportedDock.newDataFolder("chips");
        Path yaml = sample(work.resolve("sample"));
        Path docks = work.resolve("sample/docks.csv");
        Files.writeString(docks, "dock_id,enrolment_token\nDOCK-7,tok-7\n");

        Run refused = tools(work, "flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out",
                "too-small", "--chip-size", "32MiB");
        assertEquals(refused.output(), 1, refused.status());
        assertTrue(refused.output(), refused.output().contains("layout refused: a chip of 32 MiB (512 erase blocks of "
                + "64 KiB) cannot keep the promise") && refused.output().contains("more than the chip has"));
        assertFalse(Files.exists(work.resolve("too-small")));

        long[][] chips = {{32, 6 * MIB, 2 * MIB}, {64, 13 * MIB, 4 * MIB}, {128, 13 * MIB, 13 * MIB}};
        for (long[] chip : chips) {
            String name = "chip-" + chip[0];
            Run build = tools(work, "flash", "build", "--rom", yaml.toString(), "--docks", docks.toString(), "--out",
                    name, "--chip-size", chip[0] + "MiB", "--rom-payload", Long.toString(chip[1]), "--runtime-payload",
                    Long.toString(chip[2]), "--full");
            assertEquals(build.output(), 0, build.status());
            Path flash = work.resolve(name + "/flash/DOCK-7.img");
            assertEquals(chip[0] * MIB, Files.size(flash));
            // The promise, to the byte: images in the runtime partition whose tags, bytes and entry
            // charges add up to it.
            List<Path> fill = new ArrayList<>();
            long left = chip[2];
            int charge = RuntimePromise.ENTRY_CHARGE;
            for (int i = 0; left > 0; i++) {
                String tag = "fill" + i;
                long bytes = Math.min(12 * MIB, left - tag.length() - charge);
                Path image = work.resolve(name + "-" + tag + ".bmp");
                Files.write(image, paddedBmp((int) bytes));
                fill.add(image);
                left -= tag.length() + bytes + charge;
            }
            Path data = ExportedDock.newDataFolder(name);
            try (ExportedDock dock = ExportedDock.start("production", data, Map.of("datastore.flash.file",
                    flash.toString()))) {
                String usage = dock.shell("datastore:usage");
                assertFalse(usage + "\n" + dock.output(), usage.contains("REFUSED"));
                assertTrue(dock.shell("datastore:kvget enrolment_token").contains("\"tok-7\"  (partition rom)"));
                for (int i = 0; i < fill.size(); i++) {
                    String put = dock.shell("datastore:imageput -p runtime fill" + i + " " + fill.get(i));
                    assertTrue(put + "\n" + dock.output(), put.startsWith("stored BMP fill" + i + " (")
                            && put.contains(") in runtime"));
                }
                dock.stop();
            }
            // The dump after the dock wrote to it: its runtime entries are there, read by the tools.
            Run inspect = tools(work, "flash", "inspect", flash.toString(), "--json");
            assertEquals(inspect.output(), 0, inspect.status());
            JsonNode runtime = JSON.readTree(inspect.output()).path("partitions").path(1);
            assertEquals(chip[2], runtime.path("used").asLong());
            assertTrue(runtime.toString(), runtime.path("capacity").asLong() >= chip[2]);
        }
    }

    /** A valid BMP of exactly {@code bytes} bytes: one pixel, then padding the format allows after it. */
    private static byte[] paddedBmp(int bytes) {
        byte[] pixel = TestImages.encode("bmp", 1, 1);
        byte[] image = new byte[bytes];
        System.arraycopy(pixel, 0, image, 0, pixel.length);
        java.nio.ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(2, bytes); // the file size
        return image;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
