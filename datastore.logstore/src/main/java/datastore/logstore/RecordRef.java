package datastore.logstore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import datastore.Namespace;

/**
 * A record in the ring: its virtual extent, the views pinning it, and where each of its entries lies
 * on flash, in primitive columns (no object per entry): the compact index names an entry by its
 * record's id and its slot in the record ({@link #loc}). Columns are written once, before the record
 * is registered; only the flags change later.
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
    private static final VarHandle PINS;
    private static final long[] NO_LONGS = new long[0];
    private static final byte[] NO_BYTES = new byte[0];

    static {
        try {
            PINS = MethodHandles.lookup().findVarHandle(RecordRef.class, "pins", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long start;
    final long end;
    final int kind;
    /** The collection that wrote it, or 0. */
    final long pass;
    /** Open views; -1 once sealed for erasing, after which it can never be pinned again (through {@link #PINS}). */
    private volatile int pins;
    /** Region offset of the record's superseded markers (one bit per entry, cleared when superseded); -1: none. */
    long markerAt = -1;
    /** The id the index names the record by; 0 while unregistered. */
    int id;

    int count;
    private long revisionBase;
    /**
     * Three longs per entry, in one array so that a record of one entry costs little: value offset in
     * the region and value length; name offset, name length, format and namespace code; revision (from
     * {@link #revisionBase}) and value CRC.
     */
    private long[] places = NO_LONGS;
    private byte[] flags = NO_BYTES;

    RecordRef(long start, long end, int kind, long pass) {
        this.start = start;
        this.end = end;
        this.kind = kind;
        this.pass = pass;
    }

    /** Makes room for {@code count} entries whose revisions lie within 2^31 of {@code revisionBase}. */
    void entries(int count, long revisionBase) {
        this.count = count;
        this.revisionBase = revisionBase;
        this.places = new long[3 * count];
        this.flags = new byte[count];
    }

    void entry(int slot, int namespaceCode, int format, long nameAt, int nameLength, long valueAt, int valueLength,
            long revision, int valueCrc, int flagBits) {
        long delta = revision - revisionBase;
        if (delta < Integer.MIN_VALUE || delta > Integer.MAX_VALUE) {
            throw new IllegalStateException("revision " + revision + " is too far from its record's " + revisionBase);
        }
        places[3 * slot] = valueAt << 32 | (valueLength & 0xFFFFFFFFL);
        places[3 * slot + 1] = nameAt << 32 | (long) (nameLength & 0xFFFF) << 16 | (format & 0xFF) << 8
                | namespaceCode & 0xFF;
        places[3 * slot + 2] = delta << 32 | (valueCrc & 0xFFFFFFFFL);
        flags[slot] = (byte) flagBits;
    }

    /** The index's name for an entry: record id and slot. */
    long loc(int slot) {
        return (long) id << EntryTable.SLOT_BITS | slot;
    }

    int valueAt(int slot) {
        return (int) (places[3 * slot] >>> 32);
    }

    int valueLength(int slot) {
        return (int) places[3 * slot];
    }

    int nameAt(int slot) {
        return (int) (places[3 * slot + 1] >>> 32);
    }

    int nameLength(int slot) {
        return (int) (places[3 * slot + 1] >>> 16 & 0xFFFF);
    }

    int format(int slot) {
        return (int) (places[3 * slot + 1] >>> 8 & 0xFF);
    }

    int namespaceCode(int slot) {
        return (int) (places[3 * slot + 1] & 0xFF);
    }

    Namespace namespace(int slot) {
        return Namespace.ofCode(namespaceCode(slot));
    }

    long revision(int slot) {
        return revisionBase + (places[3 * slot + 2] >> 32);
    }

    int valueCrc(int slot) {
        return (int) places[3 * slot + 2];
    }

    /** What the entry counts against the capacity: name and value bytes and the entry charge; 0 for a removal. */
    long charge(int slot) {
        return is(slot, REMOVAL) ? 0 : (long) nameLength(slot) + valueLength(slot) + LogFormat.ENTRY_CHARGE;
    }

    boolean is(int slot, int flag) {
        return ((byte) FLAGS.getVolatile(flags, slot) & flag) != 0;
    }

    /** Sets flags; true if none of {@code flag} was set before (so a report is made once). */
    boolean set(int slot, int flag) {
        while (true) {
            byte old = (byte) FLAGS.getVolatile(flags, slot);
            if ((old & flag) == flag) {
                return false;
            }
            if (FLAGS.compareAndSet(flags, slot, old, (byte) (old | flag))) {
                return (old & flag) == 0;
            }
        }
    }

    void clear(int slot, int flag) {
        while (true) {
            byte old = (byte) FLAGS.getVolatile(flags, slot);
            if (FLAGS.compareAndSet(flags, slot, old, (byte) (old & ~flag))) {
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
