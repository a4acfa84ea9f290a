package datastore.logstore;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The compact index: an open-addressing table (linear probing) of one {@code long} per name, packing 16
 * bits of the name's hash with the location of its current version (record id and slot, see
 * {@link RecordRef#loc}), and the records by id. Names are not kept on the heap: a hash match is
 * confirmed against the name's bytes on flash ({@link NameHash}). Removals stay in the table (flagged
 * in their record) until the tail passes them, so the writer still knows what they superseded.
 *
 * <p>Only the writer changes the table, and only inside a publication window of {@link LiveIndex}, so
 * a reader that read it between two equal, even publication counts saw one consistent state; a
 * reader that raced a change may see garbage (an id reused, a slot of another record), which every
 * method here tolerates, and retries. Record ids are reused only after the table stopped naming them.
 */
final class EntryTable {
    static final int SLOT_BITS = 24;
    static final int ID_BITS = 24;
    private static final long LOC_MASK = (1L << (SLOT_BITS + ID_BITS)) - 1;
    private static final int MIN_SLOTS = 1024;

    private volatile long[] slots = new long[MIN_SLOTS];
    private volatile RecordRef[] records = new RecordRef[64];
    private int[] freeIds = new int[16];
    private int freeCount;
    private int nextId = 1;
    /** Occupied slots (removals included). */
    private int size;
    /** Entries that are not removals, per namespace code. */
    final int[] liveByNamespace = new int[256];
    /** What the entries that are not removals count against the capacity ({@link RecordRef#charge}). */
    long liveCharge;
    /** Names of entries whose stored name is damaged but was identified by its CRC at mount: loc to name. */
    final ConcurrentHashMap<Long, String> renamed = new ConcurrentHashMap<>();
    /** The mapped region; set at mount. */
    ByteBuffer map;
    /** The writer's buffer for a name read from flash (names are at most 255 bytes). */
    private final byte[] nameBuffer = new byte[256];

    // ------------------------------------------------------------------------------------------
    // Names of entries: hashed and compared by NameHash, from flash or from the damaged-name map.

    /** The hash of the name bytes at region offset {@code at}; the writer's (it reuses one buffer). */
    private int hashAt(int namespaceCode, int at, int length) {
        map.get(at, nameBuffer, 0, length);
        return NameHash.hash(namespaceCode, nameBuffer, length);
    }

    /** The entry's name: from flash, or the one identified by its CRC when the stored bytes are damaged. */
    String name(RecordRef ref, int slot) {
        if (ref.is(slot, RecordRef.RENAMED)) {
            return renamed.get(ref.loc(slot));
        }
        byte[] bytes = new byte[ref.nameLength(slot)];
        map.get(ref.nameAt(slot), bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The hash of the entry's name. */
    int hash(RecordRef ref, int slot) {
        if (ref.is(slot, RecordRef.RENAMED)) {
            return NameHash.hash(ref.namespaceCode(slot), renamed.get(ref.loc(slot)));
        }
        return hashAt(ref.namespaceCode(slot), ref.nameAt(slot), ref.nameLength(slot));
    }

    private boolean matches(RecordRef ref, int slot, int namespaceCode, String name) {
        if (slot >= ref.count() || ref.namespaceCode(slot) != namespaceCode) {
            return false;
        }
        if (ref.is(slot, RecordRef.RENAMED)) {
            return name.equals(renamed.get(ref.loc(slot)));
        }
        return NameHash.nameEquals(map, ref.nameAt(slot), ref.nameLength(slot), name);
    }

    private boolean matches(RecordRef ref, int slot, int namespaceCode, int at, int length) {
        if (slot >= ref.count() || ref.namespaceCode(slot) != namespaceCode) {
            return false;
        }
        if (ref.is(slot, RecordRef.RENAMED)) {
            String name = renamed.get(ref.loc(slot));
            return name != null && NameHash.nameEquals(map, at, length, name);
        }
        int other = ref.nameAt(slot);
        if (ref.nameLength(slot) != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (map.get(other + i) != map.get(at + i)) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // Records by id

    /** Gives {@code ref} an id, by which the table names its entries. */
    void register(RecordRef ref) {
        int id;
        if (freeCount > 0) {
            id = freeIds[--freeCount];
        } else {
            id = nextId++;
            if (id >= 1 << ID_BITS) {
                throw new IllegalStateException("more than " + ((1 << ID_BITS) - 1) + " records in the runtime ring");
            }
            if (id >= records.length) {
                records = Arrays.copyOf(records, records.length * 2);
            }
        }
        ref.id = id;
        records[id] = ref;
    }

    /** Frees a record's id: call once the table no longer names it (after the window that removed its entries). */
    void unregister(RecordRef ref) {
        if (ref.id == 0) {
            return;
        }
        records[ref.id] = null;
        if (freeCount == freeIds.length) {
            freeIds = Arrays.copyOf(freeIds, freeCount * 2);
        }
        freeIds[freeCount++] = ref.id;
        ref.id = 0;
    }

    /** The record a location names, or null (a reader racing a change may be told null). */
    RecordRef record(long loc) {
        RecordRef[] r = records;
        int id = (int) (loc >>> SLOT_BITS);
        return id < r.length ? r[id] : null;
    }

    static int slotOf(long loc) {
        return (int) (loc & ((1 << SLOT_BITS) - 1));
    }

    // ------------------------------------------------------------------------------------------
    // Lookups

    /** The location of {@code name}'s current version (a removal included), or 0. */
    long find(int namespaceCode, int hash, String name) {
        long[] s = slots;
        int mask = s.length - 1;
        long tag = (long) (hash >>> 16) << 48;
        for (int i = hash & mask, probes = 0; probes <= mask; i = i + 1 & mask, probes++) {
            long e = s[i];
            if (e == 0) {
                return 0;
            }
            if ((e & ~LOC_MASK) == tag) {
                long loc = e & LOC_MASK;
                RecordRef ref = record(loc);
                if (ref != null && matches(ref, slotOf(loc), namespaceCode, name)) {
                    return loc;
                }
            }
        }
        return 0;
    }

    /** Whether a name of this hash and namespace may be held (not a removal); true on a hash collision. */
    boolean mayHold(int namespaceCode, int hash) {
        long[] s = slots;
        int mask = s.length - 1;
        long tag = (long) (hash >>> 16) << 48;
        for (int i = hash & mask, probes = 0; probes <= mask; i = i + 1 & mask, probes++) {
            long e = s[i];
            if (e == 0) {
                return false;
            }
            if ((e & ~LOC_MASK) == tag) {
                long loc = e & LOC_MASK;
                RecordRef ref = record(loc);
                int slot = slotOf(loc);
                if (ref == null || slot >= ref.count()
                        || ref.namespaceCode(slot) == namespaceCode && !ref.is(slot, RecordRef.REMOVAL)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The table index holding the name at region offset {@code at}, or -1; the writer's. */
    private int indexOf(int namespaceCode, int hash, int at, int length) {
        long[] s = slots;
        int mask = s.length - 1;
        long tag = (long) (hash >>> 16) << 48;
        for (int i = hash & mask;; i = i + 1 & mask) {
            long e = s[i];
            if (e == 0) {
                return -1;
            }
            if ((e & ~LOC_MASK) == tag) {
                long loc = e & LOC_MASK;
                if (matches(record(loc), slotOf(loc), namespaceCode, at, length)) {
                    return i;
                }
            }
        }
    }

    private int indexOf(int namespaceCode, int hash, String name) {
        long[] s = slots;
        int mask = s.length - 1;
        long tag = (long) (hash >>> 16) << 48;
        for (int i = hash & mask;; i = i + 1 & mask) {
            long e = s[i];
            if (e == 0) {
                return -1;
            }
            if ((e & ~LOC_MASK) == tag) {
                long loc = e & LOC_MASK;
                if (matches(record(loc), slotOf(loc), namespaceCode, name)) {
                    return i;
                }
            }
        }
    }

    /** The table index holding the name of the entry at {@code slot} of {@code ref} (whose hash is given), or -1. */
    private int indexOf(RecordRef ref, int slot, int hash) {
        int code = ref.namespaceCode(slot);
        if (ref.is(slot, RecordRef.RENAMED)) {
            return indexOf(code, hash, renamed.get(ref.loc(slot)));
        }
        return indexOf(code, hash, ref.nameAt(slot), ref.nameLength(slot));
    }

    /** The location of the entry's name's current version in the table, or 0; the writer's. */
    long current(RecordRef ref, int slot) {
        int i = indexOf(ref, slot, hash(ref, slot));
        return i < 0 ? 0 : slots[i] & LOC_MASK;
    }

    /** The writer's lookup by the name bytes at region offset {@code at}. */
    long current(int namespaceCode, int at, int length) {
        int i = indexOf(namespaceCode, hashAt(namespaceCode, at, length), at, length);
        return i < 0 ? 0 : slots[i] & LOC_MASK;
    }

    /** The writer's lookup by name. */
    long current(int namespaceCode, String name) {
        int i = indexOf(namespaceCode, NameHash.hash(namespaceCode, name), name);
        return i < 0 ? 0 : slots[i] & LOC_MASK;
    }

    // ------------------------------------------------------------------------------------------
    // Changes: the writer's, inside a publication window once readers may look.

    /** Makes the entry at {@code loc} the current version of its name (replacing any other). */
    void put(long loc) {
        RecordRef ref = record(loc);
        int slot = slotOf(loc);
        int hash = hash(ref, slot);
        int i = indexOf(ref, slot, hash);
        if (i >= 0) {
            replaceAt(i, hash, loc);
        } else {
            add(hash, loc);
        }
    }

    /**
     * At mount: makes the entry the current version of its name unless the version the table holds
     * wins: a higher revision, or the same revision (a copy left by an interrupted collection) when
     * this one is damaged and that one is not; the later of two equal copies wins otherwise. The mount
     * passes the name's {@link NameHash}, computed while it checked the name's CRC.
     */
    void offer(RecordRef ref, int slot, int hash) {
        int code = ref.namespaceCode(slot);
        int at = ref.nameAt(slot);
        int length = ref.nameLength(slot);
        long loc = ref.loc(slot);
        int i = indexOf(code, hash, at, length);
        if (i >= 0) {
            long old = slots[i] & LOC_MASK;
            RecordRef other = record(old);
            int otherSlot = slotOf(old);
            long revision = ref.revision(slot);
            long otherRevision = other.revision(otherSlot);
            if (revision > otherRevision || revision == otherRevision
                    && (!ref.is(slot, RecordRef.DAMAGED) || other.is(otherSlot, RecordRef.DAMAGED))) {
                replaceAt(i, hash, loc);
            }
            return;
        }
        add(hash, loc);
    }

    /** Points table index {@code i} (which holds the entry's name) at {@code loc}. */
    private void replaceAt(int i, int hash, long loc) {
        count(slots[i] & LOC_MASK, -1);
        slots[i] = (long) (hash >>> 16) << 48 | loc;
        count(loc, 1);
    }

    /** Adds a name the table does not hold yet, growing it first if it would pass its load factor. */
    private void add(int hash, long loc) {
        if ((size + 1) * 5L > slots.length * 4L) {
            grow(slots.length * 2);
        }
        insert(slots, hash, loc);
        size++;
        count(loc, 1);
    }

    /** Removes the name of the entry at {@code loc} from the table, whatever version it names. */
    void remove(long loc) {
        RecordRef ref = record(loc);
        int slot = slotOf(loc);
        int i = indexOf(ref, slot, hash(ref, slot));
        if (i < 0) {
            return;
        }
        long[] s = slots;
        count(s[i] & LOC_MASK, -1);
        int mask = s.length - 1;
        // Backward-shift deletion: no tombstones, so a miss stops at the first empty slot.
        int hole = i;
        for (int j = hole + 1 & mask;; j = j + 1 & mask) {
            long e = s[j];
            if (e == 0) {
                break;
            }
            long eloc = e & LOC_MASK;
            int home = hash(record(eloc), slotOf(eloc)) & mask;
            if ((j - home & mask) >= (j - hole & mask)) {
                s[hole] = e;
                hole = j;
            }
        }
        s[hole] = 0;
        size--;
    }

    /** Empties the table (a clear); records stay registered while they are in the ring. */
    void clear() {
        slots = new long[MIN_SLOTS];
        size = 0;
        Arrays.fill(liveByNamespace, 0);
        liveCharge = 0;
    }

    /**
     * Sizes the table for up to {@code entries} names, and the records by id for {@code records} more,
     * at once (at mount, before the records are registered).
     */
    void reserve(int entries, int records) {
        long wanted = Math.max(MIN_SLOTS, Long.highestOneBit(Math.max(1, entries * 5L / 4)) * 2);
        if (wanted > slots.length) {
            grow((int) Math.min(wanted, 1 << 30));
        }
        long ids = (long) nextId + records + 1;
        if (ids > this.records.length && ids < 1 << ID_BITS) {
            this.records = Arrays.copyOf(this.records, (int) ids);
        }
    }

    private void grow(int length) {
        long[] bigger = new long[length];
        for (long e : slots) {
            if (e != 0) {
                long loc = e & LOC_MASK;
                insert(bigger, hash(record(loc), slotOf(loc)), loc);
            }
        }
        slots = bigger;
    }

    private static void insert(long[] s, int hash, long loc) {
        int mask = s.length - 1;
        int i = hash & mask;
        while (s[i] != 0) {
            i = i + 1 & mask;
        }
        s[i] = (long) (hash >>> 16) << 48 | loc;
    }

    private void count(long loc, int delta) {
        RecordRef ref = record(loc);
        int slot = slotOf(loc);
        if (!ref.is(slot, RecordRef.REMOVAL)) {
            liveByNamespace[ref.namespaceCode(slot)] += delta;
            liveCharge += delta * ref.charge(slot);
        }
    }

    /** Every location in the table (removals included), for the writer and the publishing thread. */
    long[] locations() {
        long[] s = slots;
        long[] out = new long[size];
        int n = 0;
        for (long e : s) {
            if (e != 0) {
                out[n++] = e & LOC_MASK;
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** Heap the table itself takes (slots and record ids), for the record of what the index costs. */
    long bytes() {
        return 8L * slots.length + 4L * records.length;
    }
}
