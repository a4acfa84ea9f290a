package datastore.images;

import static datastore.images.TestImages.FORMATS;
import static datastore.images.TestImages.assertInvalid;
import static datastore.images.TestImages.resource;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.Optional;

import org.junit.Test;

import datastore.InvalidImageException;
import datastore.image.ImageHeader;
import datastore.image.ImageType;

public class ImageFormatsTest {
    private final byte[] png = resource("small.png");
    private final byte[] bmp = resource("small.bmp");
    private final byte[] jpeg = resource("small.jpg");

    @Test
    public void noneIsAlwaysRefused() {
        for (byte[] image : new byte[][] {png, bmp, jpeg, new byte[0]}) {
            InvalidImageException e = assertInvalid(image, ImageType.NONE, "NONE is not an image format");
            assertEquals(ImageType.NONE, e.type());
            assertTrue(e.name().isEmpty());
            assertEquals("not a valid NONE: NONE is not an image format; say PNG, BMP or JPEG", e.getMessage());
        }
    }

    @Test
    public void refusesBytesOfAnotherFormat() {
        assertInvalid(png, ImageType.JPEG, "bad signature: expected FF D8 (SOI), found 89 50");
        assertInvalid(png, ImageType.BMP, "bad signature: expected 42 4D (\"BM\"), found 89 50");
        assertInvalid(bmp, ImageType.PNG, "bad signature: expected 89 50 4E 47 0D 0A 1A 0A, found 42 4D");
        assertInvalid(bmp, ImageType.JPEG, "bad signature");
        assertInvalid(jpeg, ImageType.PNG, "found FF D8 FF E0");
        assertInvalid(jpeg, ImageType.BMP, "found FF D8");
    }

    @Test
    public void shortDataOfAnotherFormatIsNamedByItsSignature() {
        byte[] gif = "GIF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertInvalid(gif, ImageType.PNG, "bad signature: expected 89 50 4E 47 0D 0A 1A 0A, found 47 49 46");
        assertInvalid(gif, ImageType.BMP, "bad signature: expected 42 4D (\"BM\"), found 47 49");
        assertInvalid(gif, ImageType.JPEG, "bad signature: expected FF D8 (SOI), found 47 49");
        assertInvalid(new byte[] {'B'}, ImageType.BMP, "truncated: file header at offset 0 needs 14 bytes, 1 remain");
        assertInvalid(new byte[] {(byte) 0xFF}, ImageType.JPEG, "truncated: SOI marker at offset 0 needs 2 bytes, 1 remain");
        assertInvalid(new byte[] {(byte) 0x89, 'P'}, ImageType.PNG, "truncated: signature at offset 0 needs 8 bytes, 2 remain");
    }

    @Test
    public void refusesEmptyData() {
        assertInvalid(new byte[0], ImageType.PNG, "truncated: signature at offset 0 needs 8 bytes, 0 remain");
        assertInvalid(new byte[0], ImageType.BMP, "truncated: file header at offset 0 needs 14 bytes, 0 remain");
        assertInvalid(new byte[0], ImageType.JPEG, "truncated: SOI marker at offset 0 needs 2 bytes, 0 remain");
        assertEquals(Optional.empty(), FORMATS.detect(ByteBuffer.allocate(0)));
    }

    @Test
    public void detectFindsEachFormat() {
        assertEquals(Optional.of(new ImageHeader(ImageType.PNG, 64, 48)), FORMATS.detect(ByteBuffer.wrap(png)));
        assertEquals(Optional.of(new ImageHeader(ImageType.BMP, 64, 48)), FORMATS.detect(ByteBuffer.wrap(bmp)));
        assertEquals(Optional.of(new ImageHeader(ImageType.JPEG, 64, 48)), FORMATS.detect(ByteBuffer.wrap(jpeg)));
    }

    @Test
    public void detectFindsNothingInDamagedOrForeignData() {
        byte[] damaged = png.clone();
        damaged[40] ^= 1;
        assertEquals(Optional.empty(), FORMATS.detect(ByteBuffer.wrap(damaged)));
        assertEquals(Optional.empty(), FORMATS.detect(ByteBuffer.wrap("GIF89a".getBytes())));
        assertEquals(Optional.empty(), FORMATS.detect(ByteBuffer.wrap(new byte[] {'B', 'M'})));
    }

    @Test
    public void readsOnlyFromPositionToLimitAndLeavesBothAlone() {
        for (byte[] image : new byte[][] {png, bmp, jpeg}) {
            // Garbage on both sides: inspection must see neither, so the trailing bytes rule holds.
            byte[] framed = TestImages.concat(new byte[] {1, 2, 3, 4, 5, 6, 7}, image, new byte[] {9, 9, 9});
            ByteBuffer heap = ByteBuffer.wrap(framed);
            ByteBuffer direct = ByteBuffer.allocateDirect(framed.length).put(framed);
            for (ByteBuffer buffer : new ByteBuffer[] {heap, direct, heap.asReadOnlyBuffer(), direct.asReadOnlyBuffer()}) {
                buffer.limit(7 + image.length).position(7);
                buffer.mark();
                ImageHeader header = FORMATS.detect(buffer).orElseThrow();
                assertEquals(64, header.width());
                assertUnchanged(buffer, 7, 7 + image.length);
                assertEquals(header, FORMATS.inspect(buffer, header.type()));
                assertUnchanged(buffer, 7, 7 + image.length);
                for (ImageType other : ImageType.values()) {
                    if (other != header.type()) {
                        assertThrows(InvalidImageException.class, () -> FORMATS.inspect(buffer, other));
                        assertUnchanged(buffer, 7, 7 + image.length);
                    }
                }
                // One byte less: invalid, and still nothing moved.
                buffer.limit(6 + image.length);
                assertThrows(InvalidImageException.class, () -> FORMATS.inspect(buffer, header.type()));
                assertUnchanged(buffer, 7, 6 + image.length);
                // The whole framed buffer: the garbage makes it invalid.
                buffer.clear();
                assertEquals(Optional.empty(), FORMATS.detect(buffer));
                assertEquals(0, buffer.position());
                assertEquals(framed.length, buffer.limit());
            }
        }
    }

    @Test
    public void acceptsASliceWhoseOwnPositionIsZero() {
        byte[] framed = TestImages.concat(new byte[100], jpeg);
        ByteBuffer slice = ByteBuffer.wrap(framed, 100, jpeg.length).slice();
        assertEquals(new ImageHeader(ImageType.JPEG, 64, 48), FORMATS.inspect(slice, ImageType.JPEG));
    }

    @Test
    public void nullArgumentsAreProgrammingErrors() {
        assertThrows(NullPointerException.class, () -> FORMATS.inspect(null, ImageType.PNG));
        assertThrows(NullPointerException.class, () -> FORMATS.inspect(ByteBuffer.wrap(png), null));
        assertThrows(NullPointerException.class, () -> FORMATS.detect(null));
    }

    @Test
    public void theMessageNamesTheTypeAndTheReason() {
        InvalidImageException e = assertInvalid(TestImages.slice(bmp, 0, 9000), ImageType.BMP, "file size");
        assertEquals("not a valid BMP: BMP header says file size 9270, data has 9000 bytes", e.getMessage());
        assertSame(ImageType.BMP, e.type());
    }

    private static void assertUnchanged(ByteBuffer buffer, int position, int limit) {
        assertEquals(position, buffer.position());
        assertEquals(limit, buffer.limit());
        buffer.reset();
        assertEquals("the mark is kept", position, buffer.position());
    }
}
