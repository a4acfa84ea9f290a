package datastore.logstore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import datastore.Namespace;

/**
 * A record in the ring: its virtual extent, the views pinning it, and where each of its entries lies
 * on flash, in primitive columns (no object per entry): the compact index names an entry by its
 * record's id and its slot in the record ({@link #loc}). Slot 0 is kept in fields, so that a record
 * of one entry (a key written alone) allocates no array; slots from 1 on are in arrays. Columns are
 * written once, before the record is registered; only the flags change later, and a run's slots
 * are added at its end. Single records lying back to back in one block share one such object as a
 * run ({@link #run}), so that keys written one by one cost their columns, not an object each.
 */
final class RecordRef {
    /** The entry is a removal. */
    static final int REMOVAL = 1;
    /** The entry's stored name matched its CRC (or was identified by it): it has a name. */
    static final int NAMED = 2;
    /** The stored name is damaged, identified by its CRC; the name is kept aside (see EntryTable#renamed). */
    static final int RENAMED = 4;
    /** The value matched its CRC: checked at mount, by the first open after a write, or when copied. */
    static final int VERIFIED = 8;
    /** The value failed its CRC; reads report it as corrupted. */
    static final int DAMAGED = 16;
    /** A durable newer write marked this version superseded, but it is no longer readable. */
    static final int SUPERSEDED = 32;
    /** The damage has been reported in problems(), so it is reported once. */
    static final int REPORTED = 64;

    private static final VarHandle FLAGS = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final VarHandle FLAGS0;
    private static final VarHandle PINS;

    static {
        try {
            PINS = MethodHandles.lookup().findVarHandle(RecordRef.class, "pins", int.class);
            FLAGS0 = MethodHandles.lookup().findVarHandle(RecordRef.class, "flags0", byte.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Virtual position of the record's start; its extent is at most the ring's size. */
    final long start;
    /** Grows only while the writer appends single records to the run at the head ({@link #grow}). */
    private int extent;
    /**
     * The collection pass that wrote it, or 0, in 16 bits; compared for equality only, with the pass
     * under way (which may wrap: a record outlives at most a few passes, each moving the tail a
     * sixteenth of the ring).
     */
    private final short pass;
    /** Open views; -1 once sealed for erasing, after which it can never be pinned again (through {@link #PINS}). */
    private volatile int pins;
    /** The id the index names the record by; 0 while unregistered. */
    int id;
    /**
     * The entry count (25 bits), the kind (4 bits), whether it has superseded markers, whether a run,
     * whether its markers lead.
     */
    private int shape;
    /** The revision of slot 0; the other slots' are kept as 32-bit differences from it. */
    private long revisionBase;
    /*
     * Per entry: value offset in the region and value length; name offset, name length, format and
     * namespace code; revision (from revisionBase) and value CRC. Slot 0's are the fields value0,
     * name0 and crc0 (its revision is revisionBase), its flags flags0 (through FLAGS0); the slots from
     * 1 on are in places and flagChunks, which a record of one entry does not have.
     */
    private long value0;
    private long name0;
    private int crc0;
    @SuppressWarnings("unused") // through FLAGS0
    private byte flags0;
    /**
     * Slot s from 1 on has places[3s - 3 .. 3s - 1]. Replaced (by a copy with room for more, or trimmed)
     * only while a run grows; volatile, so a reader that follows a published location sees its slot.
     */
    private volatile long[] places;
    /**
     * Slot s from 1 on has its flags at [(s - 1) / FLAG_CHUNK][(s - 1) % FLAG_CHUNK]. Chunks are never
     * copied, so a flag a reader sets while a run grows is never lost; a run's chunks are whole, a
     * record of known count sizes its last chunk exactly.
     */
    private volatile byte[][] flagChunks;

    private static final int FLAG_CHUNK = 64;

    /** Counts up to 2^25 - 1: a header may state up to {@code MAX_ENTRIES_PER_RECORD} (2^24) entries. */
    private static final int COUNT_MASK = (1 << 25) - 1;
    private static final int KIND_SHIFT = 25;
    private static final int MARKERS = 1 << 29;
    private static final int RUN = 1 << 30;
    private static final int LEAD = 1 << 31;

    RecordRef(long start, long end, int kind, long pass) {
        if (end - start < 0 || end - start > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a record from " + start + " to " + end);
        }
        this.start = start;
        this.extent = (int) (end - start);
        this.shape = (kind & 0xF) << KIND_SHIFT;
        this.pass = (short) pass;
    }

    /** Virtual position after the record's extent (its markers included). */
    long end() {
        return start + extent;
    }

    int kind() {
        return shape >>> KIND_SHIFT & 0xF;
    }

    int count() {
        return shape & COUNT_MASK;
    }

    /** Whether the record was written by collection pass {@code pass} (compared in 16 bits). */
    boolean writtenBy(long pass) {
        return this.pass == (short) pass;
    }

    /** Notes that superseded markers follow the record, at the end of its extent (format 3). */
    void markers() {
        shape |= MARKERS;
    }

    /** Notes that the record's superseded markers lead its body, after its header copies (format 4). */
    void markersLead() {
        shape |= MARKERS | LEAD;
    }

    private boolean lead() {
        return (shape & LEAD) != 0;
    }

    /**
     * Notes that the record stands for a run of single records lying back to back in one block, as the
     * mount found them or the writer appended them: slot {@code s} is the {@code s}-th record's entry,
     * with its own header, trailer and markers on flash. The index then keeps one object for the run
     * instead of one a record; the run is pinned and sealed as one record (it never spans two blocks),
     * and the collector copies each of its live entries as the single record it was, splitting the
     * run ({@link #split}) where its pass would have stopped among the records.
     */
    void run() {
        shape |= RUN | MARKERS;
    }

    /** Whether the record stands for a run of single records ({@link #run}). */
    boolean isRun() {
        return (shape & RUN) != 0;
    }

    /**
     * Region offset of the record on flash that holds the entry at {@code slot}: the run's
     * {@code slot}-th single record (its name follows its two header copies and, in format 4, its
     * lead), else the record itself.
     */
    int recordAt(RingLayout layout, int slot) {
        if (!isRun()) {
            return (int) layout.phys(start);
        }
        return nameAt(slot) - 2 * LogFormat.HEADER - (lead() ? layout.singleLead : 0);
    }

    /** The extent of the record on flash that holds the entry at {@code slot} (see {@link #recordAt}). */
    int recordExtent(RingLayout layout, int slot) {
        if (!isRun()) {
            return extent;
        }
        return (int) layout.singleExtent(nameLength(slot), valueLength(slot), lead());
    }

    /**
     * Region offset of the superseded markers (one bit per entry, cleared when superseded): after the
     * header copies (format 4), or the last {@code markerSize(count)} bytes of its extent (format 3);
     * -1 if it has none (format 2, a clear). For a record that is not a run
     * ({@link #markerAt(RingLayout, int)} serves both).
     */
    int markerAt(RingLayout layout) {
        if ((shape & MARKERS) == 0) {
            return -1;
        }
        return (int) (layout.phys(start) + (lead() ? layout.markersLeadAt
                : extent - LogFormat.markerSize(count(), layout.programSize)));
    }

    /**
     * Region offset of the markers that hold the superseded bit of the entry at {@code slot} (bit
     * {@link #markerBit} of them, {@link #markerBytes} long); -1 if the record has none. A run's entry
     * has the markers of its own single record.
     */
    int markerAt(RingLayout layout, int slot) {
        if (!isRun()) {
            return markerAt(layout);
        }
        int at = recordAt(layout, slot);
        return lead() ? at + layout.markersLeadAt
                : at + recordExtent(layout, slot) - LogFormat.markerSize(1, layout.programSize);
    }

    /** The bit of the entry at {@code slot} in the markers at {@link #markerAt(RingLayout, int)}. */
    int markerBit(int slot) {
        return isRun() ? 0 : slot;
    }

    /** The length of the markers at {@link #markerAt(RingLayout, int)}. */
    int markerBytes(int programSize) {
        return LogFormat.markerSize(isRun() ? 1 : count(), programSize);
    }

    /** Makes room for {@code count} entries (at most 2^25 - 1), to be filled from slot 0 on; a run's after {@link #run}. */
    void entries(int count) {
        if (count < 0 || count > COUNT_MASK) {
            throw new IllegalArgumentException("a record of " + count + " entries");
        }
        this.shape = shape & ~COUNT_MASK | count;
        if (count > 1) {
            int slots = count - 1;
            byte[][] chunks = new byte[(slots + FLAG_CHUNK - 1) / FLAG_CHUNK][];
            for (int c = 0; c < chunks.length; c++) {
                // A run may grow ({@link #grow}): its last chunk is whole, so growing never copies one.
                chunks[c] = new byte[isRun() ? FLAG_CHUNK : Math.min(FLAG_CHUNK, slots - c * FLAG_CHUNK)];
            }
            flagChunks = chunks;
            places = new long[3 * slots];
        } else {
            flagChunks = null;
            places = null;
        }
    }

    /**
     * Whether the single record of {@code recordExtent} bytes and revision {@code revision} that the
     * writer places at {@code at}, written by collection pass {@code pass} (0 for a write), may join
     * this record as the next slot of a run: this is a single record or a run of the same pass, not
     * sealed, ending at {@code at}; the joined run stays in the block where it starts and within
     * {@link SingleRun#MAX} records, its revisions within {@link SingleRun#REVISION_SPAN} of its first. The
     * mount's rule ({@link SingleRun}), so a run never holds more than the mount would have given it.
     */
    boolean canTake(RingLayout layout, long at, int recordExtent, long revision, long pass) {
        int count = count();
        long delta = revision - revisionBase;
        return kind() == LogFormat.KIND_SINGLE && lead() && writtenBy(pass) && pins >= 0
                && count >= 1 && count < SingleRun.MAX && end() == at
                && layout.blockStart(start) == layout.blockStart(at + recordExtent - 1)
                && Math.abs(delta) <= SingleRun.REVISION_SPAN;
    }

    /**
     * The writer's: adds a slot for the single record of {@code recordExtent} bytes just placed after
     * the record's extent (see {@link #canTake}), making it a run; returns the slot, to be filled with
     * {@link #entry} before the index names it.
     */
    int grow(int recordExtent) {
        int slot = count();
        long[] p = places;
        if (p == null || p.length < 3 * slot) {
            long[] bigger = new long[3 * Math.max(7, 2 * slot)];
            if (p != null) {
                System.arraycopy(p, 0, bigger, 0, p.length);
            }
            places = bigger;
        }
        byte[][] chunks = flagChunks;
        int chunk = (slot - 1) / FLAG_CHUNK;
        if (chunks == null || chunk >= chunks.length) {
            byte[][] more = chunks == null ? new byte[1][] : java.util.Arrays.copyOf(chunks, chunks.length + 1);
            more[more.length - 1] = new byte[FLAG_CHUNK];
            flagChunks = more;
        }
        extent += recordExtent;
        shape = shape & ~COUNT_MASK | RUN | MARKERS | slot + 1;
        return slot;
    }

    /** The writer's, once a run stops growing: gives back the room {@link #grow} kept for more slots. */
    void trim() {
        long[] p = places;
        int needed = 3 * (count() - 1);
        if (p != null && p.length > needed) {
            places = java.util.Arrays.copyOf(p, needed);
        }
    }

    /** Virtual position of the record on flash that holds the entry at {@code slot} (see {@link #recordAt}). */
    long recordStart(RingLayout layout, int slot) {
        return start + (recordAt(layout, slot) - layout.phys(start));
    }

    /**
     * The collector's: a new run (or single record) for this run's slots from {@code from} on, with
     * their columns and flags, to stand for them once the index names them there; this record keeps
     * every slot, so views and marks on it stay valid until its block is erased.
     */
    RecordRef split(RingLayout layout, int from) {
        int count = count();
        RecordRef rest = new RecordRef(recordStart(layout, from), end(), LogFormat.KIND_SINGLE, pass);
        rest.shape |= shape & LEAD;
        if (count - from > 1) {
            rest.run();
        } else {
            rest.markers();
        }
        rest.entries(count - from);
        for (int s = from; s < count; s++) {
            rest.entry(s - from, namespaceCode(s), format(s), nameAt(s), nameLength(s), valueAt(s), valueLength(s),
                    revision(s), valueCrc(s), flags(s));
        }
        return rest;
    }

    /** Fills a slot; slot 0 first, whose revision the others' are kept relative to (within 2^31). */
    void entry(int slot, int namespaceCode, int format, long nameAt, int nameLength, long valueAt, int valueLength,
            long revision, int valueCrc, int flagBits) {
        long value = valueAt << 32 | (valueLength & 0xFFFFFFFFL);
        long name = nameAt << 32 | (long) (nameLength & 0xFFFF) << 16 | (format & 0xFF) << 8 | namespaceCode & 0xFF;
        if (slot == 0) {
            revisionBase = revision;
            value0 = value;
            name0 = name;
            crc0 = valueCrc;
            FLAGS0.set(this, (byte) flagBits);
        } else {
            long delta = revision - revisionBase;
            if (delta < Integer.MIN_VALUE || delta > Integer.MAX_VALUE) {
                throw new IllegalStateException("revision " + revision + " is too far from its record's " + revisionBase);
            }
            long[] p = places;
            p[3 * slot - 3] = value;
            p[3 * slot - 2] = name;
            p[3 * slot - 1] = delta << 32 | (valueCrc & 0xFFFFFFFFL);
            FLAGS.setVolatile(flagChunks[(slot - 1) / FLAG_CHUNK], (slot - 1) % FLAG_CHUNK, (byte) flagBits);
        }
    }

    private long valueWord(int slot) {
        return slot == 0 ? value0 : places[3 * slot - 3];
    }

    private long nameWord(int slot) {
        return slot == 0 ? name0 : places[3 * slot - 2];
    }

    private byte flags(int slot) {
        return slot == 0 ? (byte) FLAGS0.getVolatile(this)
                : (byte) FLAGS.getVolatile(flagChunks[(slot - 1) / FLAG_CHUNK], (slot - 1) % FLAG_CHUNK);
    }

    private boolean casFlags(int slot, byte old, byte now) {
        return slot == 0 ? FLAGS0.compareAndSet(this, old, now)
                : FLAGS.compareAndSet(flagChunks[(slot - 1) / FLAG_CHUNK], (slot - 1) % FLAG_CHUNK, old, now);
    }

    /** The index's name for an entry: record id and slot. */
    long loc(int slot) {
        return (long) id << EntryTable.SLOT_BITS | slot;
    }

    int valueAt(int slot) {
        return (int) (valueWord(slot) >>> 32);
    }

    int valueLength(int slot) {
        return (int) valueWord(slot);
    }

    int nameAt(int slot) {
        return (int) (nameWord(slot) >>> 32);
    }

    int nameLength(int slot) {
        return (int) (nameWord(slot) >>> 16 & 0xFFFF);
    }

    int format(int slot) {
        return (int) (nameWord(slot) >>> 8 & 0xFF);
    }

    int namespaceCode(int slot) {
        return (int) (nameWord(slot) & 0xFF);
    }

    Namespace namespace(int slot) {
        return Namespace.ofCode(namespaceCode(slot));
    }

    long revision(int slot) {
        return slot == 0 ? revisionBase : revisionBase + (places[3 * slot - 1] >> 32);
    }

    int valueCrc(int slot) {
        return slot == 0 ? crc0 : (int) places[3 * slot - 1];
    }

    /** What the entry counts against the capacity: name and value bytes and the entry charge; 0 for a removal. */
    long charge(int slot) {
        return is(slot, REMOVAL) ? 0 : (long) nameLength(slot) + valueLength(slot) + LogFormat.ENTRY_CHARGE;
    }

    boolean is(int slot, int flag) {
        return (flags(slot) & flag) != 0;
    }

    /** Sets flags; true if none of {@code flag} was set before (so a report is made once). */
    boolean set(int slot, int flag) {
        while (true) {
            byte old = flags(slot);
            if ((old & flag) == flag) {
                return false;
            }
            if (casFlags(slot, old, (byte) (old | flag))) {
                return (old & flag) == 0;
            }
        }
    }

    void clear(int slot, int flag) {
        while (true) {
            byte old = flags(slot);
            if (casFlags(slot, old, (byte) (old & ~flag))) {
                return;
            }
        }
    }

    /** Pins the record for a view; false once it is sealed for erasing. */
    boolean pin() {
        while (true) {
            int n = pins;
            if (n < 0) {
                return false;
            }
            if (PINS.compareAndSet(this, n, n + 1)) {
                return true;
            }
        }
    }

    /** Releases a view's pin; the views left. */
    int unpin() {
        return (int) PINS.getAndAdd(this, -1) - 1;
    }

    /** Open views, or -1 once sealed. */
    int pinCount() {
        return pins;
    }

    /** Seals the record for erasing: true if no view holds it (it can never be pinned again). */
    boolean seal() {
        return PINS.compareAndSet(this, 0, -1) || pins < 0;
    }

    boolean sealed() {
        return pins < 0;
    }
}
