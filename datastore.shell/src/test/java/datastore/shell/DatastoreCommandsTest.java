package datastore.shell;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import datastore.InvalidImageException;
import datastore.InvalidNameException;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.ReadOnlyPartitionException;
import datastore.image.ImageType;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;
import datastore.testsupport.FakeCodeStore;
import datastore.testsupport.FakeFactoryReset;
import datastore.testsupport.FakeImageFormat;
import datastore.testsupport.FakeImageStore;
import datastore.testsupport.FakeKvStore;
import datastore.testsupport.FakeStoreStatus;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class DatastoreCommandsTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final DatastoreCommands commands = new DatastoreCommands();
    private final FakeKvStore kv = new FakeKvStore();
    private final FakeImageStore images = new FakeImageStore();
    private final FakeFactoryReset reset = new FakeFactoryReset(kv, images);
    private final FakeStoreStatus status = new FakeStoreStatus();

    @Before
    public void wire() {
        commands.kvStore = kv;
        commands.imageStore = images;
        commands.imageFormat = new FakeImageFormat();
        commands.factoryReset = reset;
        // Each partition holds as many entries of each namespace as the namespace's code: 1 key, 2 images...
        Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
        for (Namespace namespace : Namespace.values()) {
            entries.put(namespace, namespace.code());
        }
        commands.storeStatus = status.with("ephemeral", 300, false, 128L << 20, 0, entries)
                .with("runtime", 200, false, 13L << 20, 3L << 20, entries).with("rom", 100, true, 13L << 20, 1536, entries);
        kv.with("timezone", "UTC", "rom");
        kv.with("greeting", "hello \"world\"\n", "runtime");
    }

    @Test
    public void kvlistShowsKeysPartitionsAndValues() {
        kv.with("long", "x".repeat(100), "rom");
        String text = commands.kvlist();
        assertTrue(text, text.startsWith("KEY       PARTITION  VALUE\n"));
        assertTrue(text, text.contains("greeting  runtime    \"hello \\\"world\\\"\\u000a\""));
        assertTrue(text, text.contains("long      rom        \"" + "x".repeat(60) + "\"..."));
        assertTrue(text, text.endsWith("3 keys"));
        kv.clear();
        assertEquals("no keys", commands.kvlist());
    }

    @Test
    public void kvgetShowsTheValueAndItsPartition() {
        assertEquals("timezone = \"UTC\"  (partition rom)", commands.kvget("", "timezone"));
        assertEquals("no partition has the key nothing", commands.kvget("", "nothing"));
    }

    @Test
    public void kvputWritesToTheNamedOrDefaultPartition() {
        assertEquals("stored timezone in runtime", commands.kvput("runtime", "timezone", "CET"));
        assertEquals("CET", kv.get("timezone"));
        assertEquals("stored a in the default partition", commands.kvput("", "a", "1"));
        assertEquals("1", kv.lookup("a", "runtime").orElseThrow().value());
        commands.kvput("ephemeral", "b", "2");
        assertTrue(commands.kvput("runtime", "b", "3").endsWith("note: the visible one comes from ephemeral, which ranks higher"));
    }

    @Test
    public void kvputRefusesBadInputAndChangesNothing() {
        String before = kv.snapshot();
        assertThrows(ReadOnlyPartitionException.class, () -> commands.kvput("rom", "k", "v"));
        assertThrows(NoSuchPartitionException.class, () -> commands.kvput("flash", "k", "v"));
        assertThrows(InvalidNameException.class, () -> commands.kvput("", "", "v"));
        assertEquals(before, kv.snapshot());
    }

    @Test
    public void kvremoveSaysWhatBecameVisible() {
        kv.put("timezone", "CET", "runtime");
        assertEquals("removed timezone from runtime; now visible: \"UTC\" from rom", commands.kvremove("runtime", "timezone"));
        assertEquals("removed greeting from runtime; no partition has it now", commands.kvremove("runtime", "greeting"));
        assertEquals("ephemeral had no key timezone; nothing changed", commands.kvremove("ephemeral", "timezone"));
        assertThrows(ReadOnlyPartitionException.class, () -> commands.kvremove("rom", "timezone"));
    }

    @Test
    public void imageputDetectsTheTypeAndImagelistShowsIt() throws Exception {
        Path file = folder.newFile("logo.png").toPath();
        Files.write(file, FakeImageFormat.PNG);
        assertEquals("stored PNG logo (12 B) in the default partition", commands.imageput("", "", "logo", file.toString()));
        Path photo = folder.newFile("photo.jpg").toPath();
        Files.write(photo, FakeImageFormat.JPEG);
        assertEquals("stored JPEG photo (5 B) in ephemeral", commands.imageput("ephemeral", "jpg", "photo", photo.toString()));
        String text = commands.imagelist();
        assertTrue(text, text.contains("logo   PNG   12 B  640x480  runtime"));
        assertTrue(text, text.contains("photo  JPEG  5 B   640x480  ephemeral"));
        assertTrue(text, text.endsWith("2 images"));
        assertEquals("logo: PNG, 12 B, 640x480 pixels, partition runtime", commands.imageget("", "logo"));
    }

    @Test
    public void imageputRefusesBadInputClearlyAndChangesNothing() throws Exception {
        String before = images.snapshot();
        Path text = folder.newFile("notes.txt").toPath();
        Files.writeString(text, "not an image");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> commands.imageput("", "", "logo", text.toString()));
        assertTrue(e.getMessage(), e.getMessage().contains("is not a valid PNG, BMP or JPEG image"));
        e = assertThrows(IllegalArgumentException.class, () -> commands.imageput("", "GIF", "logo", text.toString()));
        assertEquals("unknown image type \"GIF\"; use PNG, BMP or JPEG", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> commands.imageput("", "", "logo", "/no/such/file.png"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("no file /no/such/file.png"));
        InvalidImageException invalid = assertThrows(InvalidImageException.class,
                () -> commands.imageput("", "BMP", "logo", text.toString()));
        assertTrue(invalid.getMessage(), invalid.getMessage().contains("not a valid BMP"));
        Path png = folder.newFile("ok.png").toPath();
        Files.write(png, FakeImageFormat.PNG);
        assertThrows(ReadOnlyPartitionException.class, () -> commands.imageput("rom", "", "logo", png.toString()));
        Path huge = folder.newFile("huge.png").toPath();
        try (var channel = java.nio.channels.FileChannel.open(huge, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(new byte[1]), 12L * 1024 * 1024);
        }
        e = assertThrows(IllegalArgumentException.class, () -> commands.imageput("", "PNG", "logo", huge.toString()));
        assertTrue(e.getMessage(), e.getMessage().contains("an image may be at most 12.0 MiB"));
        assertEquals(before, images.snapshot());
    }

    @Test
    public void imagegetWritesTheBytesToAFile() throws Exception {
        images.put("logo", FakeImageFormat.PNG, ImageType.PNG, "ephemeral");
        Path out = folder.getRoot().toPath().resolve("out.png");
        assertTrue(commands.imageget("", "logo", out.toString()).startsWith("wrote 12 B PNG logo to "));
        assertArrayEquals(FakeImageFormat.PNG, Files.readAllBytes(out));
        assertEquals("no partition has the image nothing; x not written", commands.imageget("", "nothing", "x"));
        assertEquals("no partition has the image nothing", commands.imageget("", "nothing"));
    }

    @Test
    public void imageremoveSaysWhatBecameVisible() {
        images.with("logo", ImageType.JPEG, FakeImageFormat.JPEG, "rom");
        images.put("logo", FakeImageFormat.PNG, ImageType.PNG, "runtime");
        assertEquals("removed logo from runtime; now visible: logo: JPEG, 5 B, 640x480 pixels, partition rom",
                commands.imageremove("runtime", "logo"));
        assertEquals("runtime had no image logo; nothing changed", commands.imageremove("runtime", "logo"));
    }

    @Test
    public void usageListsPartitionsInLookupOrder() {
        status.broken("broken", 50, "not mounted");
        String text = commands.usage();
        String[] lines = text.split("\n");
        assertEquals(5, lines.length);
        assertTrue(text, lines[0].startsWith("PARTITION"));
        assertTrue(text, lines[1].startsWith("ephemeral        300      0 B      128.0 MiB  0.0%"));
        assertTrue(text, lines[2].startsWith("runtime          200      3.0 MiB  13.0 MiB   23.1%  1     2       3     4"));
        assertTrue(text, lines[3].startsWith("rom (read-only)  100      1.5 KiB  13.0 MiB   0.0%"));
        assertTrue(text, lines[4].startsWith("broken") && lines[4].endsWith("<not mounted>"));
    }

    @Test
    public void codeIsDeployedToTheRuntimePartitionByDefaultAndShownWithItsOrigin() throws Exception {
        commands.codeStore = new FakeCodeStore("ephemeral", "runtime", "rom");
        assertEquals("no partition has application code", commands.code());
        Path file = folder.newFile("app.py").toPath();
        Files.writeString(file, "print('version 2')\n");
        assertEquals("deployed 19 B of application code to runtime; now running: 19 B from partition runtime, "
                + "revision 1", commands.codedeploy("runtime", file.toString()));
        assertEquals("application code: 19 B from partition runtime, revision 1", commands.code());
        assertTrue(commands.codedeploy("ephemeral", file.toString()).endsWith("from partition ephemeral, revision 2"));
        assertEquals("removed the application code from ephemeral; application code: 19 B from partition runtime, "
                + "revision 1", commands.coderemove("ephemeral"));
        assertEquals("ephemeral had no application code; nothing changed", commands.coderemove("ephemeral"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> commands.codedeploy("runtime",
                folder.getRoot().toString())).getMessage().contains("is not a regular file"));
    }

    @Test
    public void aPartitionIsReadAloneWithDashP() throws Exception {
        kv.with("timezone", "Europe/London", "runtime");
        assertEquals("timezone = \"Europe/London\"  (partition runtime)", commands.kvget("", "timezone"));
        assertEquals("the factory value under the override", "timezone = \"UTC\"  (partition rom only)",
                commands.kvget("rom", "timezone"));
        assertEquals("partition ephemeral has no key timezone", commands.kvget("ephemeral", "timezone"));
        assertThrows(NoSuchPartitionException.class, () -> commands.kvget("flash", "timezone"));
        images.put("logo", FakeImageFormat.PNG, ImageType.PNG, "runtime");
        assertEquals("partition rom has no image logo", commands.imageget("rom", "logo"));
        assertEquals("logo: PNG, 12 B, 640x480 pixels, partition runtime", commands.imageget("runtime", "logo"));
        Path out = folder.getRoot().toPath().resolve("logo.png");
        assertEquals("partition rom has no image logo; " + out + " not written", commands.imageget("rom", "logo", out.toString()));
        assertTrue(commands.imageget("runtime", "logo", out.toString()).startsWith("wrote 12 B PNG logo to "));
    }

    @Test
    public void usageShowsARefusedPartitionWithItsReasonAndTheWayOut() {
        status.refusing("runtime-b", "recorded geometry offset 0x2000000 size 0x5000000, configured offset 0x2010000");
        String text = commands.usage();
        assertTrue(text, text.contains("runtime-b: REFUSED, not mounted and not written: recorded geometry offset "
                + "0x2000000 size 0x5000000, configured offset 0x2010000"));
        assertTrue(text, text.contains("'datastore:format -f runtime-b' erases it and formats it empty"));
        assertTrue(text, text.startsWith("PARTITION"));
    }

    private static final class Refusal implements datastore.spi.RefusedPartition {
        int formats;

        @Override
        public String name() {
            return "runtime";
        }

        @Override
        public String reason() {
            return "bytes that are neither erased nor a runtime log";
        }

        @Override
        public void format() {
            formats++;
        }
    }

    @Test
    public void formatNeedsForceAndARefusedPartition() throws Exception {
        Refusal refusal = new Refusal();
        commands.refusedPartitions = java.util.List.of(refusal);

        String preview = commands.format(false, "runtime");
        assertTrue(preview, preview.contains("bytes that are neither erased nor a runtime log"));
        assertTrue(preview, preview.contains("'datastore:format -f runtime'"));
        assertEquals(0, refusal.formats);
        String message = assertThrows(IllegalArgumentException.class, () -> commands.format(true, "rom")).getMessage();
        assertTrue(message, message.contains("partition rom has not refused its flash") && message.contains("refused: runtime"));
        assertEquals(0, refusal.formats);

        assertEquals("formatted runtime; it mounts empty", commands.format(true, "runtime"));
        assertEquals(1, refusal.formats);
    }

    @Test
    public void resetNeedsForceAndThenEmptiesTheWritablePartitions() {
        kv.put("k", "v", "ephemeral");
        String refusal = commands.reset(false);
        assertEquals("a factory reset empties every writable partition (ephemeral, runtime) and keeps the ROM; "
                + "run 'datastore:reset -f' to do it", refusal);
        assertEquals(0, reset.calls());
        assertEquals("v", kv.get("k"));
        assertEquals("factory reset: emptied ephemeral, runtime", commands.reset(true));
        assertEquals(java.util.List.of("timezone"), kv.list());
    }

    @Test
    public void rominfoShowsTheRomsState() {
        commands.romProvisioning = new RomProvisioning() {
            @Override
            public RomInfo replace(RomContent content) {
                throw new UnsupportedOperationException();
            }

            @Override
            public RomInfo info() {
                return new RomInfo(1, 7, "0f".repeat(32), RomInfo.SignatureState.VERIFIED, 1536, 13L << 20,
                        Optional.of("slot 0 failed its checksum"));
            }
        };
        String text = commands.rominfo();
        assertTrue(text, text.contains("slot        1"));
        assertTrue(text, text.contains("generation  7"));
        assertTrue(text, text.contains("sha256      " + "0f".repeat(32)));
        assertTrue(text, text.contains("signature   VERIFIED"));
        assertTrue(text, text.contains("payload     1.5 KiB of 13.0 MiB (0.0%)"));
        assertTrue(text, text.contains("problem     slot 0 failed its checksum"));
    }

    @Test
    public void aMissingServiceIsNamed() {
        commands.kvStore = null;
        commands.imageStore = null;
        commands.factoryReset = null;
        assertTrue(assertThrows(IllegalStateException.class, commands::kvlist).getMessage().contains("no KvStore service"));
        assertTrue(assertThrows(IllegalStateException.class, commands::imagelist).getMessage()
                .contains("no ImageStore service"));
        assertTrue(assertThrows(IllegalStateException.class, () -> commands.reset(true)).getMessage()
                .contains("no FactoryReset service"));
        assertTrue(assertThrows(IllegalStateException.class, commands::rominfo).getMessage()
                .contains("in development mode only"));
        commands.storeStatus = null;
        assertTrue(assertThrows(IllegalStateException.class, commands::usage).getMessage()
                .contains("no StoreStatus service"));
    }

    @Test
    public void theResetPreviewWithoutTheStoreStatusNamesNoPartition() {
        commands.storeStatus = null;
        assertEquals("a factory reset empties every writable partition and keeps the ROM; "
                + "run 'datastore:reset -f' to do it", commands.reset(false));
        assertEquals(0, reset.calls());
    }

    @Test
    public void sizesAndNamesReadWell() {
        assertEquals("1023 B", Sizes.size(1023));
        assertEquals("1.0 KiB", Sizes.size(1024));
        assertEquals("13.0 MiB", Sizes.size(13L << 20));
        assertEquals(ImageType.JPEG, DatastoreCommands.imageType(" jpeg "));
    }
}
