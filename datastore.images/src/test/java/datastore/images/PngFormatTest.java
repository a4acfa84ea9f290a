package datastore.images;

import static datastore.images.TestImages.assertInvalid;
import static datastore.images.TestImages.assertValid;
import static datastore.images.TestImages.chunks;
import static datastore.images.TestImages.concat;
import static datastore.images.TestImages.encode;
import static datastore.images.TestImages.indexed;
import static datastore.images.TestImages.picture;
import static datastore.images.TestImages.png;
import static datastore.images.TestImages.putBe32;
import static datastore.images.TestImages.resource;
import static datastore.images.TestImages.slice;
import static org.junit.Assert.assertEquals;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageWriteParam;

import org.junit.Test;

import datastore.image.ImageType;
import datastore.images.TestImages.Chunk;

public class PngFormatTest {
    private static final ImageType PNG = ImageType.PNG;
    private final byte[] small = resource("small.png");

    @Test
    public void acceptsTheSample() {
        assertValid(small, PNG, 64, 48);
    }

    @Test
    public void acceptsTrueColourAndAlphaOfSeveralSizes() {
        int[][] sizes = {{1, 1}, {3, 7}, {64, 48}, {257, 3}, {1, 300}, {640, 480}};
        for (int[] size : sizes) {
            assertValid(encode(picture(size[0], size[1], BufferedImage.TYPE_INT_RGB), "png"), PNG, size[0], size[1]);
            assertValid(encode(picture(size[0], size[1], BufferedImage.TYPE_INT_ARGB), "png"), PNG, size[0], size[1]);
        }
    }

    @Test
    public void acceptsGreyscaleAndPaletteImagesOfEveryBitDepth() {
        assertValid(encode(picture(33, 17, BufferedImage.TYPE_BYTE_GRAY), "png"), PNG, 33, 17);
        assertValid(encode(picture(33, 17, BufferedImage.TYPE_USHORT_GRAY), "png"), PNG, 33, 17);
        for (int bits : new int[] {1, 2, 4, 8}) {
            byte[] bytes = encode(indexed(29, 11, bits), "png");
            assertValid(bytes, PNG, 29, 11);
        }
        // The 8-bit palette image really is colour type 3 with a PLTE, so that path is covered.
        List<Chunk> chunks = chunks(encode(indexed(5, 5, 8), "png"));
        assertEquals(3, chunks.get(0).data()[9]);
        assertEquals("PLTE", chunks.get(1).type());
    }

    @Test
    public void acceptsInterlacedImages() {
        byte[] bytes = encode(picture(50, 40, BufferedImage.TYPE_INT_RGB), "png",
                param -> param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT));
        assertEquals(1, chunks(bytes).get(0).data()[12]);
        assertValid(bytes, PNG, 50, 40);
    }

    @Test
    public void acceptsIdatSplitIntoConsecutiveChunksEvenInsideTheZlibHeader() {
        List<Chunk> chunks = chunks(small);
        int idat = indexOf(chunks, "IDAT");
        byte[] data = chunks.get(idat).data();
        chunks.set(idat, new Chunk("IDAT", slice(data, 0, 1)));
        chunks.add(idat + 1, new Chunk("IDAT", slice(data, 1, data.length)));
        chunks.add(idat + 1, new Chunk("IDAT", new byte[0]));
        assertValid(png(chunks), PNG, 64, 48);
    }

    @Test
    public void acceptsUnknownAncillaryChunks() {
        List<Chunk> chunks = chunks(small);
        chunks.add(1, new Chunk("teSt", 1, 2, 3));
        chunks.add(chunks.size() - 1, new Chunk("zzZz"));
        assertValid(png(chunks), PNG, 64, 48);
    }

    @Test
    public void refusesBadSignature() {
        byte[] bytes = small.clone();
        bytes[1] = 'Q';
        assertInvalid(bytes, PNG, "bad signature: expected 89 50 4E 47 0D 0A 1A 0A, found 89 51 4E 47 0D 0A 1A 0A");
        assertInvalid(slice(small, 0, 5), PNG, "truncated: signature at offset 0 needs 8 bytes, 5 remain");
        assertInvalid(slice(small, 0, 8), PNG, "truncated: no chunk after the signature");
    }

    @Test
    public void refusesCrcMismatchInEveryChunk() {
        int at = 8;
        for (Chunk chunk : chunks(small)) {
            byte[] bytes = small.clone();
            bytes[at + 8 + chunk.data().length] ^= 0x01;
            assertInvalid(bytes, PNG, "chunk " + chunk.type() + " at offset " + at + ": CRC mismatch");
            at += 12 + chunk.data().length;
        }
    }

    @Test
    public void reportsTheIdatCrcMismatchWithItsOffset() {
        byte[] bytes = small.clone();
        bytes[33 + 8 + 10] ^= 0x55;
        assertInvalid(bytes, PNG, "chunk IDAT at offset 33: CRC mismatch (stored ");
    }

    @Test
    public void refusesLengthsBeyond31Bits() {
        byte[] bytes = small.clone();
        putBe32(bytes, 33, 0x8000_0000L);
        assertInvalid(bytes, PNG, "chunk at offset 33: length 2147483648 exceeds 2^31-1");
        putBe32(bytes, 33, 0xFFFF_FFFFL);
        assertInvalid(bytes, PNG, "length 4294967295 exceeds 2^31-1");
        putBe32(bytes, 33, 0x7FFF_FFFFL);
        assertInvalid(bytes, PNG, "truncated: chunk IDAT at offset 33 needs 2147483659 bytes");
    }

    @Test
    public void refusesChunkTypesThatAreNotLetters() {
        byte[] bytes = small.clone();
        bytes[33 + 6] = '1';
        assertInvalid(bytes, PNG, "chunk at offset 33: type bytes 49 44 31 54 are not four ASCII letters");
    }

    @Test
    public void refusesATruncatedChunk() {
        assertInvalid(slice(small, 0, 500), PNG, "truncated: chunk IDAT at offset 33 needs ");
        assertInvalid(slice(small, 0, 36), PNG, "truncated: chunk header at offset 33 needs 8 bytes, 3 remain");
    }

    @Test
    public void refusesIhdrNotFirst() {
        List<Chunk> chunks = chunks(small);
        chunks.add(0, new Chunk("gAMA", 0, 0, 0xB1, 0x8F));
        assertInvalid(png(chunks), PNG, "first chunk is gAMA at offset 8, expected IHDR");
    }

    @Test
    public void refusesIhdrOfWrongLength() {
        List<Chunk> chunks = chunks(small);
        chunks.set(0, new Chunk("IHDR", slice(chunks.get(0).data(), 0, 12)));
        assertInvalid(png(chunks), PNG, "chunk IHDR at offset 8: length 12, IHDR must be 13 bytes");
        chunks.set(0, new Chunk("IHDR", concat(chunks(small).get(0).data(), new byte[1])));
        assertInvalid(png(chunks), PNG, "length 14, IHDR must be 13 bytes");
    }

    @Test
    public void refusesZeroAndHugeDimensions() {
        assertInvalid(withHeader(0, 0L), PNG, "chunk IHDR at offset 8: width 0, must be 1..2^31-1");
        assertInvalid(withHeader(4, 0L), PNG, "height 0, must be 1..2^31-1");
        assertInvalid(withHeader(0, 0x8000_0000L), PNG, "width 2147483648, must be 1..2^31-1");
        assertInvalid(withHeader(4, 0xFFFF_FFFFL), PNG, "height 4294967295, must be 1..2^31-1");
        assertValid(withHeader(0, 0x7FFF_FFFFL), PNG, Integer.MAX_VALUE, 48);
    }

    @Test
    public void refusesBadBitDepthAndColourTypeCombinations() {
        int[][] wrong = {{0, 3}, {0, 32}, {2, 1}, {2, 4}, {3, 16}, {4, 2}, {6, 4}, {6, 0}};
        for (int[] pair : wrong) {
            assertInvalid(withHeaderByte(8, pair[1], 9, pair[0]), PNG,
                    "bit depth " + pair[1] + " is not allowed for colour type " + pair[0]);
        }
        for (int colourType : new int[] {1, 5, 7, 255}) {
            assertInvalid(withHeaderByte(9, colourType, 9, colourType), PNG,
                    "colour type " + colourType + " is not one of 0, 2, 3, 4, 6");
        }
    }

    @Test
    public void refusesUnknownCompressionFilterAndInterlaceMethods() {
        assertInvalid(withHeaderByte(10, 1, 10, 1), PNG, "compression method 1, only 0 (deflate) exists");
        assertInvalid(withHeaderByte(11, 1, 11, 1), PNG, "filter method 1, only 0 (adaptive) exists");
        assertInvalid(withHeaderByte(12, 2, 12, 2), PNG, "interlace method 2, only 0 (none) and 1 (Adam7) exist");
    }

    @Test
    public void refusesASecondIhdr() {
        List<Chunk> chunks = chunks(small);
        chunks.add(1, chunks.get(0));
        assertInvalid(png(chunks), PNG, "second IHDR: chunk IHDR at offset 33");
    }

    @Test
    public void paletteIsRequiredForColourType3AndOnlyAllowedWhereItMakesSense() {
        List<Chunk> palette = chunks(encode(indexed(6, 6, 8), "png"));
        List<Chunk> without = new ArrayList<>(palette);
        without.remove(indexOf(without, "PLTE"));
        assertInvalid(png(without), PNG, "colour type 3 needs a PLTE before the first IDAT");

        List<Chunk> after = chunks(small);
        after.add(indexOf(after, "IDAT") + 1, new Chunk("PLTE", 0, 0, 0));
        assertInvalid(png(after), PNG, "chunk PLTE at offset " + (small.length - 12) + ": PLTE must come before the first IDAT");

        List<Chunk> twice = new ArrayList<>(palette);
        twice.add(indexOf(twice, "PLTE"), palette.get(indexOf(palette, "PLTE")));
        assertInvalid(png(twice), PNG, "second PLTE");

        List<Chunk> odd = new ArrayList<>(palette);
        odd.set(indexOf(odd, "PLTE"), new Chunk("PLTE", 1, 2, 3, 4));
        assertInvalid(png(odd), PNG, "length 4, PLTE must hold 1..256 RGB entries of 3 bytes");
        odd.set(indexOf(odd, "PLTE"), new Chunk("PLTE", new byte[0]));
        assertInvalid(png(odd), PNG, "length 0, PLTE must hold");
        odd.set(indexOf(odd, "PLTE"), new Chunk("PLTE", new byte[3 * 257]));
        assertInvalid(png(odd), PNG, "length 771, PLTE must hold");

        List<Chunk> depth1 = withHeaderChunks(chunks(encode(indexed(6, 6, 8), "png")), 8, 1);
        depth1.set(indexOf(depth1, "PLTE"), new Chunk("PLTE", new byte[9]));
        assertInvalid(png(depth1), PNG, "3 palette entries, bit depth 1 indexes at most 2");
        List<Chunk> depth2 = withHeaderChunks(chunks(encode(indexed(6, 6, 8), "png")), 8, 2);
        depth2.set(indexOf(depth2, "PLTE"), new Chunk("PLTE", new byte[15]));
        assertInvalid(png(depth2), PNG, "5 palette entries, bit depth 2 indexes at most 4");

        List<Chunk> grey = chunks(encode(picture(6, 6, BufferedImage.TYPE_BYTE_GRAY), "png"));
        grey.add(1, new Chunk("PLTE", 0, 0, 0));
        assertInvalid(png(grey), PNG, "PLTE is not allowed for colour type 0 (greyscale)");

        // A suggested palette for a true-colour image is allowed.
        List<Chunk> rgb = chunks(small);
        rgb.add(1, new Chunk("PLTE", 0, 0, 0, 255, 255, 255));
        assertValid(png(rgb), PNG, 64, 48);
    }

    @Test
    public void refusesMissingAndNonConsecutiveIdat() {
        List<Chunk> chunks = chunks(small);
        int idat = indexOf(chunks, "IDAT");
        List<Chunk> none = new ArrayList<>(chunks);
        none.remove(idat);
        assertInvalid(png(none), PNG, "no IDAT chunk before IEND");

        byte[] data = chunks.get(idat).data();
        List<Chunk> split = new ArrayList<>(chunks);
        split.set(idat, new Chunk("IDAT", slice(data, 0, 100)));
        split.add(idat + 1, new Chunk("tEXt", 'a', 0, 'b'));
        split.add(idat + 2, new Chunk("IDAT", slice(data, 100, data.length)));
        assertInvalid(png(split), PNG, "IDAT chunks must be consecutive");
    }

    @Test
    public void refusesABadZlibHeader() {
        List<Chunk> chunks = chunks(small);
        int idat = indexOf(chunks, "IDAT");
        byte[] data = chunks.get(idat).data();
        byte[] method = data.clone();
        method[0] = 0x79;
        chunks.set(idat, new Chunk("IDAT", method));
        assertInvalid(png(chunks), PNG, "zlib stream in IDAT at offset 33: header byte 79 does not declare deflate");
        byte[] window = data.clone();
        window[0] = (byte) 0x88;
        chunks.set(idat, new Chunk("IDAT", window));
        assertInvalid(png(chunks), PNG, "header byte 88 does not declare deflate");
        byte[] check = data.clone();
        check[1] ^= 0x01;
        chunks.set(idat, new Chunk("IDAT", check));
        assertInvalid(png(chunks), PNG, "header check bits wrong");
        byte[] dictionary = data.clone();
        dictionary[0] = 0x78;
        dictionary[1] = 0x20;
        chunks.set(idat, new Chunk("IDAT", dictionary));
        assertInvalid(png(chunks), PNG, "preset dictionary, which PNG does not allow");
        chunks.set(idat, new Chunk("IDAT", 0x78));
        assertInvalid(png(chunks), PNG, "IDAT data holds 1 bytes, a zlib header needs 2");
    }

    @Test
    public void refusesABadOrMissingIend() {
        List<Chunk> chunks = chunks(small);
        chunks.set(chunks.size() - 1, new Chunk("IEND", 0));
        assertInvalid(png(chunks), PNG, "length 1, IEND must be empty");
        chunks.remove(chunks.size() - 1);
        assertInvalid(png(chunks), PNG, "truncated: data ends at offset " + (small.length - 12) + " without an IEND chunk");
    }

    @Test
    public void refusesTrailingBytesAfterIend() {
        assertInvalid(concat(small, new byte[] {0}), PNG, "1 trailing bytes after IEND, from offset " + small.length);
        assertInvalid(concat(small, small), PNG, small.length + " trailing bytes after IEND");
    }

    @Test
    public void refusesUnknownCriticalChunks() {
        List<Chunk> chunks = chunks(small);
        chunks.add(1, new Chunk("ABCD", 1));
        assertInvalid(png(chunks), PNG, "unknown critical chunk ABCD at offset 33");
    }

    private static int indexOf(List<Chunk> chunks, String type) {
        for (int i = 0; i < chunks.size(); i++) {
            if (chunks.get(i).type().equals(type)) {
                return i;
            }
        }
        return -1;
    }

    /** The sample with a 4-byte IHDR field replaced and all CRCs correct. */
    private byte[] withHeader(int fieldOffset, long value) {
        List<Chunk> chunks = chunks(small);
        byte[] header = chunks.get(0).data().clone();
        putBe32(header, fieldOffset, value);
        chunks.set(0, new Chunk("IHDR", header));
        return png(chunks);
    }

    private byte[] withHeaderByte(int fieldOffset, int value, int otherOffset, int otherValue) {
        List<Chunk> chunks = chunks(small);
        byte[] header = chunks.get(0).data().clone();
        header[fieldOffset] = (byte) value;
        header[otherOffset] = (byte) otherValue;
        chunks.set(0, new Chunk("IHDR", header));
        return png(chunks);
    }

    private static List<Chunk> withHeaderChunks(List<Chunk> chunks, int fieldOffset, int value) {
        byte[] header = chunks.get(0).data().clone();
        header[fieldOffset] = (byte) value;
        chunks.set(0, new Chunk("IHDR", header));
        return chunks;
    }
}
