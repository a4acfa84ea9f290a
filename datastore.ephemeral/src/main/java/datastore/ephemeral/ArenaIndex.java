package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.FILLER_MAGIC;
import static datastore.ephemeral.ArenaFormat.FLAG_DEAD;
import static datastore.ephemeral.ArenaFormat.HEADER_SIZE;
import static datastore.ephemeral.ArenaFormat.KIND_TOMBSTONE;
import static datastore.ephemeral.ArenaFormat.RECORD_HEADER;
import static datastore.ephemeral.ArenaFormat.RECORD_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_FLAGS;
import static datastore.ephemeral.ArenaFormat.R_KIND;
import static datastore.ephemeral.ArenaFormat.R_NAMESPACE;
import static datastore.ephemeral.ArenaFormat.R_NAME_LENGTH;
import static datastore.ephemeral.ArenaFormat.R_REVISION;
import static datastore.ephemeral.ArenaFormat.R_SPAN;
import static datastore.ephemeral.ArenaFormat.R_VALUE_LENGTH;
import static datastore.ephemeral.ArenaFormat.markDead;
import static datastore.ephemeral.ArenaFormat.saneSpan;
import static datastore.ephemeral.ArenaFormat.validRecord;
import static datastore.ephemeral.ArenaFormat.writeFiller;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import datastore.Namespace;

/**
 * The heap index of the arena: an open-addressing table of one {@code long} per bucket (no object per
 * key), the pins of records that views hold, and the sequence lock through which a writer publishes
 * one batch's index changes at once. An entry packs a 20-bit tag of the name's hash, the low 12 bits of
 * the record's revision (checked against the record's header on every open), the record's position
 * and its checksum verdict; the name itself is compared against the arena's bytes on a tag match
 * (FORMAT.md, "Index"). The mount builds the table by scanning the records. Changed only under the
 * arena's write lock; read lock-free.
 */
final class ArenaIndex {
    static final long EMPTY = 0;
    /** A removed entry: probing goes on past it. Position 0 is the header's, so no record has it. */
    static final long DELETED = 1;
    static final int UNVERIFIED = 0;
    static final int INTACT = 1;
    static final int DAMAGED = 2;
    private static final long FLAGS = 7;
    private static final long POSITION = 0xFFFF_FFF8L;
    private static final int REVISION_SHIFT = 32;
    private static final long REVISION_BITS = 0xFFF;
    private static final int TAG_SHIFT = 44;
    /** At most this share of the buckets is in use, removed ones included, before the table is rebuilt. */
    private static final int MAX_LOAD_PERCENT = 60;
    /** A rebuilt table is at most this full. */
    private static final int REBUILT_LOAD_PERCENT = 45;
    /**
     * Tables hold two buckets less than a power of two, so that the array with its 16-byte header is
     * exactly a power of two bytes: a large one then fills whole G1 regions instead of spilling one
     * header's worth into a region of its own.
     */
    private static final int MIN_BUCKETS = 64 - 2;

    private static final VarHandle PUBLICATION;
    private static final VarHandle MOVES;
    static final VarHandle ENTRIES = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        try {
            PUBLICATION = MethodHandles.lookup().findVarHandle(ArenaIndex.class, "publication", long.class);
            MOVES = MethodHandles.lookup().findVarHandle(ArenaIndex.class, "moves", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The buckets; replaced (rebuilt) only inside a publication. */
    private volatile long[] table = new long[MIN_BUCKETS];
    /** Pins of this instance's views, by record position; see {@link Pin}. */
    final ConcurrentHashMap<Integer, Pin> pins = new ConcurrentHashMap<>();
    /** Superseded or removed records still pinned by a view of this instance: position to span; under the lock. */
    final Map<Integer, Integer> pinnedGarbage = new HashMap<>();
    /**
     * A sequence lock over the index: even while it is stable, odd while the writer publishes one
     * batch's index changes. A reader that saw the same even value before and after its lookup saw no
     * batch in part.
     */
    private volatile long publication;
    /**
     * Odd while compaction moves records. A lookup that compared a name against bytes that may have
     * been moving meanwhile answers "absent" only if no compaction ran during it.
     */
    private volatile long moves;
    /** Payload (UTF-8 names plus values) of the live entries; changed inside a publication. */
    volatile long used;
    /** The highest committed revision; no live record has a higher one. */
    volatile long committedRevision;
    private final int[] counts = new int[Namespace.values().length];
    // Guarded by the write lock:
    private int live;
    private int deleted;

    // ---------------------------------------------------------------- entries

    static long hash(Namespace namespace, String name) {
        return hash(namespace, name.hashCode());
    }

    /** The hash of a name from its {@link String#hashCode()}, which a String caches. */
    static long hash(Namespace namespace, int nameHashCode) {
        long h = (nameHashCode * 0x9E3779B97F4A7C15L) ^ namespace.code();
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        return h ^ (h >>> 33);
    }

    static long entry(long hash, long revision, int position) {
        return (hash >>> TAG_SHIFT) << TAG_SHIFT | (revision & REVISION_BITS) << REVISION_SHIFT | position;
    }

    static int position(long entry) {
        return (int) (entry & POSITION);
    }

    static int integrity(long entry) {
        return (int) (entry & FLAGS);
    }

    /** Whether the entry names a record (not empty, not removed). */
    static boolean isLive(long entry) {
        return (entry & POSITION) != 0;
    }

    /** Whether a record's revision agrees with what the entry keeps of it. */
    static boolean revisionMatches(long entry, long revision) {
        return (entry >>> REVISION_SHIFT & REVISION_BITS) == (revision & REVISION_BITS);
    }

    /** The entry without its verdict: what a reader compares to see that its record has not moved. */
    static long identity(long entry) {
        return entry & ~FLAGS;
    }

    private static boolean tagMatches(long entry, long hash) {
        return entry >>> TAG_SHIFT == hash >>> TAG_SHIFT;
    }

    /** The home bucket: the hash's low 32 bits scaled to the table (the tag is the top 20). */
    private static int bucket(long hash, int buckets) {
        return (int) (((hash & 0xFFFF_FFFFL) * buckets) >>> 32);
    }

    private static int next(int bucket, int buckets) {
        return bucket + 1 == buckets ? 0 : bucket + 1;
    }

    long[] table() {
        return table;
    }

    static long entryAt(long[] table, int bucket) {
        return (long) ENTRIES.getAcquire(table, bucket);
    }

    /** Records a reader's checksum verdict, unless the entry changed meanwhile. */
    static void verdict(long[] table, int bucket, long entry, int integrity) {
        ENTRIES.compareAndSet(table, bucket, entry, identity(entry) | integrity);
    }

    /** A lookup that found nothing, having compared no name against bytes that may have moved. */
    static final int ABSENT = -1;
    /**
     * A lookup that found nothing after a tag matched another name, at or below this value: valid only
     * if no compaction ran. {@link #mismatched} gives the bucket of the first such entry, whose record
     * may be this very name's with its name bytes damaged.
     */
    static final int ABSENT_AFTER_COMPARE = -2;

    /** The bucket of the first entry whose tag matched but whose name did not, in a lookup's result. */
    static int mismatched(int found) {
        return ABSENT_AFTER_COMPARE - found;
    }

    /**
     * The bucket of {@code name}'s entry in {@code table}, or {@link #ABSENT}, or a value at or below
     * {@link #ABSENT_AFTER_COMPARE}. Lock-free; the caller validates what it found.
     */
    static int find(long[] table, ByteBuffer map, Namespace namespace, String name, long hash) {
        int result = ABSENT;
        for (int b = bucket(hash, table.length), probes = 0; probes < table.length; b = next(b, table.length), probes++) {
            long e = entryAt(table, b);
            if (e == EMPTY) {
                return result;
            }
            if (!isLive(e) || !tagMatches(e, hash)) {
                continue;
            }
            if (ArenaFormat.holdsName(map, position(e), namespace, name)) {
                return b;
            }
            if (result == ABSENT) {
                result = ABSENT_AFTER_COMPARE - b;
            }
        }
        return result;
    }

    /** Whether the table may hold the name: a tag match, without touching the arena. */
    static boolean mayHold(long[] table, long hash) {
        for (int b = bucket(hash, table.length), probes = 0; probes < table.length; b = next(b, table.length), probes++) {
            long e = entryAt(table, b);
            if (e == EMPTY) {
                return false;
            }
            if (isLive(e) && tagMatches(e, hash)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- the writer's side

    /** Under the lock: the bucket of a live name, or a negative value. */
    int find(ByteBuffer map, Namespace namespace, String name) {
        return find(table, map, namespace, name, hash(namespace, name));
    }

    /** Under the lock and inside a publication: points the name at a new record, replacing its entry. */
    void replace(int bucket, long entry) {
        ENTRIES.setRelease(table, bucket, entry);
    }

    /** Under the lock and inside a publication: adds an absent name. */
    void insert(ByteBuffer map, Namespace namespace, long hash, long entry) {
        if ((long) (live + deleted + 1) * 100 > (long) table.length * MAX_LOAD_PERCENT) {
            rebuild(map, live + 1);
        }
        long[] t = table;
        int b = bucket(hash, t.length);
        while (isLive(t[b])) {
            b = next(b, t.length);
        }
        if (t[b] == DELETED) {
            deleted--;
        }
        ENTRIES.setRelease(t, b, entry);
        live++;
        counts[namespace.ordinal()]++;
    }

    /** Under the lock and inside a publication: removes a name's entry. */
    void remove(Namespace namespace, int bucket) {
        ENTRIES.setRelease(table, bucket, DELETED);
        live--;
        deleted++;
        counts[namespace.ordinal()]--;
    }

    /** Under the lock: where compaction moved a live record (a reader that looked it up before retries). */
    void moved(int bucket, long entry, int position) {
        ENTRIES.setVolatile(table, bucket, identity(entry) & ~POSITION | position);
        VarHandle.storeStoreFence(); // the entry's new position lands before any byte overwrites the old one
    }

    /**
     * A table sized for {@code wanted} names, at most {@link #REBUILT_LOAD_PERCENT} full so that a
     * rebuild is amortised over many writes, with only the live entries; inside a publication. The
     * entries keep only a tag of their hash, so each name's hash is computed again from the arena.
     */
    private void rebuild(ByteBuffer map, int wanted) {
        int buckets = MIN_BUCKETS;
        while ((long) wanted * 100 > (long) buckets * REBUILT_LOAD_PERCENT) {
            buckets = (buckets + 2) * 2 - 2;
        }
        long[] fresh = new long[buckets];
        for (long e : table) {
            if (isLive(e)) {
                int at = position(e);
                long hash = hash(ArenaFormat.namespace(map.get(at + R_NAMESPACE)),
                        ArenaFormat.nameHashCode(map, at, map.get(at + R_NAME_LENGTH) & 0xFF));
                int b = bucket(hash, buckets);
                while (fresh[b] != EMPTY) {
                    b = next(b, buckets);
                }
                fresh[b] = e;
            }
        }
        table = fresh; // a volatile store: the entries are visible before the table is
        deleted = 0;
    }

    // ---------------------------------------------------------------- mount

    /** A record found by the scan: the best so far for its name. */
    private record Found(int position, int span, long revision, int kind, int nameLength, int valueLength) {
    }

    /**
     * Rebuilds the index from the committed records, flags everything else dead and repairs torn spans.
     *
     * @return the bytes the live records span
     */
    long mount(MappedByteBuffer map, long top, long committed, long floorRevision) {
        committedRevision = committed;
        List<Map<String, Found>> best = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            best.add(new HashMap<>());
        }
        long position = HEADER_SIZE;
        while (position < top) {
            int at = (int) position;
            int magic = map.getInt(at);
            int span = map.getInt(at + R_SPAN);
            if (magic == FILLER_MAGIC && saneSpan(at, span, 8, top)) {
                position += span;
                continue;
            }
            if (magic != RECORD_MAGIC || !saneSpan(at, span, RECORD_HEADER, top) || !validRecord(map, at, span)) {
                // Torn or damaged: skip to the next intact record and cover the gap with a filler.
                long next = position + 8;
                while (next < top && !(map.getInt((int) next) == RECORD_MAGIC
                        && saneSpan((int) next, map.getInt((int) next + R_SPAN), RECORD_HEADER, top)
                        && validRecord(map, (int) next, map.getInt((int) next + R_SPAN)))) {
                    next += 8;
                }
                writeFiller(map, at, (int) (next - position));
                position = next;
                continue;
            }
            position += span;
            long revision = map.getLong(at + R_REVISION);
            if ((map.getInt(at + R_FLAGS) & FLAG_DEAD) != 0) {
                continue;
            }
            if (revision > committed || revision < floorRevision) {
                markDead(map, at);
                continue;
            }
            Namespace namespace = ArenaFormat.namespace(map.get(at + R_NAMESPACE));
            int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
            String name = ArenaFormat.decodeName(map, at, nameLength);
            Found found = new Found(at, span, revision, map.get(at + R_KIND), nameLength,
                    map.getInt(at + R_VALUE_LENGTH));
            Map<String, Found> namesFound = best.get(namespace.ordinal());
            Found other = namesFound.get(name);
            if (other == null || revision > other.revision()) {
                namesFound.put(name, found);
                if (other != null) {
                    markDead(map, other.position());
                }
            } else {
                // An older write of the name, or a second copy of the same record.
                markDead(map, at);
            }
        }
        int total = 0;
        for (Map<String, Found> namesFound : best) {
            total += namesFound.size();
        }
        rebuild(map, total);
        long payload = 0;
        long liveSpan = 0;
        for (Namespace namespace : Namespace.values()) {
            for (Map.Entry<String, Found> named : best.get(namespace.ordinal()).entrySet()) {
                Found found = named.getValue();
                if (found.kind() == KIND_TOMBSTONE) {
                    markDead(map, found.position());
                    continue;
                }
                long hash = hash(namespace, named.getKey());
                insert(map, namespace, hash, entry(hash, found.revision(), found.position()));
                payload += found.nameLength() + found.valueLength();
                liveSpan += found.span();
            }
        }
        used = payload;
        return liveSpan;
    }

    // ---------------------------------------------------------------- publication

    /** The publication sequence: odd while a batch is being published. */
    long publication() {
        return publication;
    }

    /** Makes the sequence odd; the full fence keeps the index changes that follow from passing it. */
    long beginPublication() {
        return (long) PUBLICATION.getAndAdd(this, 1L) + 1;
    }

    void endPublication(long stamp) {
        publication = stamp + 1; // a release: every index change of the batch is visible before it
    }

    long moves() {
        return moves;
    }

    void beginMoves() {
        MOVES.getAndAdd(this, 1L);
    }

    void endMoves() {
        moves = moves + 1;
    }

    int count(Namespace namespace) {
        return counts[namespace.ordinal()];
    }

    // ---------------------------------------------------------------- whole-table views, under the lock

    /** Live records as {@code position << 32 | bucket}, ascending by position. */
    long[] liveByPosition() {
        long[] t = table;
        long[] found = new long[live];
        int n = 0;
        for (int b = 0; b < t.length; b++) {
            if (isLive(t[b])) {
                found[n++] = (long) position(t[b]) << 32 | b;
            }
        }
        Arrays.sort(found, 0, n);
        return n == found.length ? found : Arrays.copyOf(found, n);
    }

    long entry(int bucket) {
        return table[bucket];
    }

    /** The positions of the records the index places (live, and garbage pinned by views), ascending. */
    int[] knownRecords(long[] liveByPosition) {
        int[] known = new int[liveByPosition.length + pinnedGarbage.size()];
        int i = 0;
        for (long l : liveByPosition) {
            known[i++] = (int) (l >>> 32);
        }
        for (int at : pinnedGarbage.keySet()) {
            known[i++] = at;
        }
        Arrays.sort(known);
        return known;
    }

    /** The names of a namespace, decoded from the arena; under the lock. */
    List<String> names(ByteBuffer map, Namespace namespace) {
        List<String> names = new ArrayList<>(count(namespace));
        for (long e : table) {
            if (isLive(e)) {
                int at = position(e);
                if (ArenaFormat.namespace(map.get(at + R_NAMESPACE)) == namespace) {
                    names.add(ArenaFormat.decodeName(map, at, map.get(at + R_NAME_LENGTH) & 0xFF));
                }
            }
        }
        return names;
    }

    /** Empties the index (a clear): every live record's position, for the caller to discard. */
    int[] removeAll() {
        long[] t = table;
        int[] positions = new int[live];
        int n = 0;
        for (int b = 0; b < t.length; b++) {
            if (isLive(t[b])) {
                positions[n++] = position(t[b]);
            }
        }
        table = new long[MIN_BUCKETS];
        live = 0;
        deleted = 0;
        Arrays.fill(counts, 0);
        return Arrays.copyOf(positions, n);
    }

    /** Hands the pins of every view over to the file, as the arena closes. */
    void handOff(Arena arena) {
        for (Map.Entry<Integer, Pin> pin : pins.entrySet()) {
            pin.getValue().handOff(arena, pin.getKey());
        }
    }
}
