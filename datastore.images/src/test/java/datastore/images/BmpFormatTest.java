package datastore.images;

import static datastore.images.TestImages.assertInvalid;
import static datastore.images.TestImages.assertValid;
import static datastore.images.TestImages.concat;
import static datastore.images.TestImages.encode;
import static datastore.images.TestImages.indexed;
import static datastore.images.TestImages.picture;
import static datastore.images.TestImages.putLe16;
import static datastore.images.TestImages.putLe32;
import static datastore.images.TestImages.resource;
import static datastore.images.TestImages.slice;
import static org.junit.Assert.assertEquals;

import java.awt.image.BufferedImage;
import java.util.function.Consumer;

import javax.imageio.ImageWriteParam;
import javax.imageio.plugins.bmp.BMPImageWriteParam;

import org.junit.Test;

import datastore.image.ImageType;

public class BmpFormatTest {
    private static final ImageType BMP = ImageType.BMP;
    private final byte[] small = resource("small.bmp");

    @Test
    public void acceptsTheSample() {
        assertValid(small, BMP, 64, 48);
    }

    @Test
    public void acceptsImageIoOutputOfEveryDepthAndSeveralSizes() {
        int[][] sizes = {{1, 1}, {3, 7}, {64, 48}, {333, 2}, {2, 333}};
        for (int[] size : sizes) {
            int w = size[0];
            int h = size[1];
            assertValid(encode(picture(w, h, BufferedImage.TYPE_INT_RGB), "bmp"), BMP, w, h);
            assertValid(encode(picture(w, h, BufferedImage.TYPE_USHORT_565_RGB), "bmp"), BMP, w, h);
            assertValid(encode(picture(w, h, BufferedImage.TYPE_USHORT_555_RGB), "bmp"), BMP, w, h);
            assertValid(encode(picture(w, h, BufferedImage.TYPE_INT_RGB), "bmp", compression("BI_BITFIELDS")), BMP, w, h);
            assertValid(encode(indexed(w, h, 8), "bmp"), BMP, w, h);
            assertValid(encode(indexed(w, h, 4), "bmp"), BMP, w, h);
            assertValid(encode(indexed(w, h, 1), "bmp"), BMP, w, h);
        }
    }

    @Test
    public void acceptsRunLengthEncodedImages() {
        byte[] rle8 = encode(indexed(70, 9, 8), "bmp", compression("BI_RLE8"));
        assertEquals(1, rle8[30]);
        assertValid(rle8, BMP, 70, 9);
        byte[] rle4 = encode(indexed(37, 5, 4), "bmp", compression("BI_RLE4"));
        assertEquals(2, rle4[30]);
        assertValid(rle4, BMP, 37, 5);
        // Delta codes and absolute runs, with padding, ending in end-of-bitmap.
        byte[] codes = {4, 1, 0, 3, 1, 2, 3, 0, 0, 0, 0, 2, 1, 1, 2, 9, 0, 1};
        assertValid(handMade(40, 8, 3, 8, 1, 256, 0, codes), BMP, 8, 3);
    }

    @Test
    public void topDownImagesReportTheirHeightAsPositive() {
        byte[] topDown = encode(picture(21, 13, BufferedImage.TYPE_INT_RGB), "bmp", param -> ((BMPImageWriteParam) param).setTopDown(true));
        assertEquals(-13, topDown[22] | topDown[23] << 8 | topDown[24] << 16 | topDown[25] << 24);
        assertValid(topDown, BMP, 21, 13);
    }

    @Test
    public void acceptsEveryKnownHeaderSize() {
        // BITMAPCOREHEADER: 16-bit dimensions and 3-byte palette entries.
        assertValid(handMade(12, 5, 3, 24, 0, 0, 0, new byte[16 * 3]), BMP, 5, 3);
        assertValid(handMade(12, 5, 3, 8, 0, 256, 0, new byte[8 * 3]), BMP, 5, 3);
        for (int size : new int[] {40, 52, 56, 108, 124}) {
            assertValid(handMade(size, 5, 3, 24, 0, 0, 0, new byte[16 * 3]), BMP, 5, 3);
            assertValid(handMade(size, 5, -3, 32, 3, 0, size == 40 ? 12 : 0, new byte[20 * 3]), BMP, 5, 3);
            assertValid(handMade(size, 5, 3, 16, 6, 0, size == 40 ? 16 : 0, new byte[12 * 3]), BMP, 5, 3);
            assertValid(handMade(size, 5, 3, 4, 0, 7, 0, new byte[4 * 3]), BMP, 5, 3);
        }
    }

    @Test
    public void refusesBadSignature() {
        byte[] bytes = small.clone();
        bytes[1] = 'A';
        assertInvalid(bytes, BMP, "bad signature: expected 42 4D (\"BM\"), found 42 41");
        assertInvalid(slice(small, 0, 13), BMP, "truncated: file header at offset 0 needs 14 bytes, 13 remain");
    }

    @Test
    public void refusesAFileSizeFieldThatDiffersFromTheData() {
        assertInvalid(slice(small, 0, 9000), BMP, "BMP header says file size 9270, data has 9000 bytes");
        assertInvalid(concat(small, new byte[] {0}), BMP, "BMP header says file size 9270, data has 9271 bytes");
        byte[] bytes = small.clone();
        putLe32(bytes, 2, 0xFFFF_FFFFL);
        assertInvalid(bytes, BMP, "BMP header says file size 4294967295, data has 9270 bytes");
    }

    @Test
    public void refusesUnknownDibHeaderSizes() {
        for (long size : new long[] {0, 11, 16, 64, 125, 0xFFFF_FFFFL}) {
            byte[] bytes = small.clone();
            putLe32(bytes, 14, size);
            assertInvalid(bytes, BMP, "DIB header at offset 14: size " + size + " is not one of 12, 40, 52, 56, 108, 124");
        }
        byte[] cut = slice(handMade(124, 1, 1, 24, 0, 0, 0, new byte[4]), 0, 100);
        putLe32(cut, 2, 100);
        assertInvalid(cut, BMP, "truncated: DIB header at offset 14 needs 124 bytes, 86 remain");
        byte[] headerOnly = slice(small, 0, 16);
        putLe32(headerOnly, 2, 16);
        assertInvalid(headerOnly, BMP, "truncated: DIB header size at offset 14 needs 4 bytes, 2 remain");
    }

    @Test
    public void refusesPlanesOtherThanOne() {
        byte[] bytes = small.clone();
        putLe16(bytes, 26, 2);
        assertInvalid(bytes, BMP, "DIB header (40 bytes): planes 2, must be 1");
        putLe16(bytes, 26, 0);
        assertInvalid(bytes, BMP, "planes 0, must be 1");
    }

    @Test
    public void refusesBadBitsPerPixel() {
        for (int bpp : new int[] {0, 2, 3, 15, 48, 64, 0xFFFF}) {
            byte[] bytes = small.clone();
            putLe16(bytes, 28, bpp);
            assertInvalid(bytes, BMP, "bits per pixel " + bpp + " is not one of 1, 4, 8, 16, 24, 32");
        }
        assertInvalid(handMade(12, 5, 3, 16, 0, 0, 0, new byte[12 * 3]), BMP, "bits per pixel 16 is not one of 1, 4, 8, 24");
    }

    @Test
    public void refusesCompressionThatDoesNotFitTheDepth() {
        assertInvalid(withCompression(1), BMP, "compression 1 (BI_RLE8) is not allowed with 24 bits per pixel");
        assertInvalid(withCompression(2), BMP, "compression 2 (BI_RLE4) is not allowed with 24 bits per pixel");
        assertInvalid(withCompression(3), BMP, "compression 3 (BI_BITFIELDS) is not allowed with 24 bits per pixel");
        assertInvalid(withCompression(6), BMP, "compression 6 (BI_ALPHABITFIELDS) is not allowed with 24 bits per pixel");
        assertInvalid(withCompression(4), BMP, "compression 4 (BI_JPEG), an embedded JPEG or PNG, is not supported");
        assertInvalid(withCompression(5), BMP, "compression 5 (BI_PNG)");
        assertInvalid(withCompression(7), BMP, "compression 7 is not a known method");
        assertInvalid(withCompression(0x8000_0000L), BMP, "compression 2147483648 is not a known method");
    }

    @Test
    public void refusesNonPositiveWidthAndZeroHeight() {
        byte[] bytes = small.clone();
        putLe32(bytes, 18, 0);
        assertInvalid(bytes, BMP, "width 0, must be positive");
        putLe32(bytes, 18, -64);
        assertInvalid(bytes, BMP, "width -64, must be positive");
        bytes = small.clone();
        putLe32(bytes, 22, 0);
        assertInvalid(bytes, BMP, "DIB header (40 bytes): height 0");
        putLe32(bytes, 22, Integer.MIN_VALUE);
        assertInvalid(bytes, BMP, "height -2147483648 has no positive counterpart");
        assertInvalid(handMade(12, 0, 3, 24, 0, 0, 0, new byte[4]), BMP, "width 0, must be positive");
    }

    @Test
    public void refusesTopDownRunLengthEncoding() {
        byte[] rle8 = encode(indexed(70, 9, 8), "bmp", compression("BI_RLE8"));
        putLe32(rle8, 22, -9);
        assertInvalid(rle8, BMP, "height -9 (top-down) is not allowed for RLE compression");
    }

    @Test
    public void refusesMoreColoursThanTheDepthIndexes() {
        byte[] bytes = encode(indexed(4, 4, 4), "bmp");
        putLe32(bytes, 46, 17);
        assertInvalid(bytes, BMP, "17 colours used, 4 bits per pixel index at most 16");
    }

    @Test
    public void refusesPixelDataOffsetOutsideItsPlace() {
        byte[] bytes = small.clone();
        putLe32(bytes, 10, 20);
        assertInvalid(bytes, BMP, "pixel data offset 20 lies inside the headers, which end at offset 54");
        putLe32(bytes, 10, 9270);
        assertInvalid(bytes, BMP, "pixel data offset 9270 is not inside the file of 9270 bytes");
        putLe32(bytes, 10, 0xFFFF_FFFFL);
        assertInvalid(bytes, BMP, "pixel data offset 4294967295 is not inside the file");

        byte[] palette = encode(indexed(4, 4, 8), "bmp");
        putLe32(palette, 10, 54 + 1000);
        assertInvalid(palette, BMP, "lies inside the headers and the colour table of 256 entries, which end at offset 1078");
        byte[] masks = encode(picture(4, 4, BufferedImage.TYPE_USHORT_565_RGB), "bmp");
        putLe32(masks, 10, 60);
        assertInvalid(masks, BMP, "pixel data offset 60 lies inside the headers and bit masks, which end at offset 66");
        byte[] huge = small.clone();
        putLe32(huge, 46, 0xFFFF_FFFFL);
        assertInvalid(huge, BMP, "the colour table of 4294967295 entries, which end at offset 17179869234");
    }

    @Test
    public void refusesAPixelArrayThatDoesNotFit() {
        byte[] bytes = small.clone();
        putLe32(bytes, 22, 49);
        assertInvalid(bytes, BMP, "pixel array of 49 rows of 192 bytes needs 9408 bytes from offset 54, 9216 remain");
        putLe32(bytes, 22, -49);
        assertInvalid(bytes, BMP, "pixel array of 49 rows of 192 bytes needs 9408 bytes");
        bytes = small.clone();
        putLe32(bytes, 18, 65);
        assertInvalid(bytes, BMP, "pixel array of 48 rows of 196 bytes needs 9408 bytes");
        putLe32(bytes, 18, Integer.MAX_VALUE);
        putLe32(bytes, 22, Integer.MAX_VALUE);
        putLe16(bytes, 28, 32);
        assertInvalid(bytes, BMP, "pixel array of 2147483647 rows of 8589934588 bytes needs 18446744056529682436 bytes");
        // Row padding counts: 3 pixels of 24 bits need 12 bytes per row, not 9.
        byte[] padded = handMade(40, 3, 2, 24, 0, 0, 0, new byte[24]);
        assertValid(padded, BMP, 3, 2);
        byte[] unpadded = handMade(40, 3, 2, 24, 0, 0, 0, new byte[18]);
        assertInvalid(unpadded, BMP, "pixel array of 2 rows of 12 bytes needs 24 bytes from offset 54, 18 remain");
    }

    @Test
    public void refusesBrokenRunLengthData() {
        assertInvalid(handMade(40, 8, 3, 8, 1, 256, 0, new byte[] {4, 1, 0, 0, 4, 1}), BMP,
                "truncated: RLE data from offset 1078 ends at offset 1084 without an end-of-bitmap code");
        assertInvalid(handMade(40, 8, 3, 8, 1, 256, 0, new byte[] {4, 1, 0, 9, 1, 2}), BMP,
                "truncated: RLE absolute run of 9 pixels at offset 1080 needs 10 bytes after its code, 2 remain");
        assertInvalid(handMade(40, 8, 3, 4, 2, 16, 0, new byte[] {4, 1, 0, 9, 1, 2}), BMP,
                "truncated: RLE absolute run of 9 pixels at offset 120 needs 6 bytes after its code, 2 remain");
        assertInvalid(handMade(40, 8, 3, 8, 1, 256, 0, new byte[] {4, 1, 0, 2, 1}), BMP,
                "truncated: RLE delta code at offset 1080 needs 2 bytes after it, 1 remain");
        assertInvalid(handMade(40, 8, 2, 8, 1, 256, 0, new byte[] {0, 0, 0, 0, 0, 0, 0, 1}), BMP,
                "RLE code at offset 1082 moves past the last of 2 rows");
        assertInvalid(handMade(40, 8, 2, 8, 1, 256, 0, new byte[] {0, 2, 0, 3, 0, 1}), BMP,
                "RLE code at offset 1078 moves past the last of 2 rows");
    }

    private byte[] withCompression(long compression) {
        byte[] bytes = small.clone();
        putLe32(bytes, 30, compression);
        return bytes;
    }

    private static Consumer<ImageWriteParam> compression(String type) {
        return param -> {
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType(type);
        };
    }

    /**
     * A BMP with a DIB header of {@code dibSize} bytes, {@code maskBytes} of channel masks after a
     * 40-byte header, a zero colour table of {@code paletteEntries} and {@code pixels}.
     */
    static byte[] handMade(int dibSize, int width, int height, int bpp, int compression, int paletteEntries,
            int maskBytes, byte[] pixels) {
        boolean core = dibSize == 12;
        int tableBytes = paletteEntries * (core ? 3 : 4);
        int offset = 14 + dibSize + maskBytes + tableBytes;
        byte[] bytes = new byte[offset + pixels.length];
        bytes[0] = 'B';
        bytes[1] = 'M';
        putLe32(bytes, 2, bytes.length);
        putLe32(bytes, 10, offset);
        putLe32(bytes, 14, dibSize);
        if (core) {
            putLe16(bytes, 18, width);
            putLe16(bytes, 20, height);
            putLe16(bytes, 22, 1);
            putLe16(bytes, 24, bpp);
        } else {
            putLe32(bytes, 18, width);
            putLe32(bytes, 22, height);
            putLe16(bytes, 26, 1);
            putLe16(bytes, 28, bpp);
            putLe32(bytes, 30, compression);
            putLe32(bytes, 34, pixels.length);
            putLe32(bytes, 46, bpp <= 8 && paletteEntries == 1 << bpp ? 0 : paletteEntries);
        }
        System.arraycopy(pixels, 0, bytes, offset, pixels.length);
        return bytes;
    }
}
