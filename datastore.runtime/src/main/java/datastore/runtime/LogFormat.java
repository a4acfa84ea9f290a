package datastore.runtime;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The on-flash format of the runtime partition's log, in one place so the writer and the mount scan
 * cannot drift apart. All integers are big-endian.
 *
 * <p>Every used erase block starts with a block header, stored twice so that one damaged copy never
 * hides the block: magic, format version, kind, the block's sequence number (increasing with every
 * block opened), the sequence number of the block whose last record continues here and how many
 * bytes of it this block holds, and a floor for entry revisions. Records follow the header and may
 * run on into the next block of their chain.
 *
 * <p>A record is one atomic batch: a 16-byte header (magic, entry count, length, revision of its
 * first entry) stored twice with a CRC32C each, a directory of 16 bytes per entry (namespace, format,
 * flags, name length, value length, CRC32C of namespace and name, CRC32C of the value) stored twice
 * with a CRC32C over header and directory, the names, the values, and a trailer of two commit words.
 * A record is committed only when a commit word is present, so a torn write is recognised as absent;
 * a damaged copy of any metadata is covered by its twin, and a damaged name or value fails its own
 * CRC and is reported as a corrupted entry.
 */
final class LogFormat {
    static final int BLOCK_MAGIC = 0x44535254; // "DSRT"
    static final int VERSION = 1;
    static final int KIND_LOG = 1;
    /** One copy of the block header, CRC included. */
    static final int BLOCK_HEADER = 48;

    static final int RECORD_MAGIC = 0xD5A7;
    /** One copy of the record header: 16 bytes and their CRC. */
    static final int RECORD_HEADER = 20;
    static final int DIR_ENTRY = 16;
    static final int TRAILER = 8;
    static final int FLAG_REMOVAL = 1;
    static final int MAX_ENTRIES_PER_RECORD = 0xFFFF;

    private LogFormat() {
    }

    /** Bytes at the start of every block taken by the two header copies, padded to the program size. */
    static int blockHeaderSize(int programSize) {
        return align(2 * BLOCK_HEADER, programSize);
    }

    static int align(long length, int unit) {
        return (int) ((length + unit - 1) / unit * unit);
    }

    /** Offset of the names from the record start. */
    static int metaSize(int count) {
        return 2 * RECORD_HEADER + 2 * (DIR_ENTRY * count + 4);
    }

    /** The unpadded length of a record. */
    static long recordLength(int count, long namesLength, long valuesLength) {
        return metaSize(count) + namesLength + valuesLength + TRAILER;
    }

    /** The padded flash bytes a record of one entry takes: what relocating one entry costs. */
    static int singletonSize(int nameLength, int valueLength, int programSize) {
        return align(recordLength(1, nameLength, valueLength), programSize);
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

    static byte[] blockHeader(int kind, long blockSeq, long prevBlockSeq, long seqFloor, int contLength, int programSize) {
        ByteBuffer one = ByteBuffer.allocate(BLOCK_HEADER);
        one.putInt(BLOCK_MAGIC).put((byte) VERSION).put((byte) kind).putShort((short) 0)
                .putLong(blockSeq).putLong(prevBlockSeq).putLong(seqFloor).putInt(contLength).putInt(0).putInt(0);
        one.putInt(crc(one.array(), 0, BLOCK_HEADER - 4));
        byte[] header = new byte[blockHeaderSize(programSize)];
        java.util.Arrays.fill(header, (byte) 0xFF);
        System.arraycopy(one.array(), 0, header, 0, BLOCK_HEADER);
        System.arraycopy(one.array(), 0, header, BLOCK_HEADER, BLOCK_HEADER);
        return header;
    }

    /** A parsed block header. */
    record BlockHeader(int kind, long blockSeq, long prevBlockSeq, long seqFloor, int contLength, boolean copyDamaged) {
    }

    /** Parses the first valid copy of a block header, or returns {@code null} if neither is valid. */
    static BlockHeader parseBlockHeader(byte[] both) {
        BlockHeader found = null;
        int valid = 0;
        for (int copy = 0; copy < 2; copy++) {
            int at = copy * BLOCK_HEADER;
            ByteBuffer b = ByteBuffer.wrap(both, at, BLOCK_HEADER);
            if (b.getInt(at) != BLOCK_MAGIC || crc(both, at, BLOCK_HEADER - 4) != b.getInt(at + BLOCK_HEADER - 4)) {
                continue;
            }
            if ((both[at + 4] & 0xFF) != VERSION) {
                continue;
            }
            valid++;
            if (found == null) {
                found = new BlockHeader(both[at + 5] & 0xFF, b.getLong(at + 8), b.getLong(at + 16), b.getLong(at + 24),
                        b.getInt(at + 32), false);
            }
        }
        return found == null || valid == 2 ? found
                : new BlockHeader(found.kind(), found.blockSeq(), found.prevBlockSeq(), found.seqFloor(),
                        found.contLength(), true);
    }

    /** A parsed record header. */
    record RecordHeader(int count, long totalLength, long seq, boolean copyDamaged) {
    }

    /**
     * Parses a record header from the first {@code 2 * RECORD_HEADER} bytes of a record: the first
     * valid copy, or {@code null}.
     */
    static RecordHeader parseRecordHeader(byte[] bytes) {
        RecordHeader found = null;
        int valid = 0;
        for (int copy = 0; copy < 2; copy++) {
            int at = copy * RECORD_HEADER;
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if ((b.getShort(at) & 0xFFFF) != RECORD_MAGIC || crc(bytes, at, 16) != b.getInt(at + 16)) {
                continue;
            }
            int count = b.getShort(at + 2) & 0xFFFF;
            long total = b.getInt(at + 4) & 0xFFFFFFFFL;
            if (count == 0 || total < recordLength(count, count, 0)) {
                continue;
            }
            valid++;
            if (found == null) {
                found = new RecordHeader(count, total, b.getLong(at + 8), false);
            }
        }
        return found == null || valid == 2 ? found : new RecordHeader(found.count(), found.totalLength(), found.seq(), true);
    }

    /** One entry of a record directory. */
    record DirEntry(int namespaceCode, int format, int flags, int nameLength, int valueLength, int nameCrc, int valueCrc) {
        boolean removal() {
            return (flags & FLAG_REMOVAL) != 0;
        }
    }

    /**
     * Parses the directory from the metadata of a record (everything before the names), trying both
     * copies; {@code null} if neither is valid.
     */
    /** A parsed directory; {@code copyDamaged} if one of its two copies failed its CRC. */
    record Directory(DirEntry[] entries, boolean copyDamaged) {
    }

    static Directory parseDirectory(byte[] meta, int count) {
        int dirLength = DIR_ENTRY * count;
        DirEntry[] found = null;
        int validCopies = 0;
        for (int copy = 0; copy < 2; copy++) {
            int at = 2 * RECORD_HEADER + copy * (dirLength + 4);
            byte[] covered = new byte[16 + dirLength];
            // The directory CRC binds it to the record header (its first copy's 16 bytes are
            // reconstructed from whichever header copy was valid by the caller's check below).
            ByteBuffer b = ByteBuffer.wrap(meta);
            int stored = b.getInt(at + dirLength);
            boolean matches = false;
            for (int h = 0; h < 2 && !matches; h++) {
                System.arraycopy(meta, h * RECORD_HEADER, covered, 0, 16);
                System.arraycopy(meta, at, covered, 16, dirLength);
                matches = crc(covered, 0, covered.length) == stored;
            }
            if (!matches) {
                continue;
            }
            validCopies++;
            if (found != null) {
                continue;
            }
            DirEntry[] entries = new DirEntry[count];
            for (int i = 0; i < count; i++) {
                int e = at + i * DIR_ENTRY;
                entries[i] = new DirEntry(meta[e] & 0xFF, meta[e + 1] & 0xFF, meta[e + 2] & 0xFF, meta[e + 3] & 0xFF,
                        b.getInt(e + 4), b.getInt(e + 8), b.getInt(e + 12));
            }
            found = entries;
        }
        return found == null ? null : new Directory(found, validCopies == 1);
    }

    /** One entry to encode. {@code value} is null for a removal. */
    record EncodedEntry(int namespaceCode, int format, byte[] name, ByteBuffer value, int valueCrc) {
        int valueLength() {
            return value == null ? 0 : value.remaining();
        }
    }

    /** Encodes a record, padded with {@code 0xFF} to the program size. */
    static ByteBuffer encode(long seq, EncodedEntry[] entries, int programSize) {
        int count = entries.length;
        long names = 0;
        long values = 0;
        for (EncodedEntry e : entries) {
            names += e.name().length;
            values += e.valueLength();
        }
        long total = recordLength(count, names, values);
        if (total > Integer.MAX_VALUE - programSize) {
            throw new IllegalArgumentException("a record of " + total + " bytes is too long");
        }
        byte[] out = new byte[align(total, programSize)];
        java.util.Arrays.fill(out, (int) total, out.length, (byte) 0xFF);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putShort((short) RECORD_MAGIC).putShort((short) count).putInt((int) total).putLong(seq);
        b.putInt(crc(out, 0, 16));
        b.put(out, 0, RECORD_HEADER);
        int dirAt = b.position();
        for (EncodedEntry e : entries) {
            b.put((byte) e.namespaceCode()).put((byte) e.format())
                    .put((byte) (e.value() == null ? FLAG_REMOVAL : 0)).put((byte) e.name().length)
                    .putInt(e.valueLength()).putInt(nameCrc(e.namespaceCode(), e.name())).putInt(e.valueCrc());
        }
        int dirLength = DIR_ENTRY * count;
        byte[] covered = new byte[16 + dirLength];
        System.arraycopy(out, 0, covered, 0, 16);
        System.arraycopy(out, dirAt, covered, 16, dirLength);
        b.putInt(crc(covered, 0, covered.length));
        b.put(out, dirAt, dirLength + 4);
        for (EncodedEntry e : entries) {
            b.put(e.name());
        }
        for (EncodedEntry e : entries) {
            if (e.value() != null) {
                b.put(e.value().duplicate());
            }
        }
        int word = commitWord(seq);
        b.putInt(word).putInt(word);
        return ByteBuffer.wrap(out);
    }

    /** Whether the trailer holds a commit word for this sequence number. */
    static boolean committed(byte[] trailer, long seq) {
        ByteBuffer b = ByteBuffer.wrap(trailer);
        int word = commitWord(seq);
        return b.getInt(0) == word || b.getInt(4) == word;
    }

    /** Whether both commit words are intact. */
    static boolean fullyCommitted(byte[] trailer, long seq) {
        ByteBuffer b = ByteBuffer.wrap(trailer);
        int word = commitWord(seq);
        return b.getInt(0) == word && b.getInt(4) == word;
    }

    static int valueCrc(ByteBuffer value) {
        if (value == null) {
            return 0;
        }
        CRC32C crc = new CRC32C();
        crc.update(value.duplicate());
        return (int) crc.getValue();
    }
}
