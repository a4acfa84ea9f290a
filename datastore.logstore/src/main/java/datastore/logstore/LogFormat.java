package datastore.logstore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The on-flash format of the runtime partition (version 4; formats 3 and 2 read, format 1 recognised
 * to be refused): its constants, the arithmetic of record and anchor sizes, and the parsed header, so the
 * writer and the mount scan cannot drift apart. The bytes are written and read by {@link HeaderCodec},
 * {@link RecordCodec} and {@link AnchorCodec}, checked by {@link Checksums}; together they are the code
 * of the module's FORMAT.md.
 */
final class LogFormat {
    static final int VERSION = 4;
    /**
     * The format whose records and anchor slots format 4 keeps as they were, with records that carry
     * {@link #FLAG_MARKERS_LEAD}: its anchors are read, and its records bind the same identity.
     */
    static final int MARKERS_TRAIL_VERSION = 3;
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
    /**
     * Format 4: the record's superseded markers lie between its header copies and its body, not after
     * its commit words (FORMAT.md, "Markers lead"). Only single and batch records carry it.
     */
    static final int FLAG_MARKERS_LEAD = 4;
    static final int MAX_ENTRIES_PER_RECORD = 1 << 24;
    /**
     * What each entry counts against the capacity beyond its name and value bytes: its share of the
     * record it lives in (header, trailer, padding, markers). Sized so that any mix of entries whose
     * names, values and charges fit the capacity fits the region as {@link RingLayout#requiredBlocks}
     * sizes it; it is at least an entry's directory and marker bits in a batch, so a write that fits
     * the capacity is a record no longer than {@link RingLayout#maxRecord}.
     */
    static final int ENTRY_CHARGE = 40;

    static final int ANCHOR_MAGIC = 0x44535241; // "DSRA"
    /** One anchor copy of format 4 or 3 (the same fields), CRC included. */
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

    /**
     * A record's two header copies in whole program units: where a format-4 record's markers start,
     * and all a pad or tail record takes.
     */
    static int headerUnits(int programSize) {
        return align(2 * HEADER, programSize);
    }

    /** The bytes a pad header takes: the least room a record must leave before anything it cannot cross. */
    static int padSize(int programSize) {
        return headerUnits(programSize);
    }

    /** Bytes of a record's superseded markers: one bit per entry, in whole program units. */
    static int markerSize(int count, int programSize) {
        return count == 0 ? 0 : align((count + 7) / 8, programSize);
    }

    /**
     * Bytes between a format-4 record's header copies and its body: the rest of the program unit the
     * headers end in, then the markers of {@code count} entries.
     */
    static int lead(int count, int programSize) {
        return headerUnits(programSize) - 2 * HEADER + markerSize(count, programSize);
    }

    /**
     * The identity every record's header CRC covers before the header itself (formats 3 and 4): partition
     * id, the version byte 3 and the region's geometry, so a record read on another region, offset or
     * geometry fails its CRC and is never taken for one of this region's.
     */
    static byte[] identity(long deviceOffset, long regionSize, int blockSize, int programSize) {
        ByteBuffer b = ByteBuffer.allocate(8 + 1 + 8 + 8 + 4 + 4);
        b.put(PARTITION_ID.getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put((byte) MARKERS_TRAIL_VERSION)
                .putLong(deviceOffset).putLong(regionSize).putInt(blockSize).putInt(programSize);
        return b.array();
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

    /** The distance between anchor slots of a format: large enough for two copies, an eighth of a block. */
    static int anchorStride(int blockSize, int programSize, int copy) {
        int stride = blockSize / ANCHOR_SLOTS / programSize * programSize;
        return Math.max(stride, align(2 * copy, programSize));
    }

    /**
     * A parsed record header. For a single-entry record {@code count} is 1 and the entry's directory
     * fields are set; {@code length} is the record's unpadded length (for a pad, the bytes it skips),
     * and {@code lead} the bytes between its header copies and its body ({@link #lead(int, int)}; 0
     * unless its markers lead).
     */
    record Header(int kind, int flags, int lap, long seq, int count, long length, int runs, int namespaceCode,
            int format, int nameLength, int valueLength, int nameCrc, int valueCrc, boolean copyDamaged, long floor,
            boolean legacy, int lead) {

        /** Offset of the first name from the record's start. */
        long namesAt() {
            return (kind == KIND_SINGLE ? 2L * HEADER : metaSize(count, runs)) + lead;
        }

        /** Whether the record's markers lead its body (format 4) rather than follow its commit words. */
        boolean markersLead() {
            return (flags & FLAG_MARKERS_LEAD) != 0;
        }
    }
}
