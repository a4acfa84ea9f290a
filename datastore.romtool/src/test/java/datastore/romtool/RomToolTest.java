package datastore.romtool;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class RomToolTest {
    /** A 1 MiB region of 4 KiB blocks keeps the files small; its slots hold the sample's 306 KB. */
    private static final String[] GEOMETRY = {"--region-size", "1048576", "--erase-block-size", "4096",
        "--capacity", "400000"};

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int romtool(String... args) {
        return RomTool.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /** A command with the small geometry's options after it. */
    private static String[] sized(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + GEOMETRY.length);
        System.arraycopy(GEOMETRY, 0, all, args.length, GEOMETRY.length);
        return all;
    }

    @Test
    public void buildsSignsAndInspectsTheSample() throws Exception {
        Path root = temp.getRoot().toPath();
        Path yaml = RomDescriptionTest.copySample(root.resolve("sample"));
        Path upd = root.resolve("upd.yaml");
        Files.writeString(upd, "kv_store:\n  enrolment_token: tok-42\n  dock_name: SERIAL-42\n");
        Path key = root.resolve("rom.key");
        assertEquals(err.toString(), 0, romtool("keygen", "--private", key.toString()));
        String publicKey = out.toString().strip();
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        String keyText = Files.readString(key);
        assertEquals(RomTool.EXIT_FAILURE, romtool("keygen", "--private", key.toString()));
        assertTrue(err.toString(), err.toString().contains("exists; a signing key is never overwritten"));
        assertEquals("an existing key is left as it was", keyText, Files.readString(key));
        out.getBuffer().setLength(0);

        Path image = root.resolve("out/rom.img");
        assertEquals(RomTool.EXIT_FAILURE, romtool(sized("build", "--config", yaml.toString(), "--out",
                image.toString(), "--upd", upd.toString(), "--sign", key.toString(), "--dock-id", "DOCK-42")));
        assertTrue(err.toString(), err.toString().contains("--sign needs --generation"));
        assertEquals(RomTool.EXIT_FAILURE, romtool(sized("build", "--config", yaml.toString(), "--out",
                image.toString(), "--upd", upd.toString(), "--sign", key.toString(), "--generation", "7")));
        assertTrue(err.toString(), err.toString().contains("--sign with --upd needs --dock-id"));
        assertFalse("nothing written on a usage error", Files.exists(image));
        assertEquals(err.toString(), 0, romtool(sized("build", "--config", yaml.toString(), "--out",
                image.toString(), "--upd", upd.toString(), "--sign", key.toString(), "--generation", "7",
                "--dock-id", "DOCK-42")));
        assertEquals(1048576, Files.size(image));

        out.getBuffer().setLength(0);
        assertEquals(out.toString(), 0, romtool(sized("inspect", image.toString(), "--public-key", publicKey)));
        String listing = out.toString();
        assertTrue(listing, listing.contains("signature VERIFIED"));
        assertTrue(listing, listing.contains("signed generation 7"));
        assertTrue(listing, listing.contains("image default PNG 250615 bytes"));
        assertTrue(listing, listing.contains("kv dock_name 9 bytes"));
        assertTrue(listing, listing.contains("kv enrolment_token 6 bytes"));
        assertTrue(listing, listing.contains("code main 345 bytes"));
        assertTrue(listing, listing.endsWith("sound\n"));

        // Another key's public half refuses the image.
        out.getBuffer().setLength(0);
        String otherKey = datastore.romformat.RomSigningKeys.encode(datastore.romformat.RomSigningKeys.generate().getPublic());
        assertEquals(1, romtool(sized("inspect", image.toString(), "--public-key", otherKey)));
        assertTrue(out.toString(), out.toString().contains("signature does not verify"));

        // Several keys: the image verifies when its key is among them, as on a dock rotating keys.
        out.getBuffer().setLength(0);
        assertEquals(out.toString(), 0, romtool(sized("inspect", image.toString(), "--public-key", otherKey,
                "--public-key", publicKey, "--dock-id", "DOCK-42")));
        assertTrue(out.toString(), out.toString().contains("signature VERIFIED"));
        // Another dock refuses the unique-per-dock section signed for this one.
        out.getBuffer().setLength(0);
        assertEquals(1, romtool(sized("inspect", image.toString(), "--public-key", publicKey, "--dock-id", "DOCK-43")));
        assertTrue(out.toString(), out.toString().contains("signed for dock \"DOCK-42\", not for this dock \"DOCK-43\""));
    }

    @Test
    public void verifyFailsOnAnUnsignedImageAndOnADamagedPage() throws Exception {
        Path root = temp.getRoot().toPath();
        Path yaml = RomDescriptionTest.copySample(root.resolve("sample"));
        Path key = root.resolve("rom.key");
        Path pub = root.resolve("rom.pub");
        assertEquals(err.toString(), 0, romtool("keygen", "--private", key.toString(), "--public", pub.toString()));
        Path unsigned = root.resolve("unsigned.img");
        assertEquals(err.toString(), 0, romtool(sized("build", "--config", yaml.toString(), "--out", unsigned.toString())));
        out.getBuffer().setLength(0);
        assertEquals(1, romtool(sized("verify", unsigned.toString(), "--key", pub.toString())));
        assertTrue(out.toString(), out.toString().contains("refused: it is not signed"));

        Path signed = root.resolve("signed.img");
        assertEquals(err.toString(), 0, romtool(sized("build", "--config", yaml.toString(), "--out", signed.toString(),
                "--sign", key.toString(), "--generation", "1")));
        out.getBuffer().setLength(0);
        assertEquals(out.toString(), 0, romtool(sized("verify", signed.toString(), "--key", pub.toString())));
        assertTrue(out.toString(), out.toString().endsWith("verified\n"));
        byte[] bytes = Files.readAllBytes(signed);
        bytes[bytes.length / 3] ^= 0x20;
        Files.write(signed, bytes);
        out.getBuffer().setLength(0);
        assertEquals(1, romtool(sized("verify", signed.toString(), "--key", pub.toString())));
        assertTrue(out.toString(), out.toString().contains("CORRUPTED") && out.toString().contains("problems: "));
    }

    /** --app-image: the signed application image alone, as a running dock installs it, and what it binds. */
    @Test
    public void buildsASignedApplicationImageAlone() throws Exception {
        Path root = temp.getRoot().toPath();
        Path yaml = RomDescriptionTest.copySample(root.resolve("sample"));
        Path key = root.resolve("rom.key");
        Path pub = root.resolve("rom.pub");
        assertEquals(err.toString(), 0, romtool("keygen", "--private", key.toString(), "--public", pub.toString()));
        Path image = root.resolve("app.img");
        assertEquals(err.toString(), 0, romtool(sized("build", "--config", yaml.toString(), "--out", image.toString(),
                "--app-image", "--sign", key.toString(), "--generation", "8")));
        assertTrue(out.toString(), out.toString().contains("application image"));
        assertTrue(out.toString(), out.toString().contains("generation 8"));
        long size = Files.size(image);
        assertTrue("the image alone, far smaller than the region: " + size, size < 2L * 1024 * 1024);
        out.getBuffer().setLength(0);
        assertEquals(out.toString(), 0, romtool(sized("verify", image.toString(), "--key", pub.toString())));

        Path upd = root.resolve("sample/upd.yaml");
        Files.writeString(upd, "kv_store:\n  enrolment_token: tok-1\n");
        err.getBuffer().setLength(0);
        assertEquals(2, romtool(sized("build", "--config", yaml.toString(), "--out", root.resolve("x.img").toString(),
                "--app-image", "--upd", upd.toString())));
        assertTrue(err.toString(), err.toString().contains("--app-image writes the application image alone"));
    }

    @Test
    public void aDamagedImageIsReported() throws Exception {
        Path root = temp.getRoot().toPath();
        Path yaml = RomDescriptionTest.copySample(root.resolve("sample"));
        Path image = root.resolve("rom.img");
        assertEquals(err.toString(), 0, romtool(sized("build", "--config", yaml.toString(), "--out",
                image.toString())));
        byte[] bytes = Files.readAllBytes(image);
        bytes[bytes.length / 3] ^= 0x20; // inside the 250 KB PNG of slot 0
        Files.write(image, bytes);
        out.getBuffer().setLength(0);
        assertEquals(1, romtool(sized("inspect", image.toString())));
        assertTrue(out.toString(), out.toString().contains("CORRUPTED"));
    }

    @Test
    public void invalidContentExitsWithEveryProblemAndWritesNothing() throws Exception {
        Path root = temp.getRoot().toPath();
        Path yaml = root.resolve("rom.yaml");
        Files.writeString(yaml, "kv_store:\n  port: 8080\n  ok: fine\nimages:\n  logo:\n    type: png\n"
                + "    path: ${CONFIG_PATH}/none.png\n");
        Path image = root.resolve("rom.img");
        assertEquals(1, romtool(sized("build", "--config", yaml.toString(), "--out", image.toString())));
        assertTrue(err.toString(), err.toString().contains("rom.yaml: kv_store.port: "));
        assertTrue(err.toString(), err.toString().contains("rom.yaml: images.logo.path: file not found"));
        assertTrue(Files.notExists(image));
    }

    @Test
    public void usageErrorsExitWithTwo() {
        assertEquals(2, romtool("build", "--out", "x.img"));
        assertEquals(2, romtool(sized("inspect", temp.getRoot().toPath().resolve("absent.img").toString())));
        assertTrue(err.toString(), err.toString().contains("absent.img"));
    }

    @Test
    public void inspectReadsFormatTwoAndThreeAndRefusesAnotherPlace() throws Exception {
        Path root = temp.getRoot().toPath();
        Path yaml = RomDescriptionTest.copySample(root.resolve("sample"));
        Path v3 = root.resolve("rom-v3.img");
        assertEquals(err.toString(), 0, romtool(sized("build", "--config", yaml.toString(), "--out", v3.toString(),
                "--device-offset", "4194304")));
        assertTrue(out.toString(), out.toString().contains("ROM format 3"));
        assertTrue(out.toString(), out.toString().endsWith("sound\n"));

        // The dock's table says another place: refused, naming both, and the file is not changed.
        byte[] before = Files.readAllBytes(v3);
        out.getBuffer().setLength(0);
        assertEquals(1, romtool(sized("inspect", v3.toString())));
        assertTrue(out.toString(), out.toString().contains("refused")
                && out.toString().contains("device offset 4194304 written, 0 configured"));
        org.junit.Assert.assertArrayEquals(before, Files.readAllBytes(v3));

        // A format 2 flash image, as the previous romtool wrote it, is read as it is.
        datastore.flash.FlashGeometry geometry = new datastore.flash.FlashGeometry(1048576, 4096, 16);
        datastore.romformat.RomImageBuilder legacy = new datastore.romformat.RomImageBuilder(new datastore.images.ImageFormats(),
                400000, datastore.romformat.RomLayout.legacy(geometry));
        Path v2 = root.resolve("rom-v2.img");
        Files.write(v2, legacy.buildFlash(new datastore.spi.RomContent("print(2)".getBytes(),
                java.util.Map.of("dock_name", "old"), java.util.Map.of()), null, null));
        out.getBuffer().setLength(0);
        assertEquals(out.toString(), 0, romtool(sized("inspect", v2.toString())));
        assertTrue(out.toString(), out.toString().contains("ROM format 2"));
        assertTrue(out.toString(), out.toString().contains("kv dock_name 3 bytes"));
        assertTrue(out.toString(), out.toString().endsWith("sound\n"));
    }

    @Test
    public void aBareImageOfANewerFormatIsNamedAsSuch() throws Exception {
        byte[] image = datastore.romformat.RomImageFormat.encode(datastore.romformat.RomImageFormat.KIND_APPLICATION, java.util.List.of());
        image[9] = 4;
        // Reseal as a newer tool would: digest over header bytes 0-47 and the page table, then the CRC.
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(image);
        int paged = 256 + 32 * in.getInt(36);
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(image, 0, 48);
        sha.update(image, 256, paged - 256);
        System.arraycopy(sha.digest(), 0, image, 48, 32);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(image, 0, 252);
        in.putInt(252, (int) crc.getValue());
        Path file = temp.getRoot().toPath().resolve("newer.rom");
        Files.write(file, image);
        assertEquals(1, romtool("inspect", file.toString()));
        assertTrue(out.toString(), out.toString().contains("unsupported format version 4")
                && out.toString().contains("newer than this dock"));
    }
}
