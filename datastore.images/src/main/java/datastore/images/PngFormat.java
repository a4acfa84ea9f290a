package datastore.images;

import datastore.image.ImageHeader;
import datastore.image.ImageType;

/**
 * Validation of PNG (ISO/IEC 15948) structure: the signature, then every chunk's length, type and
 * CRC, IHDR first with valid fields, PLTE where the colour type needs or allows it, consecutive
 * IDAT chunks opening a valid zlib stream, and IEND last with nothing after it. Trailing bytes
 * after IEND are refused: the store keeps exactly the bytes it is given, and bytes no decoder reads
 * are more likely damage or smuggled data than part of the image. The compressed pixel data itself
 * is not inflated; the CRCs already catch damage to it.
 */
final class PngFormat {
    private static final int[] SIGNATURE = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A};
    private static final long MAX_LENGTH = 0x7FFF_FFFFL;

    private PngFormat() {
    }

    static ImageHeader inspect(ImageBytes in) {
        checkSignature(in);
        Walk walk = new Walk(in);
        long offset = SIGNATURE.length;
        while (offset < in.length()) {
            long next = walk.chunk(offset);
            if (walk.ended) {
                if (next != in.length()) {
                    throw in.invalid(in.remaining(next) + " trailing bytes after IEND, from offset " + next);
                }
                return new ImageHeader(ImageType.PNG, walk.width, walk.height);
            }
            offset = next;
        }
        if (!walk.seenHeader) {
            throw in.invalid("truncated: no chunk after the signature");
        }
        throw in.invalid("truncated: data ends at offset " + in.length() + " without an IEND chunk");
    }

    private static void checkSignature(ImageBytes in) {
        // Compare what there is before complaining about length: short data of another format
        // is better described by its wrong signature than by its size.
        for (int i = 0; i < SIGNATURE.length && in.has(i, 1); i++) {
            if (in.u8(i) != SIGNATURE[i]) {
                throw in.invalid("bad signature: expected 89 50 4E 47 0D 0A 1A 0A, found " + in.hex(0, SIGNATURE.length));
            }
        }
        in.require(0, SIGNATURE.length, "signature");
    }

    /** State of one pass over the chunks, in the order the spec requires. */
    private static final class Walk {
        private final ImageBytes in;
        boolean seenHeader;
        boolean seenPalette;
        boolean ended;
        int width;
        int height;
        int bitDepth;
        int colourType;
        /** 0 before any IDAT, 1 inside the run of IDAT chunks, 2 after it. */
        int idatState;
        /** The first two bytes of the zlib stream (CMF, FLG), gathered across IDAT chunks. */
        final int[] zlibHeader = new int[2];
        int zlibHeaderBytes;
        long firstIdatOffset = -1;

        Walk(ImageBytes in) {
            this.in = in;
        }

        /** Checks the chunk at {@code offset} and answers the offset of the next. */
        long chunk(long offset) {
            in.require(offset, 8, "chunk header");
            long length = in.u32be(offset);
            if (length > MAX_LENGTH) {
                throw in.invalid("chunk at offset " + offset + ": length " + length + " exceeds 2^31-1");
            }
            String name = chunkType(offset + 4);
            String where = "chunk " + name + " at offset " + offset;
            in.require(offset, 12 + length, "chunk " + name);
            long data = offset + 8;
            long stored = in.u32be(data + length);
            long computed = in.crc32(offset + 4, 4 + length);
            if (stored != computed) {
                throw in.invalid(where + ": CRC mismatch (stored " + String.format("%08X", stored)
                        + ", computed " + String.format("%08X", computed) + ")");
            }
            if (!seenHeader && !name.equals("IHDR")) {
                throw in.invalid("first chunk is " + name + " at offset " + offset + ", expected IHDR");
            }
            if (idatState == 1 && !name.equals("IDAT")) {
                idatState = 2;
            }
            switch (name) {
                case "IHDR" -> header(where, data, length);
                case "PLTE" -> palette(where, length);
                case "IDAT" -> imageData(where, data, length, offset);
                case "IEND" -> end(where, length);
                default -> {
                    // Bit 5 of the first type byte clear marks a critical chunk: a decoder that does
                    // not know it must refuse the image, so the store refuses it too.
                    if ((in.u8(offset + 4) & 0x20) == 0) {
                        throw in.invalid("unknown critical " + where);
                    }
                }
            }
            return offset + 12 + length;
        }

        private String chunkType(long at) {
            StringBuilder name = new StringBuilder(4);
            for (int i = 0; i < 4; i++) {
                int c = in.u8(at + i);
                if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
                    throw in.invalid("chunk at offset " + (at - 4) + ": type bytes " + in.hex(at, 4)
                            + " are not four ASCII letters");
                }
                name.append((char) c);
            }
            return name.toString();
        }

        private void header(String where, long data, long length) {
            if (seenHeader) {
                throw in.invalid("second IHDR: " + where);
            }
            seenHeader = true;
            if (length != 13) {
                throw in.invalid(where + ": length " + length + ", IHDR must be 13 bytes");
            }
            width = dimension(where, "width", in.u32be(data));
            height = dimension(where, "height", in.u32be(data + 4));
            bitDepth = in.u8(data + 8);
            colourType = in.u8(data + 9);
            String depths = switch (colourType) {
                case 0 -> "1, 2, 4, 8, 16";
                case 2, 4, 6 -> "8, 16";
                case 3 -> "1, 2, 4, 8";
                default -> throw in.invalid(where + ": colour type " + colourType + " is not one of 0, 2, 3, 4, 6");
            };
            if (!(", " + depths + ",").contains(", " + bitDepth + ",")) {
                throw in.invalid(where + ": bit depth " + bitDepth + " is not allowed for colour type " + colourType
                        + " (allowed: " + depths + ")");
            }
            int compression = in.u8(data + 10);
            if (compression != 0) {
                throw in.invalid(where + ": compression method " + compression + ", only 0 (deflate) exists");
            }
            int filter = in.u8(data + 11);
            if (filter != 0) {
                throw in.invalid(where + ": filter method " + filter + ", only 0 (adaptive) exists");
            }
            int interlace = in.u8(data + 12);
            if (interlace > 1) {
                throw in.invalid(where + ": interlace method " + interlace + ", only 0 (none) and 1 (Adam7) exist");
            }
        }

        private int dimension(String where, String what, long value) {
            if (value < 1 || value > MAX_LENGTH) {
                throw in.invalid(where + ": " + what + " " + value + ", must be 1..2^31-1");
            }
            return (int) value;
        }

        private void palette(String where, long length) {
            if (seenPalette) {
                throw in.invalid("second PLTE: " + where);
            }
            seenPalette = true;
            if (idatState != 0) {
                throw in.invalid(where + ": PLTE must come before the first IDAT");
            }
            if (colourType == 0 || colourType == 4) {
                throw in.invalid(where + ": PLTE is not allowed for colour type " + colourType + " (greyscale)");
            }
            if (length == 0 || length % 3 != 0 || length > 3 * 256) {
                throw in.invalid(where + ": length " + length + ", PLTE must hold 1..256 RGB entries of 3 bytes");
            }
            if (colourType == 3 && length / 3 > 1 << bitDepth) {
                throw in.invalid(where + ": " + length / 3 + " palette entries, bit depth " + bitDepth
                        + " indexes at most " + (1 << bitDepth));
            }
        }

        private void imageData(String where, long data, long length, long offset) {
            if (idatState == 2) {
                throw in.invalid(where + ": IDAT chunks must be consecutive");
            }
            if (colourType == 3 && !seenPalette) {
                throw in.invalid(where + ": colour type 3 needs a PLTE before the first IDAT");
            }
            if (idatState == 0) {
                firstIdatOffset = offset;
            }
            idatState = 1;
            for (long i = 0; i < length && zlibHeaderBytes < 2; i++) {
                zlibHeader[zlibHeaderBytes++] = in.u8(data + i);
            }
        }

        private void end(String where, long length) {
            if (length != 0) {
                throw in.invalid(where + ": length " + length + ", IEND must be empty");
            }
            if (idatState == 0) {
                throw in.invalid(where + ": no IDAT chunk before IEND");
            }
            String first = "zlib stream in IDAT at offset " + firstIdatOffset;
            if (zlibHeaderBytes < 2) {
                throw in.invalid(first + ": IDAT data holds " + zlibHeaderBytes + " bytes, a zlib header needs 2");
            }
            int cmf = zlibHeader[0];
            int flg = zlibHeader[1];
            if ((cmf & 0x0F) != 8 || cmf >> 4 > 7) {
                throw in.invalid(first + ": header byte " + String.format("%02X", cmf)
                        + " does not declare deflate with a window of at most 32 KiB");
            }
            if ((cmf << 8 | flg) % 31 != 0) {
                throw in.invalid(first + ": header check bits wrong (" + String.format("%02X %02X", cmf, flg) + ")");
            }
            if ((flg & 0x20) != 0) {
                throw in.invalid(first + ": preset dictionary, which PNG does not allow");
            }
            ended = true;
        }
    }
}
