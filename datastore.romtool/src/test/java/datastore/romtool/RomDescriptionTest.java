package datastore.romtool;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.flash.FlashGeometry;
import datastore.image.ImageType;
import datastore.images.ImageFormats;
import datastore.romformat.RomImageBuilder;
import datastore.romformat.RomLayout;
import datastore.spi.InvalidRomContentException;
import datastore.spi.InvalidRomContentException.Problem;
import datastore.spi.RomContent;

public class RomDescriptionTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private Path sample;
    private final RomImageBuilder builder = new RomImageBuilder(new ImageFormats(), 13631488,
            RomLayout.of(new FlashGeometry(28L * 1024 * 1024, 65536, 16)));

    /** Copies the protocol's sample (description, code and images) into a temporary folder. */
    static Path copySample(Path folder) throws IOException {
        Files.createDirectories(folder.resolve("images"));
        for (String name : List.of("rom_store_config.yaml", "app.py", "images/small.bmp", "images/small.jpg",
                "images/small.png", "images/splash-1080p.jpg", "images/splash-1080p.png")) {
            try (InputStream in = RomDescriptionTest.class.getResourceAsStream("/sample/" + name)) {
                Files.copy(in, folder.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return folder.resolve("rom_store_config.yaml");
    }

    @Before
    public void setUp() throws IOException {
        sample = copySample(temp.getRoot().toPath());
    }

    @Test
    public void theSampleReadsWithPathsRelativeToItsFolder() throws IOException {
        RomContent content = RomDescription.read(sample, builder, 0);
        Path folder = sample.getParent();
        assertArrayEquals(Files.readAllBytes(folder.resolve("app.py")), content.code());
        assertEquals(Map.of("dock_name", "RW02-0005", "timezone", "GB", "content_url",
                "https://content.example.com/dock"), content.kvStore());
        assertEquals(List.of("default", "welcome", "logo"), List.copyOf(content.images().keySet()));
        assertEquals(ImageType.PNG, content.images().get("default").type());
        assertEquals(ImageType.JPEG, content.images().get("welcome").type());
        assertEquals(ImageType.BMP, content.images().get("logo").type());
        assertArrayEquals(Files.readAllBytes(folder.resolve("images/small.bmp")), content.images().get("logo").data());
    }

    @Test
    public void everyProblemIsNamedByItsYamlField() throws IOException {
        Path yaml = sample.resolveSibling("bad.yaml");
        Files.writeString(yaml, String.join("\n",
                "code:",
                "  path: ${CONFIG_PATH}/missing.py",
                "images:",
                "  logo:",
                "    type: Jpeg",
                "    path: ${CONFIG_PATH}/images/small.png",
                "  icon:",
                "    type: gif",
                "    path: ${CONFIG_PATH}/images/small.png",
                "  splash:",
                "    type: PNG",
                "  fine:",
                "    type: bMp",
                "    path: ${CONFIG_PATH}/images/small.bmp",
                "kv_store:",
                "  port: 8080",
                "  enabled: true",
                "  ratio: 1.5",
                "  name: plain",
                "  \"bad\\u0001key\": x",
                "fonts: {}",
                ""));
        InvalidRomContentException e = assertThrows(InvalidRomContentException.class,
                () -> RomDescription.read(yaml, builder, 0));
        Map<String, String> problems = e.problems().stream()
                .collect(Collectors.toMap(Problem::field, Problem::message, (a, b) -> a + " | " + b));
        assertEquals(problems.toString(), java.util.Set.of("fonts", "code.path", "images.logo.path", "images.icon.type",
                "images.splash.path", "kv_store.port", "kv_store.enabled", "kv_store.ratio", "kv_store.bad\\u0001key"),
                problems.keySet());
        assertTrue(problems.get("code.path"), problems.get("code.path").startsWith("file not found: "));
        assertTrue(problems.get("images.logo.path"), problems.get("images.logo.path").startsWith("not a valid JPEG: "));
        assertTrue(problems.get("kv_store.port"), problems.get("kv_store.port").contains("integer 8080"));
        assertTrue(problems.get("kv_store.enabled"), problems.get("kv_store.enabled").contains("boolean"));
        assertTrue(problems.get("images.splash.path"), problems.get("images.splash.path").equals("missing"));
    }

    private static String problem(InvalidRomContentException e, String field) {
        return e.problems().stream().filter(p -> p.field().equals(field)).map(Problem::message).findFirst()
                .orElseThrow(() -> new AssertionError("no problem for " + field + " in " + e.problems()));
    }

    @Test
    public void filesOutsideTheDescriptionsFolderAreReadOnlyWhenAllowed() throws Exception {
        Path root = temp.getRoot().toPath();
        Path secret = Files.writeString(temp.newFolder("elsewhere").toPath().resolve("signing.key"), "PRIVATE KEY");
        Path folder = Files.createDirectories(root.resolve("description"));
        Files.copy(sample.resolveSibling("app.py"), folder.resolve("app.py"));
        Files.createSymbolicLink(folder.resolve("link.py"), secret);
        Path yaml = folder.resolve("rom.yaml");
        for (String path : new String[] {"${CONFIG_PATH}/../elsewhere/signing.key", secret.toString(), "${CONFIG_PATH}/link.py"}) {
            Files.writeString(yaml, "code:\n  path: " + path + "\n");
            InvalidRomContentException e = assertThrows(InvalidRomContentException.class,
                    () -> RomDescription.read(yaml, builder, 0));
            assertTrue(path + ": " + e.problems(), problem(e, "code.path").contains("is outside the description's folder"));
            // Told to allow it, the tool reads it.
            assertArrayEquals(Files.readAllBytes(secret), RomDescription.read(yaml, builder, 0, true).code());
        }
        Files.writeString(yaml, "code:\n  path: ${CONFIG_PATH}/app.py\n");
        assertArrayEquals(Files.readAllBytes(folder.resolve("app.py")), RomDescription.read(yaml, builder, 0).code());
    }

    @Test
    public void onlyRegularFilesWithinTheirLimitAreRead() throws Exception {
        Path folder = sample.getParent();
        Path fifo = folder.resolve("fifo.py");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path huge = folder.resolve("huge.py");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(datastore.Namespace.CODE.maxValueBytes() + 1); // sparse: nothing is written
        }
        Path yaml = folder.resolve("rom.yaml");
        Files.writeString(yaml, "code:\n  path: ${CONFIG_PATH}/fifo.py\n");
        assertTrue(problem(assertThrows(InvalidRomContentException.class, () -> RomDescription.read(yaml, builder, 0)),
                "code.path").endsWith("fifo.py is not a regular file"));
        Files.writeString(yaml, "code:\n  path: /dev/zero\n");
        assertTrue(problem(assertThrows(InvalidRomContentException.class, () -> RomDescription.read(yaml, builder, 0, true)),
                "code.path").endsWith("/dev/zero is not a regular file"));
        Files.writeString(yaml, "code:\n  path: ${CONFIG_PATH}/huge.py\n");
        assertTrue(problem(assertThrows(InvalidRomContentException.class, () -> RomDescription.read(yaml, builder, 0)),
                "code.path").endsWith("huge.py is " + (datastore.Namespace.CODE.maxValueBytes() + 1) + " bytes; the limit is "
                        + datastore.Namespace.CODE.maxValueBytes()));
    }

    @Test
    public void brokenYamlAndWrongShapesAreReported() throws IOException {
        Path yaml = sample.resolveSibling("broken.yaml");
        Files.writeString(yaml, "kv_store: [\n");
        InvalidRomContentException broken = assertThrows(InvalidRomContentException.class,
                () -> RomDescription.read(yaml, builder, 0));
        assertEquals("yaml", broken.problems().get(0).field());

        Files.writeString(yaml, "kv_store:\n  a: x\n  a: y\n");
        assertEquals("yaml", assertThrows(InvalidRomContentException.class,
                () -> RomDescription.read(yaml, builder, 0)).problems().get(0).field());

        Files.writeString(yaml, "code: app.py\nimages: [a]\nkv_store: text\n");
        List<String> fields = assertThrows(InvalidRomContentException.class, () -> RomDescription.read(yaml, builder, 0))
                .problems().stream().map(Problem::field).collect(Collectors.toList());
        assertEquals(List.of("code", "kv_store", "images"), fields);
    }

    @Test
    public void updDataHasNoCode() throws IOException {
        InvalidRomContentException e = assertThrows(InvalidRomContentException.class,
                () -> RomDescription.readUpd(sample, builder));
        assertEquals("code", e.problems().get(0).field());
        Path upd = sample.resolveSibling("upd.yaml");
        Files.writeString(upd, "kv_store:\n  enrolment_token: tok-1\n");
        assertEquals(Map.of("enrolment_token", "tok-1"), RomDescription.readUpd(upd, builder).kvStore());
    }

    @Test
    public void configPathIsOnlyAPrefix() {
        Path folder = Path.of("/srv/rom");
        assertEquals(folder.resolve("a/b.png"), RomDescription.resolve("${CONFIG_PATH}/a/b.png", folder));
        assertEquals(Path.of("rel/x.png"), RomDescription.resolve("rel/x.png", folder));
        assertEquals(Path.of("/abs/${CONFIG_PATH}"), RomDescription.resolve("/abs/${CONFIG_PATH}", folder));
    }
}
