package datastore.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import datastore.ChangeEvents;
import datastore.CorruptedEntryException;
import datastore.EntryNotFoundException;
import datastore.Image;
import datastore.ImageInfo;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.Namespace;
import datastore.StaleTokenException;
import datastore.image.ImageType;
import datastore.testsupport.MemoryPartition;

import org.junit.Test;

public class LogicalImageStoreTest {

    private static final byte[] PNG = MarkerImageFormat.image(ImageType.PNG, "pixels");
    private static final byte[] BMP = MarkerImageFormat.image(ImageType.BMP, "other pixels");

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Test
    public void onePartitionIsReadAloneWhenNamed() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", BMP, ImageType.BMP, "runtime");
        dock.images.put("logo", PNG, ImageType.PNG, "ephemeral");

        Image below = dock.images.find("logo", "runtime").orElseThrow();
        assertEquals(ImageType.BMP, below.type());
        assertArrayEquals(BMP, bytes(below.data()));
        assertEquals("runtime", dock.images.lookup("logo", "runtime").orElseThrow().partition());
        assertEquals(Optional.empty(), dock.images.find("logo", "rom"));
        assertEquals(Optional.empty(), dock.images.lookup("logo", "rom"));
        assertThrows(datastore.NoSuchPartitionException.class, () -> dock.images.find("logo", "flash"));
        assertThrows(datastore.InvalidNameException.class, () -> dock.images.lookup("\u202Elogo", "runtime"));
    }

    @Test
    public void getCopiesTheVisibleImageWithItsType() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", BMP, ImageType.BMP, "runtime");
        dock.images.put("logo", PNG, ImageType.PNG, "ephemeral");

        Image image = dock.images.get("logo");
        assertEquals(ImageType.PNG, image.type());
        assertArrayEquals(PNG, bytes(image.data()));
        assertTrue(image.data().isReadOnly());

        // A copy: changing the stored bytes afterwards does not change what get returned.
        dock.partition("ephemeral").poke(Namespace.IMAGE, "logo", 0, (byte) 'X');
        assertEquals('P', image.data().get(0));
        assertEquals('X', dock.images.find("logo").orElseThrow().data().get(0));
    }

    @Test
    public void absentImagesAreNone() {
        TestDock dock = TestDock.standard();
        assertSame(Image.NONE, dock.images.get("missing"));
        assertEquals(Optional.empty(), dock.images.find("missing"));
        assertEquals(Optional.empty(), dock.images.lookup("missing"));
    }

    @Test
    public void putWithoutPartitionGoesToTheDefault() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", PNG, ImageType.PNG);
        assertEquals("runtime", dock.images.lookup("logo").orElseThrow().partition());
        assertEquals(ImageType.PNG.code(), dock.partition("runtime").stored(Namespace.IMAGE, "logo").orElseThrow().format());
    }

    @Test
    public void lookupReportsTypeSizeDimensionsAndPartition() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").with(Namespace.IMAGE, "splash", ImageType.BMP.code(), BMP);
        assertEquals(Optional.of(new ImageInfo("splash", ImageType.BMP, BMP.length, MarkerImageFormat.WIDTH,
                MarkerImageFormat.HEIGHT, "rom")), dock.images.lookup("splash"));
    }

    @Test
    public void listAndRemoveWorkLikeKeys() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").with(Namespace.IMAGE, "splash", ImageType.BMP.code(), BMP);
        dock.images.put("splash", PNG, ImageType.PNG, "runtime");
        dock.images.put("icon", PNG, ImageType.PNG, "ephemeral");
        assertEquals(List.of("icon", "splash"), dock.images.list());

        assertTrue(dock.images.remove("splash", "runtime"));
        assertEquals(ImageType.BMP, dock.images.get("splash").type());
        assertEquals(List.of("datastore/image/PUT", "datastore/image/PUT", "datastore/image/REMOVED"), dock.events.topics());
        assertEquals("image", dock.events.posted().get(2).getProperty(ChangeEvents.NAMESPACE));
    }

    @Test
    public void anUnknownFormatByteIsACorruptedEntry() {
        TestDock dock = TestDock.standard();
        dock.partition("runtime").with(Namespace.IMAGE, "odd", 77, PNG);
        dock.partition("runtime").with(Namespace.IMAGE, "none", ImageType.NONE.code(), PNG);
        assertThrows(CorruptedEntryException.class, () -> dock.images.get("odd"));
        assertThrows(CorruptedEntryException.class, () -> dock.images.getToken("none"));
    }

    @Test
    public void aTokenOpensAViewOfThePartitionsOwnBytes() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        MemoryPartition runtime = dock.partition("runtime");

        ImageToken token = dock.images.getToken("logo");
        assertEquals("logo", token.tag());
        assertEquals(ImageType.PNG, token.type());
        assertEquals(PNG.length, token.size());
        assertEquals(0, runtime.openViews());

        try (ImageView view = dock.images.open(token)) {
            assertEquals(ImageType.PNG, view.type());
            ByteBuffer bytes = view.bytes();
            assertTrue(bytes.isReadOnly());
            assertEquals(0, bytes.position());
            assertArrayEquals(PNG, bytes(bytes));
            assertEquals(1, runtime.openViews());

            // No copy: a change of the stored bytes shows through the view.
            runtime.poke(Namespace.IMAGE, "logo", 4, (byte) '#');
            assertEquals('#', bytes.get(4));
            assertEquals('#', view.bytes().get(4));
        }
        assertEquals(0, runtime.openViews());
    }

    @Test
    public void closingAViewTwiceReleasesItOnce() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        ImageView view = dock.images.open(dock.images.getToken("logo"));
        ImageView other = dock.images.open(dock.images.getToken("logo"));
        view.close();
        view.close();
        assertEquals(1, dock.partition("runtime").openViews());
        assertThrows(IllegalStateException.class, view::bytes);
        other.close();
        assertEquals(0, dock.partition("runtime").openViews());
    }

    @Test
    public void anOpenViewKeepsItsBytesWhenTheImageIsReplaced() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        try (ImageView view = dock.images.open(dock.images.getToken("logo"))) {
            dock.images.put("logo", BMP, ImageType.BMP, "runtime");
            assertArrayEquals(PNG, bytes(view.bytes()));
        }
    }

    @Test
    public void getTokenOfAnAbsentImageFails() {
        TestDock dock = TestDock.standard();
        EntryNotFoundException e = assertThrows(EntryNotFoundException.class, () -> dock.images.getToken("missing"));
        assertEquals(Optional.of("missing"), e.name());
    }

    @Test
    public void aTokenIsStaleOnceItsImageIsReplaced() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        ImageToken token = dock.images.getToken("logo");
        dock.images.put("logo", PNG, ImageType.PNG, "runtime"); // same bytes, new revision

        StaleTokenException e = assertThrows(StaleTokenException.class, () -> dock.images.open(token));
        assertEquals(Optional.of("runtime"), e.partition());
        assertEquals(Optional.of("logo"), e.name());
        assertEquals("the view opened to compare revisions is closed", 0, dock.partition("runtime").openViews());
        assertNotEquals(token, dock.images.getToken("logo"));
    }

    @Test
    public void aTokenIsStaleOnceItsImageIsRemoved() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").with(Namespace.IMAGE, "logo", ImageType.BMP.code(), BMP);
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        ImageToken token = dock.images.getToken("logo");
        dock.images.remove("logo", "runtime");
        // The ROM copy is visible now, but the token stands for the runtime one.
        assertThrows(StaleTokenException.class, () -> dock.images.open(token));
    }

    @Test
    public void aTokenIsStaleOnceItsPartitionIsGone() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", PNG, ImageType.PNG, "ephemeral");
        ImageToken token = dock.images.getToken("logo");
        dock.remove(dock.partition("ephemeral"));
        StaleTokenException e = assertThrows(StaleTokenException.class, () -> dock.images.open(token));
        assertTrue(e.getMessage(), e.getMessage().contains("partition is gone"));
    }

    @Test
    public void aTokenStaysValidWhileAHigherPartitionCoversItsImage() {
        TestDock dock = TestDock.standard();
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        ImageToken token = dock.images.getToken("logo");
        dock.images.put("logo", BMP, ImageType.BMP, "ephemeral");
        try (ImageView view = dock.images.open(token)) {
            assertArrayEquals(PNG, bytes(view.bytes()));
        }
    }

    @Test
    public void tokensOfAnotherStoreAreRefused() {
        TestDock dock = TestDock.standard();
        TestDock other = TestDock.standard();
        other.images.put("logo", PNG, ImageType.PNG, "runtime");
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        ImageToken foreign = other.images.getToken("logo");
        assertThrows(IllegalArgumentException.class, () -> dock.images.open(foreign));

        ImageToken forged = new ImageToken() {
            @Override
            public String tag() {
                return "logo";
            }

            @Override
            public ImageType type() {
                return ImageType.PNG;
            }

            @Override
            public long size() {
                return PNG.length;
            }
        };
        assertThrows(IllegalArgumentException.class, () -> dock.images.open(forged));
    }

    @Test
    public void theImageIsCopiedBeforeValidation() {
        TestDock dock = TestDock.standard();
        byte[] data = PNG.clone();
        dock.images.put("logo", data, ImageType.PNG, "runtime");
        data[0] = 'X';
        assertArrayEquals(PNG, bytes(dock.images.get("logo").data()));
    }
}
