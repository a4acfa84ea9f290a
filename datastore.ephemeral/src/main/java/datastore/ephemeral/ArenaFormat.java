package datastore.ephemeral;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

import datastore.Namespace;

/**
 * The arena's layout: header and record offsets, and the record-level reads and writes every part of
 * the engine shares. FORMAT.md describes the format these constants spell.
 */
final class ArenaFormat {

    /** The largest arena file: what one {@link MappedByteBuffer} can map, rounded down to 64 KiB. */
    static final long MAX_ARENA_BYTES = Integer.MAX_VALUE & ~0xFFFFL;

    static final int HEADER_SIZE = 4096;
    static final long ARENA_MAGIC = 0x3148504541524144L; // "DARAEPH1" read little-endian
    static final int FORMAT_VERSION = 1;
    static final int H_MAGIC = 0;
    static final int H_VERSION = 8;
    static final int H_LAUNCH = 16; // 32 bytes: SHA-256 of the launch identity
    static final int H_NEXT_REVISION = 48;
    static final int H_COMMITTED_REVISION = 56;
    static final int H_FLOOR_REVISION = 64;
    static final int H_TOP = 72;
    /** The bytes every format version keeps in place: magic, version, launch identity. */
    static final int STABLE_PREFIX = H_LAUNCH + 32;

    static final int RECORD_MAGIC = 0x52504544; // "DEPR"
    static final int FILLER_MAGIC = 0x4C494644; // "DFIL"
    static final int R_MAGIC = 0;
    static final int R_SPAN = 4;
    static final int R_PINS = 8;
    static final int R_FLAGS = 12;
    static final int R_CRC = 16;
    static final int R_KIND = 20;
    static final int R_NAMESPACE = 21;
    static final int R_FORMAT = 22;
    static final int R_NAME_LENGTH = 23;
    static final int R_REVISION = 24;
    static final int R_VALUE_LENGTH = 32;
    static final int RECORD_HEADER = 40;
    /** The checksum covers the record from here to the end of its value. */
    static final int CRC_START = R_KIND;

    static final int KIND_PUT = 1;
    static final int KIND_TOMBSTONE = 2;
    static final int FLAG_DEAD = 1;

    /** The file grows in steps of this many bytes, written with zeros. */
    static final int GROWTH_UNIT = 64 * 1024;
    /** The least garbage the arena tolerates before it compacts instead of growing. */
    static final long MIN_SLACK = 64 * 1024;

    private static final Namespace[] BY_CODE = new Namespace[256];

    static {
        for (Namespace namespace : Namespace.values()) {
            BY_CODE[namespace.code()] = namespace;
        }
    }

    private ArenaFormat() {
    }

    /** The namespace of a record's code byte, or null for a code no namespace has. */
    static Namespace namespace(int code) {
        return BY_CODE[code & 0xFF];
    }

    /** The physical size the arena reaches for a partition of {@code capacity} filled with entries of a few KiB. */
    static long typicalSize(long capacity) {
        return HEADER_SIZE + capacity + Math.max(MIN_SLACK, capacity / 8) + capacity / 64;
    }

    static int recordSpan(int nameLength, int valueLength) {
        return align8(RECORD_HEADER + nameLength + valueLength);
    }

    static int align8(int length) {
        return (length + 7) & ~7;
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    /** Whether a span read at {@code at} is aligned, at least {@code minimum} and ends by {@code top}. */
    static boolean saneSpan(int at, int span, int minimum, long top) {
        return span >= minimum && (span & 7) == 0 && at + (long) span <= top;
    }

    /** Whether the record at {@code at} is whole: consistent lengths, a known kind and namespace, its CRC32C. */
    static boolean validRecord(ByteBuffer map, int at, int span) {
        int kind = map.get(at + R_KIND);
        if (kind != KIND_PUT && kind != KIND_TOMBSTONE || namespace(map.get(at + R_NAMESPACE)) == null) {
            return false;
        }
        int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
        int valueLength = map.getInt(at + R_VALUE_LENGTH);
        if (nameLength == 0 || valueLength < 0 || kind == KIND_TOMBSTONE && valueLength != 0
                || (long) RECORD_HEADER + nameLength + valueLength > span
                || recordSpan(nameLength, valueLength) != span) {
            return false;
        }
        return map.getInt(at + R_CRC) == checksum(map, at, nameLength + valueLength);
    }

    static int checksum(ByteBuffer map, int at, int payloadLength) {
        CRC32C crc = new CRC32C();
        crc.update(map.slice(at + CRC_START, RECORD_HEADER - CRC_START + payloadLength));
        return (int) crc.getValue();
    }

    static String decodeName(ByteBuffer map, int at, int nameLength) {
        byte[] bytes = new byte[nameLength];
        map.get(at + RECORD_HEADER, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Whether the record at {@code at} is of {@code namespace} and named {@code name}: its UTF-8 bytes
     * compared without encoding the name. Bytes that may be stale are fine: out of range means no.
     */
    static boolean holdsName(ByteBuffer map, int at, Namespace namespace, String name) {
        int capacity = map.capacity();
        if (at < 0 || at + RECORD_HEADER > capacity || namespace(map.get(at + R_NAMESPACE)) != namespace) {
            return false;
        }
        int p = at + RECORD_HEADER;
        int end = p + (map.get(at + R_NAME_LENGTH) & 0xFF);
        if (end > capacity) {
            return false;
        }
        for (int i = 0, n = name.length(); i < n; i++) {
            char c = name.charAt(i);
            if (c < 0x80) {
                if (p >= end || map.get(p++) != (byte) c) {
                    return false;
                }
                continue;
            }
            int codePoint = c;
            int length;
            if (c < 0x800) {
                length = 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(name.charAt(i + 1))) {
                codePoint = Character.toCodePoint(c, name.charAt(++i));
                length = 4;
            } else if (Character.isSurrogate(c)) {
                return false; // not a valid name, so never stored
            } else {
                length = 3;
            }
            if (p + length > end) {
                return false;
            }
            int lead = length == 2 ? 0xC0 | codePoint >> 6 : length == 3 ? 0xE0 | codePoint >> 12 : 0xF0 | codePoint >> 18;
            if (map.get(p++) != (byte) lead) {
                return false;
            }
            for (int shift = (length - 2) * 6; shift >= 0; shift -= 6) {
                if (map.get(p++) != (byte) (0x80 | codePoint >> shift & 0x3F)) {
                    return false;
                }
            }
        }
        return p == end;
    }

    /** {@link String#hashCode()} of the name a record holds, decoded from its UTF-8 bytes without a String. */
    static int nameHashCode(ByteBuffer map, int at, int nameLength) {
        int h = 0;
        int p = at + RECORD_HEADER;
        int end = p + nameLength;
        while (p < end) {
            int b = map.get(p++) & 0xFF;
            if (b < 0x80) {
                h = 31 * h + b;
                continue;
            }
            int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            int codePoint = b & (0xFF >> (length + 1));
            for (int k = 1; k < length && p < end; k++) {
                codePoint = codePoint << 6 | map.get(p++) & 0x3F;
            }
            if (codePoint >= 0x10000) {
                h = 31 * h + Character.highSurrogate(codePoint);
                h = 31 * h + Character.lowSurrogate(codePoint);
            } else {
                h = 31 * h + codePoint;
            }
        }
        return h;
    }

    static void markDead(MappedByteBuffer map, int at) {
        map.putInt(at + R_FLAGS, map.getInt(at + R_FLAGS) | FLAG_DEAD);
    }

    static void writeFiller(MappedByteBuffer map, int at, int span) {
        map.putInt(at + R_MAGIC, FILLER_MAGIC);
        map.putInt(at + R_SPAN, span);
    }
}
