package datastore.romformat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A commit record: the durable statement that an application slot holds a complete image. It is
 * programmed only after the slot's image is programmed and synced, so the newest readable record
 * whose slot verifies is the ROM. Format 3 writes record version 2, 128 bytes, big-endian, to both
 * blocks of a commit group:
 *
 * <pre>
 *   0  4  magic "DDCR" (0x44444352)
 *   4  2  record version, 2
 *   6  1  slot, 0 or 1; 255 for a format record, which names no image and only claims the region
 *   7  1  image format version, 3
 *   8  8  generation, 1 and up, one more than every earlier commit (0 for a format record)
 *  16  4  image length in bytes
 *  20  4  partition name, ASCII, zero padded: "rom"
 *  24 32  the image's digest (its header's SHA-256 field, see {@link RomImageFormat})
 *  56  8  region offset on its device
 *  64  8  region size
 *  72  4  erase block size
 *  76  4  program size
 *  80 44  reserved, 0
 * 124  4  CRC-32C of bytes 0-123
 * </pre>
 *
 * Later record versions keep the frame (magic, version at 4, 128 bytes, CRC at 124), so a newer one is
 * recognised as newer rather than as damage. Format 2 wrote record version 1, 64 bytes, without the
 * identity: magic, version 1, slot, reserved, generation, image length, reserved, digest, reserved,
 * CRC-32C of bytes 0-59 at 60.
 *
 * @param slot the slot holding the image, or {@link #NO_SLOT} for a format record
 * @param generation the commit counter
 * @param imageLength the image's length in bytes
 * @param digest the image's SHA-256 digest, 32 bytes
 * @param identity the region and format it was written for; null for a record version 1
 */
record CommitRecord(int slot, long generation, int imageLength, byte[] digest, RomIdentity identity) {

    /** The encoded size in bytes of record version 2. */
    public static final int SIZE = 128;
    /** The encoded size in bytes of record version 1 (format 2). */
    public static final int LEGACY_SIZE = 64;
    /** "DDCR". */
    public static final int MAGIC = 0x44444352;
    /** The record version this code writes. */
    public static final int VERSION = 2;
    /** The record version of format 2. */
    public static final int LEGACY_VERSION = 1;
    /** The slot of a format record. */
    public static final int NO_SLOT = 255;

    public CommitRecord {
        if (slot != 0 && slot != 1 && slot != NO_SLOT) {
            throw new IllegalArgumentException("slot must be 0 or 1, not " + slot);
        }
        if (digest.length != 32) {
            throw new IllegalArgumentException("a digest has 32 bytes, not " + digest.length);
        }
        digest = digest.clone();
    }

    /** A format record: claims the region for the ROM before the first image is written into it. */
    static CommitRecord format(RomIdentity identity) {
        return new CommitRecord(NO_SLOT, 0, 0, new byte[32], identity);
    }

    /** Whether this record names an image, rather than only claiming the region. */
    public boolean namesImage() {
        return slot != NO_SLOT;
    }

    @Override
    public byte[] digest() {
        return digest.clone();
    }

    /**
     * The record as {@code size} bytes (at least its version's size), padded with {@code 0xFF}, which
     * programs nothing: version 2 when it has an identity, version 1 without.
     */
    public ByteBuffer encode(int size) {
        ByteBuffer out = ByteBuffer.allocate(size);
        if (identity == null) {
            out.putInt(MAGIC).putShort((short) LEGACY_VERSION).put((byte) slot).put((byte) 0).putLong(generation)
                    .putInt(imageLength).putInt(0).put(digest).putInt(0);
            CRC32C crc = new CRC32C();
            crc.update(out.array(), 0, 60);
            out.putInt((int) crc.getValue());
        } else {
            byte[] name = Arrays.copyOf(identity.partition().getBytes(StandardCharsets.US_ASCII), 4);
            out.putInt(MAGIC).putShort((short) VERSION).put((byte) slot).put((byte) identity.formatVersion())
                    .putLong(generation).putInt(imageLength).put(name).put(digest).putLong(identity.deviceOffset())
                    .putLong(identity.size()).putInt(identity.eraseBlockSize()).putInt(identity.programSize())
                    .put(new byte[44]);
            CRC32C crc = new CRC32C();
            crc.update(out.array(), 0, 124);
            out.putInt((int) crc.getValue());
        }
        while (out.hasRemaining()) {
            out.put((byte) 0xFF);
        }
        return out.flip();
    }

    /** Whether the {@code size} bytes at {@code offset} are all {@code 0xFF}: never programmed. */
    static boolean isErased(ByteBuffer map, long offset, int size) {
        int at = (int) offset;
        int i = 0;
        for (; i + 8 <= size; i += 8) {
            if (map.getLong(at + i) != -1L) {
                return false;
            }
        }
        for (; i < size; i++) {
            if (map.get(at + i) != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    /**
     * The record version of the whole, checksummed record of format 2 or later at {@code offset}, or 0
     * when there is none (erased, torn, damaged or not a record).
     */
    static int versionAt(ByteBuffer map, long offset, int room) {
        int at = (int) offset;
        if (room < LEGACY_SIZE || map.getInt(at) != MAGIC) {
            return 0;
        }
        int version = map.getShort(at + 4) & 0xFFFF;
        if (version == LEGACY_VERSION) {
            return crcMatches(map, at, 60) ? version : 0;
        }
        return version >= VERSION && room >= SIZE && crcMatches(map, at, 124) ? version : 0;
    }

    private static boolean crcMatches(ByteBuffer map, int at, int length) {
        byte[] bytes = new byte[length];
        map.get(at, bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return map.getInt(at + length) == (int) crc.getValue();
    }

    /**
     * The record at {@code offset}, if it is a whole, checksummed record of version 1 or 2 (check with
     * {@link #versionAt} first); null otherwise.
     */
    static CommitRecord decode(ByteBuffer map, long offset, int room) {
        int version = versionAt(map, offset, room);
        int at = (int) offset;
        if (version != LEGACY_VERSION && version != VERSION) {
            return null;
        }
        int slot = map.get(at + 6) & 0xFF;
        byte[] digest = new byte[32];
        map.get(at + 24, digest);
        if (version == LEGACY_VERSION) {
            return slot == 0 || slot == 1 ? new CommitRecord(slot, map.getLong(at + 8), map.getInt(at + 16), digest, null)
                    : null;
        }
        if (slot != 0 && slot != 1 && slot != NO_SLOT) {
            return null;
        }
        byte[] name = new byte[4];
        map.get(at + 20, name);
        int length = 0;
        while (length < 4 && name[length] != 0) {
            length++;
        }
        RomIdentity identity = new RomIdentity(new String(name, 0, length, StandardCharsets.US_ASCII),
                map.get(at + 7) & 0xFF, map.getLong(at + 56), map.getLong(at + 64), map.getInt(at + 72),
                map.getInt(at + 76));
        return new CommitRecord(slot, map.getLong(at + 8), map.getInt(at + 16), digest, identity);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CommitRecord record && record.slot == slot && record.generation == generation
                && record.imageLength == imageLength && Arrays.equals(record.digest, digest)
                && java.util.Objects.equals(record.identity, identity);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(generation) * 31 + Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return "CommitRecord[" + (namesImage() ? "slot " + slot : "format record") + ", generation " + generation + ", "
                + imageLength + " bytes, sha256 " + RomImageFormat.hex(digest)
                + (identity == null ? "" : ", " + identity) + "]";
    }
}
