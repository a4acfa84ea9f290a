package datastore.rom;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

import datastore.Namespace;

/**
 * The ROM image format, version 1: one self-contained, immutable image of entries (an application
 * image in a slot, or the unique-per-dock section), laid out so that serving an entry needs nothing
 * beyond its index record and every entry is a 16-byte-aligned slice of the mapped flash. All numbers
 * are big-endian; offsets are from the image's first byte. See FORMAT.md in the bundle for the full
 * description.
 *
 * <pre>
 * header, 256 bytes
 *   0   8  magic 89 44 52 4F 4D 0D 0A 1A ("\x89DROM\r\n\x1a": catches text-mode and 7-bit mangling)
 *   8   2  format version, 1
 *  10   1  kind: 1 application image, 2 unique-per-dock (UPD) section
 *  11   1  flags: bit 0 signed; other bits 0
 *  12   4  header length, 256
 *  16   4  entry count
 *  20   4  index offset, 256
 *  24   4  index length in bytes
 *  28   4  data alignment, 16
 *  32   4  image length in bytes, a multiple of 16
 *  36   4  reserved, 0
 *  40   8  payload bytes: UTF-8 names plus values of every entry
 *  48  32  image digest: SHA-256 of header bytes 0-47 followed by the whole index
 *  80  64  Ed25519 signature of the 32 digest bytes when flag bit 0 is set, else zeros
 * 144 108  reserved, 0
 * 252   4  CRC-32C of header bytes 0-251
 * index: entry count records, sorted by namespace code then name, each
 *   0   1  namespace code ({@link Namespace#code()}); readers skip codes they do not know
 *   1   1  format byte (image type code for images, 0 otherwise)
 *   2   2  name length n in UTF-8 bytes, 1-255
 *   4   4  data offset, a multiple of 16, at or after the data start
 *   8   4  data length
 *  12  32  SHA-256 of the data
 *  44   n  name, UTF-8
 * data: from the index end rounded up to 16; each entry's bytes at its offset, zero padding between
 * </pre>
 *
 * <p>Because the index holds every entry's SHA-256, the image digest commits to every byte an entry
 * can serve (a hash tree of depth one), so mounting verifies the header and index in time
 * proportional to the index, and each entry is checked against its own hash before its bytes are
 * first served. The signature covers the digest, so it covers the whole image the same way.
 */
public final class RomImageFormat {
    /** The format version this code writes and reads. */
    public static final int VERSION = 1;
    static final byte[] MAGIC = {(byte) 0x89, 'D', 'R', 'O', 'M', 0x0D, 0x0A, 0x1A};
    public static final int KIND_APPLICATION = 1;
    public static final int KIND_UPD = 2;
    static final int FLAG_SIGNED = 1;
    public static final int HEADER_SIZE = 256;
    public static final int ALIGNMENT = 16;
    /** The fixed part of an index record; the name follows. */
    public static final int INDEX_RECORD_FIXED = 44;

    static final int OFF_VERSION = 8;
    static final int OFF_KIND = 10;
    static final int OFF_FLAGS = 11;
    static final int OFF_HEADER_LENGTH = 12;
    static final int OFF_ENTRY_COUNT = 16;
    static final int OFF_INDEX_OFFSET = 20;
    static final int OFF_INDEX_LENGTH = 24;
    static final int OFF_ALIGNMENT = 28;
    static final int OFF_IMAGE_LENGTH = 32;
    static final int OFF_PAYLOAD = 40;
    static final int OFF_DIGEST = 48;
    static final int OFF_SIGNATURE = 80;
    static final int SIGNATURE_LENGTH = 64;
    static final int OFF_CRC = 252;
    /** Header bytes covered by the digest: everything before the digest itself. */
    static final int DIGESTED_HEADER = OFF_DIGEST;

    private RomImageFormat() {
    }

    /**
     * One entry to encode.
     *
     * @param namespace its namespace
     * @param name its name, already valid per {@link datastore.Limits}
     * @param format its format byte
     * @param data its value, from position to limit (not consumed)
     */
    public record Source(Namespace namespace, String name, int format, ByteBuffer data) {
    }

    /**
     * The bytes an image of these entries needs: header, index and aligned data, so a caller can
     * check the fit before encoding.
     */
    public static long encodedLength(List<Source> entries) {
        long index = 0;
        for (Source entry : entries) {
            index += INDEX_RECORD_FIXED + entry.name().getBytes(StandardCharsets.UTF_8).length;
        }
        long at = align(HEADER_SIZE + index);
        for (Source entry : entries) {
            at = align(at + entry.data().remaining());
        }
        return at;
    }

    /**
     * Encodes an unsigned image of {@code kind} holding {@code entries}.
     *
     * @throws IllegalArgumentException if two entries share namespace and name, or the image would
     *         exceed 2 GiB
     */
    public static byte[] encode(int kind, List<Source> entries) {
        List<Source> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingInt((Source s) -> s.namespace().code()).thenComparing(Source::name));
        for (int i = 1; i < sorted.size(); i++) {
            Source a = sorted.get(i - 1);
            Source b = sorted.get(i);
            if (a.namespace() == b.namespace() && a.name().equals(b.name())) {
                throw new IllegalArgumentException("two " + a.namespace().id() + " entries named \"" + a.name() + "\"");
            }
        }
        long length = encodedLength(sorted);
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an image of " + length + " bytes exceeds 2 GiB");
        }
        byte[] image = new byte[(int) length];
        ByteBuffer out = ByteBuffer.wrap(image);
        int indexLength = 0;
        long payload = 0;
        for (Source entry : sorted) {
            int nameBytes = entry.name().getBytes(StandardCharsets.UTF_8).length;
            indexLength += INDEX_RECORD_FIXED + nameBytes;
            payload += nameBytes + entry.data().remaining();
        }
        MessageDigest sha = sha256();
        int index = HEADER_SIZE;
        int data = (int) align(HEADER_SIZE + indexLength);
        for (Source entry : sorted) {
            byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
            ByteBuffer value = entry.data().duplicate();
            int size = value.remaining();
            out.put(data, value, value.position(), size);
            sha.update(image, data, size);
            out.position(index);
            out.put((byte) entry.namespace().code()).put((byte) entry.format()).putShort((short) name.length)
                    .putInt(data).putInt(size).put(sha.digest()).put(name);
            index = out.position();
            data = (int) align(data + size);
        }
        out.position(0);
        out.put(MAGIC).putShort((short) VERSION).put((byte) kind).put((byte) 0).putInt(HEADER_SIZE)
                .putInt(sorted.size()).putInt(HEADER_SIZE).putInt(indexLength).putInt(ALIGNMENT).putInt(image.length)
                .putInt(0).putLong(payload);
        seal(image);
        return image;
    }

    /**
     * A copy of {@code image} signed with an Ed25519 {@code key}: the signed flag set, the digest
     * recomputed over it, the signature of the digest and the header CRC written.
     *
     * @throws IllegalArgumentException if the key is not an Ed25519 private key
     */
    public static byte[] sign(byte[] image, PrivateKey key) {
        byte[] signed = image.clone();
        signed[OFF_FLAGS] |= FLAG_SIGNED;
        seal(signed);
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key);
            signer.update(signed, OFF_DIGEST, 32);
            byte[] signature = signer.sign();
            System.arraycopy(signature, 0, signed, OFF_SIGNATURE, SIGNATURE_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign a ROM image with a " + key.getAlgorithm()
                    + " key; an Ed25519 private key is needed: " + e.getMessage(), e);
        }
        writeCrc(signed);
        return signed;
    }

    /** Writes the digest over header and index, then the header CRC. */
    private static void seal(byte[] image) {
        ByteBuffer in = ByteBuffer.wrap(image);
        int indexLength = in.getInt(OFF_INDEX_LENGTH);
        MessageDigest sha = sha256();
        sha.update(image, 0, DIGESTED_HEADER);
        sha.update(image, HEADER_SIZE, indexLength);
        System.arraycopy(sha.digest(), 0, image, OFF_DIGEST, 32);
        writeCrc(image);
    }

    private static void writeCrc(byte[] image) {
        CRC32C crc = new CRC32C();
        crc.update(image, 0, OFF_CRC);
        ByteBuffer.wrap(image).putInt(OFF_CRC, (int) crc.getValue());
    }

    /** The digest stored in an encoded image's header. */
    public static byte[] digestOf(byte[] image) {
        return Arrays.copyOfRange(image, OFF_DIGEST, OFF_DIGEST + 32);
    }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) & -ALIGNMENT;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Lower-case hex. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
