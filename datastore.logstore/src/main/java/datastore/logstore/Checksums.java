package datastore.logstore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import static datastore.logstore.LogFormat.HEADER;

/**
 * The checks of the runtime format (FORMAT.md): CRC32C of headers, names and values, and the commit
 * words that make a record count only once wholly written.
 */
final class Checksums {
    private Checksums() {
    }

    static int headerCrc(byte[] bytes, int at, byte[] identity) {
        CRC32C crc = new CRC32C();
        if (identity != null) {
            crc.update(identity, 0, identity.length);
        }
        crc.update(bytes, at, HEADER - 4);
        return (int) crc.getValue();
    }

    /** The commit word of a record: never all ones, so erased flash never reads as committed. */
    static int commitWord(long seq) {
        int word = (int) (seq ^ (seq >>> 32)) ^ 0x5EA1C0DE;
        return word == -1 ? 0x5EA1C0DE : word;
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** The CRC32C of a namespace code and a name, which identifies the name even if its bytes are damaged. */
    static int nameCrc(int namespaceCode, byte[] name) {
        CRC32C crc = new CRC32C();
        crc.update(namespaceCode);
        crc.update(name, 0, name.length);
        return (int) crc.getValue();
    }

    static int nameCrc(int namespaceCode, String name) {
        return nameCrc(namespaceCode, name.getBytes(StandardCharsets.UTF_8));
    }

    static int valueCrc(ByteBuffer value) {
        if (value == null) {
            return 0;
        }
        CRC32C crc = new CRC32C();
        crc.update(value.duplicate());
        return (int) crc.getValue();
    }

    /** Whether the trailer at {@code at} in {@code map} holds a commit word for this sequence number. */
    static boolean committed(ByteBuffer map, int at, long seq) {
        int word = commitWord(seq);
        return map.getInt(at) == word || map.getInt(at + 4) == word;
    }

    /** Whether both commit words of the trailer at {@code at} in {@code map} are intact. */
    static boolean fullyCommitted(ByteBuffer map, int at, long seq) {
        int word = commitWord(seq);
        return map.getInt(at) == word && map.getInt(at + 4) == word;
    }
}
