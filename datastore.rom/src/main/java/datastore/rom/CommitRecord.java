package datastore.rom;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A commit record: the durable statement that an application slot holds a complete image. It is
 * programmed only after the slot's image is programmed and synced, so the newest readable record
 * whose slot verifies is the ROM. 64 bytes, big-endian:
 *
 * <pre>
 *  0  4  magic "DDCR" (0x44444352)
 *  4  2  record format version, 1
 *  6  1  slot, 0 or 1
 *  7  1  reserved, 0
 *  8  8  generation, 1 and up, one more than every earlier commit
 * 16  4  image length in bytes
 * 20  4  reserved, 0
 * 24 32  the image's digest (its header's SHA-256 field, see {@link RomImageFormat})
 * 56  4  reserved, 0
 * 60  4  CRC-32C of bytes 0-59
 * </pre>
 *
 * @param slot the slot holding the image
 * @param generation the commit counter
 * @param imageLength the image's length in bytes
 * @param digest the image's SHA-256 digest, 32 bytes
 */
public record CommitRecord(int slot, long generation, int imageLength, byte[] digest) {

    /** The encoded size in bytes. */
    public static final int SIZE = 64;
    /** "DDCR". */
    public static final int MAGIC = 0x44444352;
    /** The record format this code writes and reads. */
    public static final int VERSION = 1;

    public CommitRecord {
        if (slot != 0 && slot != 1) {
            throw new IllegalArgumentException("slot must be 0 or 1, not " + slot);
        }
        if (digest.length != 32) {
            throw new IllegalArgumentException("a digest has 32 bytes, not " + digest.length);
        }
        digest = digest.clone();
    }

    @Override
    public byte[] digest() {
        return digest.clone();
    }

    /** The record as {@code size} bytes (at least {@link #SIZE}), padded with {@code 0xFF}, which programs nothing. */
    public ByteBuffer encode(int size) {
        ByteBuffer out = ByteBuffer.allocate(size);
        out.putInt(MAGIC).putShort((short) VERSION).put((byte) slot).put((byte) 0).putLong(generation)
                .putInt(imageLength).putInt(0).put(digest).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, 60);
        out.putInt((int) crc.getValue());
        while (out.hasRemaining()) {
            out.put((byte) 0xFF);
        }
        return out.flip();
    }

    /** Whether the {@link #SIZE} bytes at {@code offset} are all {@code 0xFF}: a record slot never programmed. */
    static boolean isErased(ByteBuffer map, long offset, int size) {
        for (int i = 0; i < size; i += 8) {
            if (map.getLong((int) offset + i) != -1L) {
                return false;
            }
        }
        return true;
    }

    /** The record at {@code offset}, if it is a whole, readable record of a known version. */
    static Optional<CommitRecord> decode(ByteBuffer map, long offset) {
        int at = (int) offset;
        byte[] bytes = new byte[SIZE];
        map.get(at, bytes);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 60);
        if (in.getInt(0) != MAGIC || in.getShort(4) != VERSION || in.getInt(60) != (int) crc.getValue()) {
            return Optional.empty();
        }
        int slot = in.get(6);
        if (slot != 0 && slot != 1) {
            return Optional.empty();
        }
        return Optional.of(new CommitRecord(slot, in.getLong(8), in.getInt(16), Arrays.copyOfRange(bytes, 24, 56)));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CommitRecord record && record.slot == slot && record.generation == generation
                && record.imageLength == imageLength && Arrays.equals(record.digest, digest);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(generation) * 31 + Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return "CommitRecord[slot " + slot + ", generation " + generation + ", " + imageLength + " bytes, sha256 "
                + RomImageFormat.hex(digest) + "]";
    }
}
