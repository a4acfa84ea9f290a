package datastore.runtime;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The on-flash format of the runtime partition (version 3; format 2 read, format 1 recognised to be
 * refused), in one place so the writer and the mount scan cannot drift apart. The format itself is
 * described in the module's FORMAT.md, of which this class is the code.
 */
final class LogFormat {
    static final int VERSION = 3;
    /** The ring format without geometry, identity or markers, read and migrated (see FORMAT.md). */
    static final int LEGACY_VERSION = 2;
    /** The block-header format replaced by the ring; recognised only to be refused by name. */
    static final int BLOCK_FORMAT_VERSION = 1;
    static final int BLOCK_FORMAT_MAGIC = 0x44535254; // "DSRT"
    static final int BLOCK_FORMAT_HEADER = 48;
    /** The partition id recorded in anchors and bound into every record's CRC. */
    static final String PARTITION_ID = "runtime";
    static final int RECORD_MAGIC = 0xD5A9;
    /** One header copy. */
    static final int HEADER = 32;
    static final int DIR_ENTRY = 16;
    static final int RUN = 8;
    static final int TRAILER = 8;

    static final int KIND_SINGLE = 1;
    static final int KIND_BATCH = 2;
    static final int KIND_PAD = 3;
    static final int KIND_CLEAR = 4;
    /** Format 3: the tail the anchor names, repeated in the ring so a scan finds it without the anchor. */
    static final int KIND_TAIL = 5;
    static final int FLAG_REMOVAL = 1;
    /** Written by garbage collection: entries keep their revisions. Diagnostic only. */
    static final int FLAG_RELOCATED = 2;
    static final int MAX_ENTRIES_PER_RECORD = 1 << 24;

    static final int ANCHOR_MAGIC = 0x44535241; // "DSRA"
    /** One anchor copy of format 3, CRC included. */
    static final int ANCHOR = 64;
    /** One anchor copy of format 2, CRC included. */
    static final int LEGACY_ANCHOR = 40;
    /** Anchor slots per anchor block: with a collection pass every sixteenth of the ring, the two anchor blocks wear like ring blocks. */
    static final int ANCHOR_SLOTS = 8;

    private LogFormat() {
    }

    static int align(long length, int unit) {
        return (int) ((length + unit - 1) / unit * unit);
    }

    /** The bytes a pad header takes: the least room a record must leave before anything it cannot cross. */
    static int padSize(int programSize) {
        return align(2 * HEADER, programSize);
    }

    /** Bytes of a record's superseded markers: one bit per entry, in whole program units. */
    static int markerSize(int count, int programSize) {
        return count == 0 ? 0 : align((count + 7) / 8, programSize);
    }

    /**
     * The identity every format-3 record's header CRC covers before the header itself: partition id,
     * version and the region's geometry, so a record read on another region, offset or geometry fails
     * its CRC and is never taken for one of this region's.
     */
    static byte[] identity(long deviceOffset, long regionSize, int blockSize, int programSize) {
        ByteBuffer b = ByteBuffer.allocate(8 + 1 + 8 + 8 + 4 + 4);
        b.put(PARTITION_ID.getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put((byte) VERSION).putLong(deviceOffset)
                .putLong(regionSize).putInt(blockSize).putInt(programSize);
        return b.array();
    }

    private static int headerCrc(byte[] bytes, int at, byte[] identity) {
        CRC32C crc = new CRC32C();
        if (identity != null) {
            crc.update(identity, 0, identity.length);
        }
        crc.update(bytes, at, HEADER - 4);
        return (int) crc.getValue();
    }

    /** Bytes of a batch record before its names. */
    static long metaSize(int count, int runs) {
        return 2L * HEADER + 2L * (RUN * (long) runs + DIR_ENTRY * (long) count + 4);
    }

    /** Unpadded length of a batch (or clear) record. */
    static long batchLength(int count, int runs, long names, long values) {
        return metaSize(count, runs) + names + values + TRAILER;
    }

    /** Unpadded length of a single-entry record. */
    static long singleLength(int nameLength, int valueLength) {
        return 2L * HEADER + nameLength + valueLength + TRAILER;
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

    // ------------------------------------------------------------------------------------------
    // Record headers

    /**
     * A parsed record header. For a single-entry record {@code count} is 1 and the entry's directory
     * fields are set; for a batch, clear or pad record {@code length} is the record's unpadded length
     * (for a pad, the bytes it skips).
     */
    record Header(int kind, int flags, int lap, long seq, int count, long length, int runs, int namespaceCode,
            int format, int nameLength, int valueLength, int nameCrc, int valueCrc, boolean copyDamaged, long floor,
            boolean legacy) {

        DirEntry single() {
            return new DirEntry(namespaceCode, format, flags & FLAG_REMOVAL, nameLength, valueLength, nameCrc, valueCrc);
        }

        /** Offset of the first name from the record's start. */
        long namesAt() {
            return kind == KIND_SINGLE ? 2L * HEADER : metaSize(count, runs);
        }
    }

    private static byte[] headerCopy(int kind, int flags, int lap, long seq) {
        byte[] h = new byte[HEADER];
        ByteBuffer b = ByteBuffer.wrap(h);
        b.putShort((short) RECORD_MAGIC).put((byte) (kind | flags << 4)).put((byte) 0).putShort((short) lap)
                .putShort((short) 0).putLong(seq);
        return h;
    }

    private static void seal(byte[] copy, byte[] identity) {
        ByteBuffer.wrap(copy).putInt(HEADER - 4, headerCrc(copy, 0, identity));
    }

    /**
     * Parses the first valid copy of a header from its two copies ({@code 2 * HEADER} bytes), or
     * {@code null}: a format-3 header bound to {@code identity}, or with {@code legacy} also a format-2 one.
     */
    static Header parseHeader(byte[] both, byte[] identity, boolean legacy) {
        Header found = null;
        int valid = 0;
        for (int copy = 0; copy < 2; copy++) {
            Header h = parseCopy(both, copy * HEADER, identity, legacy);
            if (h != null) {
                valid++;
                if (found == null) {
                    found = h;
                }
            }
        }
        if (found == null || valid == 2) {
            return found;
        }
        return damaged(found);
    }

    /**
     * Repairs a header neither of whose copies is valid: combines the copies where they differ (each
     * differing byte taken from either, so two copies damaged at different bytes give the original),
     * else tries every value of every covered byte of each copy (a copy damaged at one byte); a
     * candidate counts only if its CRC32C matches. {@code null} if nothing matches. The caller must
     * still check what it can of the result (lap, extent, commit word), since a repair is a guess the
     * CRC confirms with a probability of about 2^-19 of being wrong.
     */
    static Header repairHeader(byte[] both, byte[] identity, boolean legacy) {
        int[] differ = new int[HEADER];
        int d = 0;
        for (int i = 0; i < HEADER; i++) {
            if (both[i] != both[HEADER + i]) {
                differ[d++] = i;
            }
        }
        byte[] candidate = new byte[HEADER];
        if (d > 0 && d <= 8) {
            for (int mask = 1; mask < (1 << d) - 1; mask++) {
                System.arraycopy(both, 0, candidate, 0, HEADER);
                for (int j = 0; j < d; j++) {
                    if ((mask & (1 << j)) != 0) {
                        candidate[differ[j]] = both[HEADER + differ[j]];
                    }
                }
                Header h = parseCopy(candidate, 0, identity, legacy);
                if (h != null) {
                    return damaged(h);
                }
            }
        }
        for (int copy = 0; copy < 2; copy++) {
            System.arraycopy(both, copy * HEADER, candidate, 0, HEADER);
            int storedCrc = ByteBuffer.wrap(candidate).getInt(HEADER - 4);
            for (int i = 0; i < HEADER - 4; i++) {
                byte original = candidate[i];
                for (int v = 0; v < 256; v++) {
                    if ((byte) v == original) {
                        continue;
                    }
                    candidate[i] = (byte) v;
                    if (headerCrc(candidate, 0, identity) == storedCrc
                            || legacy && headerCrc(candidate, 0, null) == storedCrc) {
                        Header h = parseCopy(candidate, 0, identity, legacy);
                        if (h != null) {
                            return damaged(h);
                        }
                    }
                }
                candidate[i] = original;
            }
        }
        return null;
    }

    private static Header damaged(Header h) {
        return new Header(h.kind(), h.flags(), h.lap(), h.seq(), h.count(), h.length(), h.runs(), h.namespaceCode(),
                h.format(), h.nameLength(), h.valueLength(), h.nameCrc(), h.valueCrc(), true, h.floor(), h.legacy());
    }

    /** The header copy at {@code at}, or {@code null} if it is not a valid one. */
    static Header parseCopy(byte[] bytes, int at, byte[] identity, boolean legacy) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if ((b.getShort(at) & 0xFFFF) != RECORD_MAGIC) {
            return null;
        }
        int stored = b.getInt(at + HEADER - 4);
        boolean old;
        if (identity != null && headerCrc(bytes, at, identity) == stored) {
            old = false;
        } else if (legacy && headerCrc(bytes, at, null) == stored) {
            old = true;
        } else {
            return null;
        }
        int kind = bytes[at + 2] & 0x0F;
        int flags = (bytes[at + 2] & 0xF0) >>> 4;
        int lap = b.getShort(at + 4) & 0xFFFF;
        long seq = b.getLong(at + 8);
        switch (kind) {
            case KIND_SINGLE: {
                int nameLength = bytes[at + 3] & 0xFF;
                int valueLength = b.getInt(at + 16);
                if (nameLength == 0 || valueLength < 0 || (flags & FLAG_REMOVAL) != 0 && valueLength != 0) {
                    return null;
                }
                return new Header(kind, flags, lap, seq, 1, singleLength(nameLength, valueLength), 0,
                        bytes[at + 6] & 0xFF, bytes[at + 7] & 0xFF, nameLength, valueLength, b.getInt(at + 20),
                        b.getInt(at + 24), false, 0, old);
            }
            case KIND_BATCH:
            case KIND_CLEAR: {
                int count = b.getInt(at + 16);
                long length = b.getInt(at + 20) & 0xFFFFFFFFL;
                int runs = b.getInt(at + 24);
                if (count < 0 || count > MAX_ENTRIES_PER_RECORD || runs < 0 || runs > count
                        || (kind == KIND_BATCH) != (count > 0) || count > 0 && runs == 0
                        || length < batchLength(count, runs, count, 0)) {
                    return null;
                }
                return new Header(kind, flags, lap, seq, count, length, runs, 0, 0, 0, 0, 0, 0, false, 0, old);
            }
            case KIND_PAD: {
                long length = b.getInt(at + 20) & 0xFFFFFFFFL;
                if (length < 2 * HEADER) {
                    return null;
                }
                return new Header(kind, flags, lap, seq, 0, length, 0, 0, 0, 0, 0, 0, 0, false, 0, old);
            }
            case KIND_TAIL: {
                long floor = b.getLong(at + 16);
                if (old || seq < 0 || floor < 0) {
                    return null;
                }
                return new Header(kind, flags, lap, seq, 0, 2 * HEADER, 0, 0, 0, 0, 0, 0, 0, false, floor, false);
            }
            default:
                return null;
        }
    }

    /** A pad header, padded to the program size: the record skips {@code length} bytes. */
    static byte[] pad(int lap, long seq, long length, int programSize, byte[] identity) {
        byte[] copy = headerCopy(KIND_PAD, 0, lap, seq);
        ByteBuffer.wrap(copy).putInt(20, (int) length);
        seal(copy, identity);
        return twice(copy, programSize);
    }

    /** A tail record: the collection made the ring start at {@code tail}; revisions start at {@code floor}. */
    static byte[] tail(int lap, long tail, long floor, int programSize, byte[] identity) {
        byte[] copy = headerCopy(KIND_TAIL, 0, lap, tail);
        ByteBuffer.wrap(copy).putLong(16, floor);
        seal(copy, identity);
        return twice(copy, programSize);
    }

    private static byte[] twice(byte[] copy, int programSize) {
        byte[] out = new byte[padSize(programSize)];
        Arrays.fill(out, (byte) 0xFF);
        System.arraycopy(copy, 0, out, 0, HEADER);
        System.arraycopy(copy, 0, out, HEADER, HEADER);
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // Directories

    /** One entry of a record directory. */
    record DirEntry(int namespaceCode, int format, int flags, int nameLength, int valueLength, int nameCrc, int valueCrc) {
        boolean removal() {
            return (flags & FLAG_REMOVAL) != 0;
        }
    }

    /** A parsed batch directory: entries, the revision of each, and whether one copy failed its CRC. */
    record Directory(DirEntry[] entries, long[] revisions, boolean copyDamaged) {
    }

    /**
     * Parses the directory of a batch record from its metadata (everything before the names), trying
     * both copies; {@code null} if neither is valid.
     */
    static Directory parseDirectory(byte[] meta, Header header) {
        int count = header.count();
        int runs = header.runs();
        int dirLength = RUN * runs + DIR_ENTRY * count;
        Directory found = null;
        int validCopies = 0;
        byte[] covered = new byte[HEADER - 4 + dirLength];
        ByteBuffer b = ByteBuffer.wrap(meta);
        for (int copy = 0; copy < 2; copy++) {
            int at = 2 * HEADER + copy * (dirLength + 4);
            int stored = b.getInt(at + dirLength);
            boolean matches = false;
            // The CRC binds the directory to its header; either header copy may be the intact one.
            for (int h = 0; h < 2 && !matches; h++) {
                System.arraycopy(meta, h * HEADER, covered, 0, HEADER - 4);
                System.arraycopy(meta, at, covered, HEADER - 4, dirLength);
                matches = crc(covered, 0, covered.length) == stored;
            }
            if (!matches) {
                continue;
            }
            validCopies++;
            if (found != null) {
                continue;
            }
            long[] revisions = new long[count];
            int next = 0;
            boolean sane = true;
            for (int r = 0; r < runs && sane; r++) {
                long offset = b.getInt(at + r * RUN) & 0xFFFFFFFFL;
                int length = b.getInt(at + r * RUN + 4);
                if (length <= 0 || length > count - next) {
                    sane = false;
                    break;
                }
                for (int i = 0; i < length; i++) {
                    revisions[next++] = header.seq() + offset + i;
                }
            }
            if (!sane || next != count) {
                continue;
            }
            DirEntry[] entries = new DirEntry[count];
            int e0 = at + RUN * runs;
            for (int i = 0; i < count; i++) {
                int e = e0 + i * DIR_ENTRY;
                entries[i] = new DirEntry(meta[e] & 0xFF, meta[e + 1] & 0xFF, meta[e + 2] & 0xFF, meta[e + 3] & 0xFF,
                        b.getInt(e + 4), b.getInt(e + 8), b.getInt(e + 12));
            }
            found = new Directory(entries, revisions, false);
        }
        return found == null ? null : new Directory(found.entries(), found.revisions(), validCopies == 1);
    }

    // ------------------------------------------------------------------------------------------
    // Encoding

    /** One entry to encode. {@code value} is null for a removal. */
    record EncodedEntry(int namespaceCode, int format, byte[] name, ByteBuffer value, int valueCrc, long revision) {
        int valueLength() {
            return value == null ? 0 : value.remaining();
        }
    }

    /** An encoded record and where, from its start, each entry's value begins. */
    record Encoded(byte[] bytes, long[] valueAt) {
    }

    /**
     * Encodes entries as one record, padded with {@code 0xFF} to the program size: a single-entry
     * record for one entry, else a batch whose revisions are described as runs from the first entry's
     * revision (consecutive for a write, with gaps where collection left dead entries behind).
     */
    static Encoded encode(EncodedEntry[] entries, int lap, int flags, int programSize, byte[] identity) {
        return entries.length == 1 ? encodeSingle(entries[0], lap, flags, programSize, identity)
                : encodeBatch(entries, lap, flags, programSize, identity);
    }

    /**
     * The extent of the record {@link #encode} will produce, its markers included, so the record can be
     * placed before it is encoded. The markers follow the bytes {@code encode} returns and are left erased.
     */
    static int encodedLength(EncodedEntry[] entries, int programSize) {
        int markers = markerSize(entries.length, programSize);
        if (entries.length == 1) {
            return align(singleLength(entries[0].name().length, entries[0].valueLength()), programSize) + markers;
        }
        long names = 0;
        long values = 0;
        for (EncodedEntry e : entries) {
            names += e.name().length;
            values += e.valueLength();
        }
        long total = batchLength(entries.length, runs(entries).length, names, values);
        if (total > Integer.MAX_VALUE - programSize) {
            throw new IllegalArgumentException("a record of " + total + " bytes is too long");
        }
        return align(total, programSize) + markers;
    }

    private static Encoded encodeSingle(EncodedEntry e, int lap, int flags, int programSize, byte[] identity) {
        long total = singleLength(e.name().length, e.valueLength());
        byte[] out = newRecord(total, programSize);
        byte[] copy = headerCopy(KIND_SINGLE, flags | (e.value() == null ? FLAG_REMOVAL : 0), lap, e.revision());
        copy[3] = (byte) e.name().length;
        copy[6] = (byte) e.namespaceCode();
        copy[7] = (byte) e.format();
        ByteBuffer.wrap(copy).putInt(16, e.valueLength()).putInt(20, nameCrc(e.namespaceCode(), e.name()))
                .putInt(24, e.valueCrc());
        seal(copy, identity);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.put(copy).put(copy).put(e.name());
        if (e.value() != null) {
            b.put(e.value().duplicate());
        }
        int word = commitWord(e.revision());
        b.putInt(word).putInt(word);
        return new Encoded(out, new long[] {2L * HEADER + e.name().length});
    }

    private static Encoded encodeBatch(EncodedEntry[] entries, int lap, int flags, int programSize, byte[] identity) {
        int count = entries.length;
        long base = entries[0].revision();
        int[][] runs = runs(entries);
        long names = 0;
        long values = 0;
        for (EncodedEntry e : entries) {
            names += e.name().length;
            values += e.valueLength();
        }
        long total = batchLength(count, runs.length, names, values);
        byte[] out = newRecord(total, programSize);
        byte[] copy = headerCopy(KIND_BATCH, flags, lap, base);
        ByteBuffer.wrap(copy).putInt(16, count).putInt(20, (int) total).putInt(24, runs.length);
        seal(copy, identity);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.put(copy).put(copy);
        int dirAt = b.position();
        for (int[] run : runs) {
            b.putInt(run[0]).putInt(run[1]);
        }
        for (EncodedEntry e : entries) {
            b.put((byte) e.namespaceCode()).put((byte) e.format()).put((byte) (e.value() == null ? FLAG_REMOVAL : 0))
                    .put((byte) e.name().length).putInt(e.valueLength()).putInt(nameCrc(e.namespaceCode(), e.name()))
                    .putInt(e.valueCrc());
        }
        int dirLength = b.position() - dirAt;
        byte[] covered = new byte[HEADER - 4 + dirLength];
        System.arraycopy(copy, 0, covered, 0, HEADER - 4);
        System.arraycopy(out, dirAt, covered, HEADER - 4, dirLength);
        b.putInt(crc(covered, 0, covered.length));
        b.put(out, dirAt, dirLength + 4);
        for (EncodedEntry e : entries) {
            b.put(e.name());
        }
        long[] valueAt = new long[count];
        for (int i = 0; i < count; i++) {
            valueAt[i] = b.position();
            if (entries[i].value() != null) {
                b.put(entries[i].value().duplicate());
            }
        }
        int word = commitWord(base);
        b.putInt(word).putInt(word);
        return new Encoded(out, valueAt);
    }

    /** A clear record: every revision below {@code seq} is gone. */
    static byte[] clear(long seq, int lap, int programSize, byte[] identity) {
        long total = batchLength(0, 0, 0, 0);
        byte[] out = newRecord(total, programSize);
        byte[] copy = headerCopy(KIND_CLEAR, 0, lap, seq);
        ByteBuffer.wrap(copy).putInt(16, 0).putInt(20, (int) total).putInt(24, 0);
        seal(copy, identity);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.put(copy).put(copy);
        int dirCrc = crc(copy, 0, HEADER - 4);
        b.putInt(dirCrc).putInt(dirCrc);
        int word = commitWord(seq);
        b.putInt(word).putInt(word);
        return out;
    }

    private static byte[] newRecord(long total, int programSize) {
        if (total > Integer.MAX_VALUE - programSize) {
            throw new IllegalArgumentException("a record of " + total + " bytes is too long");
        }
        byte[] out = new byte[align(total, programSize)];
        Arrays.fill(out, (int) total, out.length, (byte) 0xFF);
        return out;
    }

    /** Runs of consecutive revisions as (offset from the first, length) pairs. */
    private static int[][] runs(EncodedEntry[] entries) {
        long base = entries[0].revision();
        java.util.List<int[]> runs = new java.util.ArrayList<>();
        int start = 0;
        for (int i = 1; i <= entries.length; i++) {
            if (i == entries.length || entries[i].revision() != entries[i - 1].revision() + 1) {
                long offset = entries[start].revision() - base;
                if (offset < 0 || offset > 0xFFFFFFFFL) {
                    throw new IllegalArgumentException("revisions of one record must ascend within 2^32");
                }
                runs.add(new int[] {(int) offset, i - start});
                start = i;
            }
        }
        return runs.toArray(new int[0][]);
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

    // ------------------------------------------------------------------------------------------
    // Anchor

    /**
     * A parsed anchor slot: the tail's virtual position and the floor for new revisions; for format 3
     * also the geometry and identity it was written for, and where records of format 2 end (0: none).
     */
    record Anchor(int version, long anchorSeq, long tail, long seqFloor, boolean copyDamaged, String partition,
            long deviceOffset, long regionSize, int blockSize, int programSize, long legacyEnd) {

        /** The geometry and identity as the log and the refusal messages name them. */
        String describe() {
            return version < VERSION ? "format " + version + " (no geometry recorded)"
                    : "partition \"" + partition + "\" format " + version + " at device offset " + deviceOffset
                            + ", " + regionSize + " bytes, erase blocks of " + blockSize + ", program unit " + programSize;
        }
    }

    /** The distance between anchor slots of a format: large enough for two copies, an eighth of a block. */
    static int anchorStride(int blockSize, int programSize, int copy) {
        int stride = blockSize / ANCHOR_SLOTS / programSize * programSize;
        return Math.max(stride, align(2 * copy, programSize));
    }

    static byte[] anchor(long anchorSeq, long tail, long seqFloor, long legacyEnd, long deviceOffset, long regionSize,
            int blockSize, int programSize) {
        byte[] copy = new byte[ANCHOR];
        ByteBuffer b = ByteBuffer.wrap(copy);
        b.putInt(ANCHOR_MAGIC).put((byte) VERSION).put((byte) Integer.numberOfTrailingZeros(blockSize))
                .put((byte) Integer.numberOfTrailingZeros(programSize)).put((byte) 0).putInt((int) anchorSeq);
        byte[] id = new byte[8];
        byte[] name = PARTITION_ID.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, id, 0, name.length);
        b.put(id).putLong(tail).putLong(seqFloor).putLong(deviceOffset).putLong(regionSize).putLong(legacyEnd);
        b.putInt(crc(copy, 0, ANCHOR - 4));
        byte[] out = new byte[align(2 * ANCHOR, programSize)];
        Arrays.fill(out, (byte) 0xFF);
        System.arraycopy(copy, 0, out, 0, ANCHOR);
        System.arraycopy(copy, 0, out, ANCHOR, ANCHOR);
        return out;
    }

    /** Parses a format-3 anchor slot ({@code 2 * ANCHOR} bytes), or {@code null}. */
    static Anchor parseAnchor(byte[] both) {
        Anchor found = null;
        int valid = 0;
        ByteBuffer b = ByteBuffer.wrap(both);
        for (int copy = 0; copy < 2; copy++) {
            int at = copy * ANCHOR;
            if (b.getInt(at) != ANCHOR_MAGIC || (both[at + 4] & 0xFF) != VERSION
                    || crc(both, at, ANCHOR - 4) != b.getInt(at + ANCHOR - 4)) {
                continue;
            }
            int blockLog = both[at + 5];
            int programLog = both[at + 6];
            long tail = b.getLong(at + 20);
            if (tail < 0 || blockLog < 0 || blockLog > 30 || programLog < 0 || programLog > 30) {
                continue;
            }
            valid++;
            if (found == null) {
                int end = 0;
                while (end < 8 && both[at + 12 + end] != 0) {
                    end++;
                }
                String partition = new String(both, at + 12, end, StandardCharsets.US_ASCII);
                found = new Anchor(VERSION, b.getInt(at + 8) & 0xFFFFFFFFL, tail, b.getLong(at + 28), false, partition,
                        b.getLong(at + 36), b.getLong(at + 44), 1 << blockLog, 1 << programLog, b.getLong(at + 52));
            }
        }
        return found == null || valid == 2 ? found : withDamagedCopy(found);
    }

    /** Parses a format-2 anchor slot ({@code 2 * LEGACY_ANCHOR} bytes), or {@code null}. */
    static Anchor parseLegacyAnchor(byte[] both) {
        Anchor found = null;
        int valid = 0;
        ByteBuffer b = ByteBuffer.wrap(both);
        for (int copy = 0; copy < 2; copy++) {
            int at = copy * LEGACY_ANCHOR;
            if (b.getInt(at) != ANCHOR_MAGIC || (both[at + 4] & 0xFF) != LEGACY_VERSION
                    || crc(both, at, LEGACY_ANCHOR - 4) != b.getInt(at + LEGACY_ANCHOR - 4)) {
                continue;
            }
            long tail = b.getLong(at + 16);
            if (tail < 0) {
                continue;
            }
            valid++;
            if (found == null) {
                found = new Anchor(LEGACY_VERSION, b.getLong(at + 8), tail, b.getLong(at + 24), false, PARTITION_ID, -1, -1,
                        -1, -1, Long.MAX_VALUE);
            }
        }
        return found == null || valid == 2 ? found : withDamagedCopy(found);
    }

    private static Anchor withDamagedCopy(Anchor a) {
        return new Anchor(a.version(), a.anchorSeq(), a.tail(), a.seqFloor(), true, a.partition(), a.deviceOffset(),
                a.regionSize(), a.blockSize(), a.programSize(), a.legacyEnd());
    }

    /**
     * The version an anchor slot of a newer, unknown format names, or 0: both copies start with the
     * anchor magic and the same version byte above {@link #VERSION} (one flipped bit cannot make that).
     */
    static int newerVersion(byte[] both) {
        ByteBuffer b = ByteBuffer.wrap(both);
        int version = both[4] & 0xFF;
        if (b.getInt(0) == ANCHOR_MAGIC && b.getInt(ANCHOR) == ANCHOR_MAGIC && version > VERSION
                && (both[ANCHOR + 4] & 0xFF) == version) {
            return version;
        }
        return 0;
    }

    /** Whether {@code BLOCK_FORMAT_HEADER} bytes at {@code at} are a valid block header of format 1. */
    static boolean blockFormatHeader(ByteBuffer map, int at) {
        if (map.getInt(at) != BLOCK_FORMAT_MAGIC || (map.get(at + 4) & 0xFF) != BLOCK_FORMAT_VERSION) {
            return false;
        }
        byte[] one = new byte[BLOCK_FORMAT_HEADER];
        map.get(at, one);
        return crc(one, 0, BLOCK_FORMAT_HEADER - 4) == ByteBuffer.wrap(one).getInt(BLOCK_FORMAT_HEADER - 4);
    }
}
