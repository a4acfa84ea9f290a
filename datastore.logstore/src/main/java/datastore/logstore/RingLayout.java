package datastore.logstore;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

/**
 * The runtime region's geometry and sizing: where the anchor and the ring lie, how virtual positions
 * map onto the region, how much a record takes, and how many blocks a promise needs (the arithmetic is
 * in FORMAT.md, "Sizes and the region arithmetic"). Immutable.
 */
final class RingLayout {
    static final int ANCHOR_BLOCKS = 2;
    /**
     * The unit of the placement rule format 3 wrote by: a record's markers in the 4 KiB unit (the erase
     * block, if smaller) of its commit words. Format 4 needs no rule; the sizing still leaves room for
     * the pads of the format-3 records a region may hold until collection has passed them.
     */
    static final int DAMAGE_UNIT = 4096;

    final FlashRegion region;
    final int blockSize;
    final int programSize;
    final int padSize;
    /** Where a format-4 record's markers start from the record's start: its header copies, program-aligned. */
    final int markersLeadAt;
    /** {@link LogFormat#lead} of a single record. */
    final int singleLead;
    final long ringStart;
    final long ringSize;
    final long capacity;
    /** The most entries the capacity can count, each charged at least {@link #minimumCharge()} bytes. */
    final int maxEntries;
    final int maxRecord;
    final long viewWaitMillis;
    /**
     * Whether the index gathers single records into runs ({@link RecordRef#run}); off only for tests
     * that check runs change nothing on flash ({@link LogStore#withoutRuns}).
     */
    boolean runs = true;
    final int anchorStride;
    final int anchorSlots;
    final int legacyAnchorStride;
    /** What every record's header CRC covers first: partition id, version, geometry (see LogFormat#identity). */
    final byte[] identity;
    final int blocks;

    /**
     * @throws IllegalArgumentException if the region is too small for the capacity, naming the numbers
     */
    RingLayout(FlashRegion region, long capacity, long viewWaitMillis) {
        this.region = region;
        FlashGeometry geometry = region.geometry();
        this.blockSize = geometry.eraseBlockSize();
        this.programSize = geometry.programSize();
        this.padSize = LogFormat.padSize(programSize);
        this.markersLeadAt = LogFormat.headerUnits(programSize);
        this.singleLead = LogFormat.lead(1, programSize);
        this.capacity = capacity;
        this.viewWaitMillis = viewWaitMillis;
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " is negative");
        }
        this.maxEntries = maxEntries(capacity);
        if (Integer.bitCount(blockSize) != 1 || Integer.bitCount(programSize) != 1) {
            throw new IllegalArgumentException("the runtime log needs power-of-two erase blocks and program units, not "
                    + blockSize + " and " + programSize);
        }
        if (blockSize < 8 * padSize || blockSize < 2 * LogFormat.ANCHOR * 2) {
            throw new IllegalArgumentException("erase block of " + blockSize + " bytes is too small for the runtime log");
        }
        long required = requiredBlocks(capacity, geometry);
        if (geometry.blocks() < required) {
            throw new IllegalArgumentException("runtime region \"" + region.name() + "\" of " + geometry.size() + " bytes ("
                    + geometry.blocks() + " blocks of " + blockSize + ") is too small for a capacity of " + capacity
                    + " bytes (names, values and " + LogFormat.ENTRY_CHARGE + " bytes an entry): it needs at least "
                    + required + " blocks ("
                    + required * blockSize + " bytes)");
        }
        this.maxRecord = maxRecord(capacity, programSize);
        this.ringStart = (long) ANCHOR_BLOCKS * blockSize;
        this.ringSize = geometry.size() - ringStart;
        this.anchorStride = LogFormat.anchorStride(blockSize, programSize, LogFormat.ANCHOR);
        this.legacyAnchorStride = LogFormat.anchorStride(blockSize, programSize, LogFormat.LEGACY_ANCHOR);
        this.identity = LogFormat.identity(region.deviceOffset(), geometry.size(), blockSize, programSize);
        this.anchorSlots = blockSize / anchorStride;
        this.blocks = geometry.blocks();
    }

    /** The least an entry counts against the capacity: a one-byte name, no value, the entry charge. */
    static int minimumCharge() {
        return 1 + LogFormat.ENTRY_CHARGE;
    }

    /**
     * The most entries {@code capacity} can count (and so the most one write may carry): one for every
     * {@link #minimumCharge()} bytes, within the format's limit on one record.
     */
    static int maxEntries(long capacity) {
        return (int) Math.max(1, Math.min(LogFormat.MAX_ENTRIES_PER_RECORD, capacity / minimumCharge()));
    }

    /**
     * The longest record one write may produce. A write counts at most the capacity (names, values, and
     * the entry charge of each entry, removals included), and an entry's directory and marker bits in a
     * record take less than its charge ({@link LogFormat#ENTRY_CHARGE}), so no record is longer than a
     * batch carrying the whole capacity in names and values, plus the rounding of its markers and the
     * rest of the program unit its header copies end in (none with program units up to 64 bytes). The
     * collector's copies of a record are never longer than the record.
     */
    static int maxRecord(long capacity, int programSize) {
        long length = LogFormat.batchLength(0, 1, 0, capacity) + LogFormat.lead(1, programSize);
        if (length > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("a capacity of " + capacity + " bytes is more than one region can hold");
        }
        return LogFormat.align(length, programSize);
    }

    /**
     * The blocks a region needs so that a capacity of {@code capacity} bytes (names, values and the
     * entry charge) always fits, whatever the mix and the history of writes. The ring must hold: the
     * live entries as the collector leaves them (every entry in a record of its own at worst, or a pair
     * of copies sharing a record: header, the rest of its program unit, a program unit of markers,
     * trailer and program-size padding per entry, of which the entry charge is already counted, for the
     * most entries the capacity counts); the largest write (one batch carrying the whole capacity,
     * {@link #maxRecord}); room for the collector to copy the largest record; and, once per lap, the
     * end of the ring a record did not fit into (at most another largest record) - together three
     * largest records; plus the partly used blocks at head and tail and their pads. Format 3 placed its
     * records so that their markers stayed in the 4 KiB unit of their commit words, with pads; format 4
     * needs no such pads, but a region keeps format-3 records until collection passes them, so the
     * ring also holds those pads (at most one per unit boundary, a pad, two program units and a
     * trailer long, or, for a record with more markers than a pad, that record's markers more: at most
     * an eighth of a byte for each entry of four capacities). Two more blocks hold the anchor. Format 4
     * records are no longer than format 3's with program units up to 64 bytes, so the count is the one
     * format 3 had for them: a region sized by an earlier build keeps its promise.
     */
    static long requiredBlocks(long capacity, FlashGeometry geometry) {
        int program = geometry.programSize();
        long block = geometry.eraseBlockSize();
        long single = LogFormat.singleLength(0, 0) + LogFormat.lead(1, program) + program - 1;
        long pair = (LogFormat.batchLength(2, 2, 0, 0) + LogFormat.lead(2, program) + program - 1 + 1) / 2;
        long perEntry = Math.max(single, pair);
        // Live entries across writes are not bounded by one record's limit: count them all.
        long most = Math.max(1, capacity / minimumCharge());
        long live = capacity + most * Math.max(0, perEntry - LogFormat.ENTRY_CHARGE);
        long record = maxRecord(capacity, program);
        int pad = LogFormat.padSize(program);
        long ring = live + 3 * record + 4 * block + 4L * pad
                + 4L * (maxEntries(capacity) / 8 + 2L * program + LogFormat.TRAILER);
        long unit = Math.min(block, DAMAGE_UNIT);
        long perBoundary = pad + 2L * program + LogFormat.TRAILER;
        ring = (ring * unit + (unit - perBoundary) - 1) / (unit - perBoundary);
        return ANCHOR_BLOCKS + (ring + block - 1) / block;
    }

    // Virtual positions count bytes over all laps of the ring.

    long phys(long v) {
        return ringStart + Math.floorMod(v, ringSize);
    }

    long lapOf(long v) {
        return Math.floorDiv(v, ringSize);
    }

    /** The low 16 bits of the lap, as record headers carry it. */
    int lap16(long v) {
        return (int) (lapOf(v) & 0xFFFF);
    }

    long ringEndAfter(long v) {
        return (lapOf(v) + 1) * ringSize;
    }

    long blockStart(long v) {
        return v - Math.floorMod(v, blockSize);
    }

    int blockAt(long v) {
        return (int) (phys(v) / blockSize);
    }

    /** The ring offset of a virtual position, as problems name it. */
    long ringOffset(long v) {
        return phys(v) - ringStart;
    }

    /** The bytes a record takes in the ring: its padded length and its markers, or what a pad skips. */
    long extent(LogFormat.Header header) {
        if (header.markersLead()) {
            // Format 4: the length counts the markers, which lead the body.
            return (header.length() + programSize - 1) / programSize * programSize;
        }
        return extent(header.kind(), header.length(), header.count(), header.legacy());
    }

    /** The extent of a single record of these lengths, of format 4 ({@code markersLead}) or 3. */
    long singleExtent(int nameLength, int valueLength, boolean markersLead) {
        long length = LogFormat.singleLength(nameLength, valueLength);
        return markersLead ? (length + singleLead + programSize - 1) / programSize * programSize
                : extent(LogFormat.KIND_SINGLE, length, 1, false);
    }

    /**
     * The extent of a record of format 3 or 2 of this kind, length and entry count. In long
     * arithmetic: a header may state any length its fields hold (a crafted one passes its CRC), and an
     * extent beyond the ring must come out as one, never wrap to a small or negative number that would
     * pass the checks (format 4's extents are computed in long arithmetic too).
     */
    long extent(int kind, long length, int count, boolean legacy) {
        if (kind == LogFormat.KIND_PAD) {
            return length;
        }
        if (kind == LogFormat.KIND_TAIL) {
            return padSize;
        }
        return (length + programSize - 1) / programSize * programSize
                + (legacy ? 0 : LogFormat.markerSize(count, programSize));
    }

    /** Records without a trailer: pads and tail records. */
    static boolean headerOnly(LogFormat.Header header) {
        return header.kind() == LogFormat.KIND_PAD || header.kind() == LogFormat.KIND_TAIL;
    }

    /** This region's geometry and identity, as refusals name it. */
    String describe() {
        return "partition \"" + LogFormat.PARTITION_ID + "\" format " + LogFormat.VERSION + " at device offset "
                + region.deviceOffset() + ", " + region.geometry().size() + " bytes, erase blocks of " + blockSize
                + ", program unit " + programSize;
    }
}
