package datastore.romtool;

import static org.junit.Assert.assertEquals;
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

        Path image = root.resolve("out/rom.img");
        assertEquals(err.toString(), 0, romtool(sized("build", "--config", yaml.toString(), "--out",
                image.toString(), "--upd", upd.toString(), "--sign", key.toString())));
        assertEquals(1048576, Files.size(image));

        out.getBuffer().setLength(0);
        assertEquals(out.toString(), 0, romtool(sized("inspect", image.toString(), "--public-key", publicKey)));
        String listing = out.toString();
        assertTrue(listing, listing.contains("signature VERIFIED"));
        assertTrue(listing, listing.contains("image default PNG 250615 bytes"));
        assertTrue(listing, listing.contains("kv dock_name 9 bytes"));
        assertTrue(listing, listing.contains("kv enrolment_token 6 bytes"));
        assertTrue(listing, listing.contains("code main 345 bytes"));
        assertTrue(listing, listing.endsWith("sound\n"));

        // Another key's public half refuses the image.
        out.getBuffer().setLength(0);
        String otherKey = datastore.rom.RomSigningKeys.encode(datastore.rom.RomSigningKeys.generate().getPublic());
        assertEquals(1, romtool(sized("inspect", image.toString(), "--public-key", otherKey)));
        assertTrue(out.toString(), out.toString().contains("signature does not verify"));
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
}
