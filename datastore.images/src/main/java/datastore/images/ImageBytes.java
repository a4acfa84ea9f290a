package datastore.images;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

import datastore.InvalidImageException;
import datastore.image.ImageType;

/**
 * The bytes of one image under inspection, from the caller's position to its limit, read with
 * absolute, bounds-checked gets. Offsets are relative to that position, so reasons name offsets
 * within the image itself. Every read checks its range in {@code long} arithmetic, so a length field
 * read from hostile data can make a read fail with an {@link InvalidImageException} but never index
 * outside the buffer or overflow.
 */
final class ImageBytes {
    private final ByteBuffer buffer;
    private final int base;
    private final int length;
    private final ImageType type;

    ImageBytes(ByteBuffer data, ImageType type) {
        // A duplicate keeps the caller's position, limit and mark out of reach even of the CRC
        // code, which moves the position of the buffer it is given.
        this.buffer = data.duplicate();
        this.base = data.position();
        this.length = data.remaining();
        this.type = type;
    }

    /** Number of bytes of the image. */
    int length() {
        return length;
    }

    /** Bytes from {@code offset} to the end; 0 past the end. */
    long remaining(long offset) {
        return offset >= length ? 0 : length - offset;
    }

    /** Whether {@code count} bytes from {@code offset} lie within the image. */
    boolean has(long offset, long count) {
        return offset >= 0 && count >= 0 && offset <= length && count <= length - offset;
    }

    /**
     * Fails with "truncated: {@code what} needs {@code count} bytes, N remain" unless
     * {@code count} bytes from {@code offset} lie within the image.
     */
    void require(long offset, long count, String what) {
        if (!has(offset, count)) {
            throw invalid("truncated: " + what + " at offset " + offset + " needs " + count + " bytes, "
                    + remaining(offset) + " remain");
        }
    }

    int u8(long offset) {
        check(offset, 1);
        return buffer.get(base + (int) offset) & 0xFF;
    }

    int u16be(long offset) {
        check(offset, 2);
        return u8(offset) << 8 | u8(offset + 1);
    }

    long u32be(long offset) {
        check(offset, 4);
        return (long) u16be(offset) << 16 | u16be(offset + 2);
    }

    int u16le(long offset) {
        check(offset, 2);
        return u8(offset) | u8(offset + 1) << 8;
    }

    long u32le(long offset) {
        check(offset, 4);
        return u16le(offset) | (long) u16le(offset + 2) << 16;
    }

    int s32le(long offset) {
        return (int) u32le(offset);
    }

    /**
     * Offset of the first 0xFF byte at or after {@code from}, or the length if there is none; one
     * tight loop, because JPEG entropy-coded data is most of a file and is searched only for 0xFF.
     */
    long indexOfFF(long from) {
        for (long i = Math.max(0, from); i < length; i++) {
            if (buffer.get(base + (int) i) == (byte) 0xFF) {
                return i;
            }
        }
        return length;
    }

    /** CRC-32 (ISO-HDLC, as PNG uses it) of {@code count} bytes from {@code offset}. */
    long crc32(long offset, long count) {
        check(offset, count);
        ByteBuffer range = buffer.duplicate();
        range.limit(base + (int) (offset + count)).position(base + (int) offset);
        CRC32 crc = new CRC32();
        crc.update(range);
        return crc.getValue();
    }

    /** Up to {@code count} bytes from {@code offset} as hexadecimal pairs, for reasons. */
    String hex(long offset, int count) {
        StringBuilder text = new StringBuilder();
        for (long i = offset; i < offset + count && has(i, 1); i++) {
            if (text.length() > 0) {
                text.append(' ');
            }
            text.append(String.format("%02X", u8(i)));
        }
        return text.toString();
    }

    /** The exception for the type under inspection, with {@code reason} saying what and where. */
    InvalidImageException invalid(String reason) {
        return new InvalidImageException(null, type, reason);
    }

    // The last line of defence: the format readers check ranges with require() first, so this
    // only fires if one of them forgot, and then still as the documented exception.
    private void check(long offset, long count) {
        if (!has(offset, count)) {
            throw invalid("truncated: " + count + " bytes at offset " + offset + " lie beyond the end of the data ("
                    + length + " bytes)");
        }
    }
}
