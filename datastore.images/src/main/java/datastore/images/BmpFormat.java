package datastore.images;

import java.math.BigInteger;

import datastore.image.ImageHeader;
import datastore.image.ImageType;

/**
 * Validation of Windows BMP structure: the "BM" file header, a DIB header of a known size
 * (12, 40, 52, 56, 108 or 124 bytes), one plane, a bit depth and compression that go together, the
 * colour table and pixel data inside the file, and for uncompressed images a pixel array (rows
 * padded to 4 bytes) that fits; RLE data is walked to its end-of-bitmap code. The file-size field
 * must equal the number of bytes given: a larger field means the data was cut short, a smaller one
 * means trailing bytes that no decoder reads, and both are refused.
 */
final class BmpFormat {
    private static final int FILE_HEADER = 14;
    private static final int BI_RGB = 0;
    private static final int BI_RLE8 = 1;
    private static final int BI_RLE4 = 2;
    private static final int BI_BITFIELDS = 3;
    private static final int BI_JPEG = 4;
    private static final int BI_PNG = 5;
    private static final int BI_ALPHABITFIELDS = 6;

    private BmpFormat() {
    }

    static ImageHeader inspect(ImageBytes in) {
        if (in.has(0, 1) && in.u8(0) != 'B' || in.has(1, 1) && in.u8(1) != 'M') {
            throw in.invalid("bad signature: expected 42 4D (\"BM\"), found " + in.hex(0, 2));
        }
        in.require(0, FILE_HEADER, "file header");
        long fileSize = in.u32le(2);
        if (fileSize != in.length()) {
            throw in.invalid("BMP header says file size " + fileSize + ", data has " + in.length() + " bytes");
        }
        long pixelOffset = in.u32le(10);

        in.require(FILE_HEADER, 4, "DIB header size");
        long dibSize = in.u32le(FILE_HEADER);
        if (dibSize != 12 && dibSize != 40 && dibSize != 52 && dibSize != 56 && dibSize != 108 && dibSize != 124) {
            throw in.invalid("DIB header at offset 14: size " + dibSize + " is not one of 12, 40, 52, 56, 108, 124");
        }
        in.require(FILE_HEADER, dibSize, "DIB header");
        boolean core = dibSize == 12;
        int width;
        int height;
        int planes;
        int bpp;
        long compression;
        long coloursUsed;
        if (core) {
            // BITMAPCOREHEADER: unsigned 16-bit dimensions, no compression, 3-byte colour entries.
            width = in.u16le(18);
            height = in.u16le(20);
            planes = in.u16le(22);
            bpp = in.u16le(24);
            compression = BI_RGB;
            coloursUsed = 0;
        } else {
            width = in.s32le(18);
            height = in.s32le(22);
            planes = in.u16le(26);
            bpp = in.u16le(28);
            compression = in.u32le(30);
            coloursUsed = in.u32le(46);
        }
        String header = "DIB header (" + dibSize + " bytes)";
        if (planes != 1) {
            throw in.invalid(header + ": planes " + planes + ", must be 1");
        }
        if (core ? bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24
                : bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
            throw in.invalid(header + ": bits per pixel " + bpp + " is not one of "
                    + (core ? "1, 4, 8, 24" : "1, 4, 8, 16, 24, 32"));
        }
        checkCompression(in, header, compression, bpp);
        if (width <= 0) {
            throw in.invalid(header + ": width " + width + ", must be positive");
        }
        if (height == 0) {
            throw in.invalid(header + ": height 0");
        }
        if (height == Integer.MIN_VALUE) {
            throw in.invalid(header + ": height " + height + " has no positive counterpart");
        }
        boolean rle = compression == BI_RLE8 || compression == BI_RLE4;
        if (rle && height < 0) {
            throw in.invalid(header + ": height " + height + " (top-down) is not allowed for RLE compression");
        }
        int rows = Math.abs(height);

        // With the 40-byte header the channel masks follow it; later headers hold them inside.
        long masks = dibSize != 40 ? 0 : compression == BI_BITFIELDS ? 12 : compression == BI_ALPHABITFIELDS ? 16 : 0;
        long entries = coloursUsed;
        if (bpp <= 8) {
            long max = 1L << bpp;
            if (coloursUsed > max) {
                throw in.invalid(header + ": " + coloursUsed + " colours used, " + bpp + " bits per pixel index at most " + max);
            }
            entries = coloursUsed == 0 ? max : coloursUsed;
        }
        long tableEnd = FILE_HEADER + dibSize + masks + entries * (core ? 3 : 4);
        if (pixelOffset < tableEnd) {
            String parts = masks > 0 && entries > 0 ? "the headers, bit masks and the colour table of " + entries + " entries"
                    : masks > 0 ? "the headers and bit masks"
                    : entries > 0 ? "the headers and the colour table of " + entries + " entries"
                    : "the headers";
            throw in.invalid("pixel data offset " + pixelOffset + " lies inside " + parts + ", which end at offset " + tableEnd);
        }
        if (pixelOffset >= in.length()) {
            throw in.invalid("pixel data offset " + pixelOffset + " is not inside the file of " + in.length() + " bytes");
        }
        if (rle) {
            checkRunLengths(in, pixelOffset, rows, compression == BI_RLE4);
        } else {
            long stride = ((long) width * bpp + 31) / 32 * 4;
            long available = in.length() - pixelOffset;
            if (stride > available / rows) {
                throw in.invalid("pixel array of " + rows + " rows of " + stride + " bytes needs "
                        + BigInteger.valueOf(stride).multiply(BigInteger.valueOf(rows)) + " bytes from offset "
                        + pixelOffset + ", " + available + " remain");
            }
        }
        return new ImageHeader(ImageType.BMP, width, rows);
    }

    private static void checkCompression(ImageBytes in, String header, long compression, int bpp) {
        String name;
        boolean fits;
        if (compression == BI_RGB) {
            return;
        } else if (compression == BI_RLE8) {
            name = "1 (BI_RLE8)";
            fits = bpp == 8;
        } else if (compression == BI_RLE4) {
            name = "2 (BI_RLE4)";
            fits = bpp == 4;
        } else if (compression == BI_BITFIELDS) {
            name = "3 (BI_BITFIELDS)";
            fits = bpp == 16 || bpp == 32;
        } else if (compression == BI_ALPHABITFIELDS) {
            name = "6 (BI_ALPHABITFIELDS)";
            fits = bpp == 16 || bpp == 32;
        } else if (compression == BI_JPEG || compression == BI_PNG) {
            throw in.invalid(header + ": compression " + compression + (compression == BI_JPEG ? " (BI_JPEG)" : " (BI_PNG)")
                    + ", an embedded JPEG or PNG, is not supported");
        } else {
            throw in.invalid(header + ": compression " + compression + " is not a known method");
        }
        if (!fits) {
            throw in.invalid(header + ": compression " + name + " is not allowed with " + bpp + " bits per pixel");
        }
    }

    /**
     * Walks RLE8 or RLE4 codes from {@code offset} to the end-of-bitmap code, checking that every
     * code and absolute run lies inside the data and that the codes do not move past the last row.
     */
    private static void checkRunLengths(ImageBytes in, long offset, int rows, boolean nibbles) {
        long at = offset;
        long row = 0;
        while (true) {
            if (!in.has(at, 2)) {
                throw in.invalid("truncated: RLE data from offset " + offset + " ends at offset " + in.length()
                        + " without an end-of-bitmap code");
            }
            int count = in.u8(at);
            int code = in.u8(at + 1);
            long codeAt = at;
            at += 2;
            if (count > 0) {
                continue;
            }
            switch (code) {
                case 0 -> row++;
                case 1 -> {
                    return;
                }
                case 2 -> {
                    if (!in.has(at, 2)) {
                        throw in.invalid("truncated: RLE delta code at offset " + codeAt + " needs 2 bytes after it, "
                                + in.remaining(at) + " remain");
                    }
                    row += in.u8(at + 1);
                    at += 2;
                }
                default -> {
                    long bytes = nibbles ? (code + 1) / 2 : code;
                    long padded = bytes + (bytes & 1);
                    if (!in.has(at, padded)) {
                        throw in.invalid("truncated: RLE absolute run of " + code + " pixels at offset " + codeAt
                                + " needs " + padded + " bytes after its code, " + in.remaining(at) + " remain");
                    }
                    at += padded;
                }
            }
            if (row > rows) {
                throw in.invalid("RLE code at offset " + codeAt + " moves past the last of " + rows + " rows");
            }
        }
    }
}
