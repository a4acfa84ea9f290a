package datastore.images;

import datastore.image.ImageHeader;
import datastore.image.ImageType;

/**
 * Validation of JPEG (ITU T.81) interchange structure: SOI, then every marker segment's length
 * (with 0xFF fill bytes and the standalone RSTn and TEM markers allowed between segments), exactly
 * one frame header (SOFn) with a valid precision, size and component list, at least one scan whose
 * header names the frame's components, the entropy-coded data of each scan (stuffed FF 00 and RSTn
 * skipped) and finally EOI with nothing after it. A height of 0, to be given later by a DNL segment,
 * is refused because the height must be known from the header; hierarchical JPEG (several frames)
 * is refused too. The tables and the entropy-coded data are not decoded.
 */
final class JpegFormat {
    private static final int TEM = 0x01;
    private static final int SOF0 = 0xC0;
    private static final int DHT = 0xC4;
    private static final int JPG = 0xC8;
    private static final int DAC = 0xCC;
    private static final int RST0 = 0xD0;
    private static final int RST7 = 0xD7;
    private static final int SOI = 0xD8;
    private static final int EOI = 0xD9;
    private static final int SOS = 0xDA;

    private JpegFormat() {
    }

    static ImageHeader inspect(ImageBytes in) {
        if (in.has(0, 1) && in.u8(0) != 0xFF || in.has(1, 1) && in.u8(1) != SOI) {
            throw in.invalid("bad signature: expected FF D8 (SOI), found " + in.hex(0, 2));
        }
        in.require(0, 2, "SOI marker");
        Frame frame = null;
        boolean scanned = false;
        long at = 2;
        while (true) {
            if (!in.has(at, 1)) {
                throw in.invalid("truncated: data ends at offset " + in.length() + " without EOI");
            }
            if (in.u8(at) != 0xFF) {
                throw in.invalid("expected a marker at offset " + at + ", found byte " + in.hex(at, 1));
            }
            // Any number of 0xFF fill bytes may precede a marker.
            while (in.has(at + 1, 1) && in.u8(at + 1) == 0xFF) {
                at++;
            }
            if (!in.has(at + 1, 1)) {
                throw in.invalid("truncated: data ends at offset " + in.length() + " inside a marker, without EOI");
            }
            long markerAt = at;
            int marker = in.u8(at + 1);
            String name = name(marker);
            at += 2;
            if (marker == 0x00) {
                throw in.invalid("stuffed byte FF 00 at offset " + markerAt + " outside entropy-coded data");
            } else if (marker == SOI) {
                throw in.invalid("second SOI at offset " + markerAt);
            } else if (marker == EOI) {
                if (!scanned) {
                    throw in.invalid("EOI at offset " + markerAt + " before any scan (SOS)");
                }
                if (at != in.length()) {
                    throw in.invalid(in.remaining(at) + " trailing bytes after EOI, from offset " + at);
                }
                return new ImageHeader(ImageType.JPEG, frame.width, frame.height);
            } else if (marker == TEM || marker >= RST0 && marker <= RST7) {
                continue;
            } else if (marker < SOF0) {
                throw in.invalid("reserved marker FF " + in.hex(markerAt + 1, 1) + " at offset " + markerAt);
            }

            String where = name + " segment at offset " + markerAt;
            in.require(at, 2, name + " segment length");
            int length = in.u16be(at);
            if (length < 2) {
                throw in.invalid(where + ": length " + length + ", must be at least 2");
            }
            if (!in.has(at, length)) {
                throw in.invalid("truncated: " + where + " declares " + length + " bytes from offset " + at + ", "
                        + in.remaining(at) + " remain");
            }
            long body = at + 2;
            at += length;
            if (isFrameHeader(marker)) {
                if (frame != null) {
                    throw in.invalid("second frame header " + where + " (hierarchical JPEG is not supported)");
                }
                frame = frame(in, marker, where, body, length);
            } else if (marker == SOS) {
                if (frame == null) {
                    throw in.invalid(where + ": scan before any frame header (SOFn)");
                }
                scan(in, frame, where, body, length);
                at = entropyCodedData(in, at);
                scanned = true;
            }
        }
    }

    private static boolean isFrameHeader(int marker) {
        return marker >= SOF0 && marker <= 0xCF && marker != DHT && marker != JPG && marker != DAC;
    }

    private static Frame frame(ImageBytes in, int marker, String where, long body, int length) {
        if (length < 8) {
            throw in.invalid(where + ": length " + length + ", a frame header needs at least 8");
        }
        int precision = in.u8(body);
        int height = in.u16be(body + 1);
        int width = in.u16be(body + 3);
        int components = in.u8(body + 5);
        int process = marker & 0x03;
        if (marker == SOF0 && precision != 8) {
            throw in.invalid(where + ": sample precision " + precision + ", baseline JPEG needs 8");
        } else if (process == 3 && (precision < 2 || precision > 16)) {
            throw in.invalid(where + ": sample precision " + precision + ", lossless JPEG needs 2..16");
        } else if (process != 3 && precision != 8 && precision != 12) {
            throw in.invalid(where + ": sample precision " + precision + ", DCT-based JPEG needs 8 or 12");
        }
        if (height == 0) {
            throw in.invalid(where + ": height 0 (to be defined by a later DNL segment) is not supported");
        }
        if (width == 0) {
            throw in.invalid(where + ": width 0, must be positive");
        }
        if (components == 0 || process == 2 && components > 4) {
            throw in.invalid(where + ": " + components + " components, must be 1.."
                    + (process == 2 ? "4 for progressive JPEG" : "255"));
        }
        if (length != 8 + 3 * components) {
            throw in.invalid(where + ": length " + length + ", a frame header with " + components
                    + " components needs " + (8 + 3 * components));
        }
        boolean[] ids = new boolean[256];
        for (int i = 0; i < components; i++) {
            long c = body + 6 + 3L * i;
            int id = in.u8(c);
            int sampling = in.u8(c + 1);
            int table = in.u8(c + 2);
            if (ids[id]) {
                throw in.invalid(where + ": component id " + id + " appears twice");
            }
            ids[id] = true;
            int h = sampling >> 4;
            int v = sampling & 0x0F;
            if (h < 1 || h > 4 || v < 1 || v > 4) {
                throw in.invalid(where + ": component " + id + " has sampling factors " + h + "x" + v + ", each must be 1..4");
            }
            if (table > 3) {
                throw in.invalid(where + ": component " + id + " names quantization table " + table + ", must be 0..3");
            }
        }
        return new Frame(width, height, ids);
    }

    private static void scan(ImageBytes in, Frame frame, String where, long body, int length) {
        if (length < 3) {
            throw in.invalid(where + ": length " + length + ", a scan header needs at least 3");
        }
        int components = in.u8(body);
        if (components < 1 || components > 4) {
            throw in.invalid(where + ": " + components + " components in a scan, must be 1..4");
        }
        if (length != 6 + 2 * components) {
            throw in.invalid(where + ": length " + length + ", a scan header with " + components
                    + " components needs " + (6 + 2 * components));
        }
        for (int i = 0; i < components; i++) {
            long c = body + 1 + 2L * i;
            int id = in.u8(c);
            int tables = in.u8(c + 1);
            if (!frame.ids[id]) {
                throw in.invalid(where + ": component " + id + " is not in the frame header");
            }
            if (tables >> 4 > 3 || (tables & 0x0F) > 3) {
                throw in.invalid(where + ": component " + id + " names entropy tables " + (tables >> 4) + "/"
                        + (tables & 0x0F) + ", each must be 0..3");
            }
        }
    }

    /**
     * Skips the entropy-coded data that follows a scan header and answers the offset of the
     * marker that ends it. Inside it 0xFF is followed by 00 (a stuffed byte), by RSTn, by further
     * fill bytes, or by the marker that ends the scan.
     */
    private static long entropyCodedData(ImageBytes in, long from) {
        long at = from;
        while (true) {
            at = in.indexOfFF(at);
            if (!in.has(at, 2)) {
                throw in.invalid("truncated: entropy-coded data from offset " + from + " ends at offset "
                        + in.length() + " without EOI");
            }
            int next = in.u8(at + 1);
            if (next == 0x00 || next >= RST0 && next <= RST7) {
                at += 2;
            } else if (next == 0xFF) {
                at++;
            } else {
                return at;
            }
        }
    }

    private static String name(int marker) {
        if (marker == DHT) {
            return "DHT";
        } else if (marker == JPG) {
            return "JPG";
        } else if (marker == DAC) {
            return "DAC";
        } else if (marker >= SOF0 && marker <= 0xCF) {
            return "SOF" + (marker - SOF0);
        } else if (marker >= RST0 && marker <= RST7) {
            return "RST" + (marker - RST0);
        } else if (marker >= 0xE0 && marker <= 0xEF) {
            return "APP" + (marker - 0xE0);
        } else if (marker >= 0xF0 && marker <= 0xFD) {
            return "JPG" + (marker - 0xF0);
        }
        return switch (marker) {
            case SOI -> "SOI";
            case EOI -> "EOI";
            case SOS -> "SOS";
            case 0xDB -> "DQT";
            case 0xDC -> "DNL";
            case 0xDD -> "DRI";
            case 0xDE -> "DHP";
            case 0xDF -> "EXP";
            case 0xFE -> "COM";
            case TEM -> "TEM";
            default -> String.format("marker FF %02X", marker);
        };
    }

    /** What the frame header says, as far as later checks need it. */
    private record Frame(int width, int height, boolean[] ids) {
    }
}
