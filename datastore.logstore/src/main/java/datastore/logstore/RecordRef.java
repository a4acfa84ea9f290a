package datastore.logstore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import datastore.Namespace;

/**
 * A record in the ring: its virtual extent, the views pinning it, and where each of its entries lies
 * on flash, in primitive columns (no object per entry): the compact index names an entry by its
 * record's id and its slot in the record ({@link #loc}). Slot 0 is kept in fields, so that a record
 * of one entry (a key written alone) allocates no array; slots from 1 on are in arrays. Columns are
 * written once, before the record is registered; only the flags change later. At mount, single
 * records lying back to back in one block share one such object as a run ({@link #run}), so that
 * keys written one by one cost their columns, not an object each.
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
    private final int extent;
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
    /** The entry count (25 bits), the kind (4 bits) and whether superseded markers follow the record. */
    private int shape;
    /** The revision of slot 0; the other slots' are kept as 32-bit differences from it. */
    private long revisionBase;
    /*
     * Per entry: value offset in the region and value length; name offset, name length, format and
     * namespace code; revision (from revisionBase) and value CRC. Slot 0's are the fields value0,
     * name0 and crc0 (its revision is revisionBase), its flags flags0 (through FLAGS0); the slots from
     * 1 on are in {@link More}, which a record of one entry does not have.
     */
    private long value0;
    private long name0;
    private int crc0;
    @SuppressWarnings("unused") // through FLAGS0
    private byte flags0;
    private More more;

    /** The columns of slots 1 and on: slot s has places[3s - 3 .. 3s - 1] and flags[s - 1]. */
    private static final class More {
        final long[] places;
        final byte[] flags;

        More(int slots) {
            places = new long[3 * slots];
            flags = new byte[slots];
        }
    }

    /** Counts up to 2^25 - 1: a header may state up to {@code MAX_ENTRIES_PER_RECORD} (2^24) entries. */
    private static final int COUNT_MASK = (1 << 25) - 1;
    private static final int KIND_SHIFT = 25;
    private static final int MARKERS = 1 << 29;
    private static final int RUN = 1 << 30;

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

    /** Notes that superseded markers follow the record, at the end of its extent. */
    void markers() {
        shape |= MARKERS;
    }

    /**
     * Notes that the record stands for a run of single records lying back to back in one block, as the
     * mount found them: slot {@code s} is the {@code s}-th record's entry, with its own header, trailer
     * and markers on flash. The index then keeps one object for the run instead of one a record, and
     * the run is pinned, sealed and passed by the tail as one record (it never spans two blocks); the
     * collector copies each of its live entries as the single record it was.
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
     * {@code slot}-th single record (its name follows its two header copies), else the record itself.
     */
    int recordAt(RingLayout layout, int slot) {
        return isRun() ? nameAt(slot) - 2 * LogFormat.HEADER : (int) layout.phys(start);
    }

    /** The extent of the record on flash that holds the entry at {@code slot} (see {@link #recordAt}). */
    int recordExtent(RingLayout layout, int slot) {
        if (!isRun()) {
            return extent;
        }
        return (int) layout.extent(LogFormat.KIND_SINGLE, LogFormat.singleLength(nameLength(slot), valueLength(slot)), 1,
                false);
    }

    /**
     * Region offset of the superseded markers (one bit per entry, cleared when superseded), the last
     * {@code markerSize(count)} bytes of its extent; -1 if it has none (format 2, a clear). For a
     * record that is not a run ({@link #markerAt(RingLayout, int)} serves both).
     */
    int markerAt(RingLayout layout) {
        if ((shape & MARKERS) == 0) {
            return -1;
        }
        return (int) (layout.phys(start) + extent - LogFormat.markerSize(count(), layout.programSize));
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
        return recordAt(layout, slot) + recordExtent(layout, slot) - LogFormat.markerSize(1, layout.programSize);
    }

    /** The bit of the entry at {@code slot} in the markers at {@link #markerAt(RingLayout, int)}. */
    int markerBit(int slot) {
        return isRun() ? 0 : slot;
    }

    /** The length of the markers at {@link #markerAt(RingLayout, int)}. */
    int markerBytes(int programSize) {
        return LogFormat.markerSize(isRun() ? 1 : count(), programSize);
    }

    /** Makes room for {@code count} entries (at most 2^25 - 1), to be filled from slot 0 on. */
    void entries(int count) {
        if (count < 0 || count > COUNT_MASK) {
            throw new IllegalArgumentException("a record of " + count + " entries");
        }
        this.shape = shape & ~COUNT_MASK | count;
        this.more = count > 1 ? new More(count - 1) : null;
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
            more.places[3 * slot - 3] = value;
            more.places[3 * slot - 2] = name;
            more.places[3 * slot - 1] = delta << 32 | (valueCrc & 0xFFFFFFFFL);
            more.flags[slot - 1] = (byte) flagBits;
        }
    }

    private long valueWord(int slot) {
        return slot == 0 ? value0 : more.places[3 * slot - 3];
    }

    private long nameWord(int slot) {
        return slot == 0 ? name0 : more.places[3 * slot - 2];
    }

    private byte flags(int slot) {
        return slot == 0 ? (byte) FLAGS0.getVolatile(this) : (byte) FLAGS.getVolatile(more.flags, slot - 1);
    }

    private boolean casFlags(int slot, byte old, byte now) {
        return slot == 0 ? FLAGS0.compareAndSet(this, old, now) : FLAGS.compareAndSet(more.flags, slot - 1, old, now);
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
        return slot == 0 ? revisionBase : revisionBase + (more.places[3 * slot - 1] >> 32);
    }

    int valueCrc(int slot) {
        return slot == 0 ? crc0 : (int) more.places[3 * slot - 1];
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
