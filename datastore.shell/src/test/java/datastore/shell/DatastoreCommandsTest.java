package datastore.shell;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import datastore.InvalidImageException;
import datastore.InvalidNameException;
import datastore.NoSuchPartitionException;
import datastore.ReadOnlyPartitionException;
import datastore.image.ImageType;
import datastore.testsupport.FakeCodeStore;
import datastore.testsupport.FakeImageFormat;
import datastore.testsupport.FakeImageStore;
import datastore.testsupport.FakeKvStore;

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

    @Before
    public void wire() {
        commands.kvStore = kv;
        commands.imageStore = images;
        commands.imageFormat = new FakeImageFormat();
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
    public void aMissingServiceIsNamed() {
        commands.kvStore = null;
        commands.imageStore = null;
        assertTrue(assertThrows(IllegalStateException.class, commands::kvlist).getMessage().contains("no KvStore service"));
        assertTrue(assertThrows(IllegalStateException.class, commands::imagelist).getMessage()
                .contains("no ImageStore service"));
    }

    @Test
    public void sizesAndNamesReadWell() {
        assertEquals("1023 B", Sizes.size(1023));
        assertEquals("1.0 KiB", Sizes.size(1024));
        assertEquals("13.0 MiB", Sizes.size(13L << 20));
        assertEquals(ImageType.JPEG, DatastoreCommands.imageType(" jpeg "));
    }
}
