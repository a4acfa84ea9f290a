package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.KIND_PUT;
import static datastore.ephemeral.ArenaFormat.RECORD_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_CRC;
import static datastore.ephemeral.ArenaFormat.RECORD_HEADER;
import static datastore.ephemeral.ArenaFormat.R_FORMAT;
import static datastore.ephemeral.ArenaFormat.R_SPAN;
import static datastore.ephemeral.ArenaFormat.R_KIND;
import static datastore.ephemeral.ArenaFormat.R_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_NAME_LENGTH;
import static datastore.ephemeral.ArenaFormat.R_REVISION;
import static datastore.ephemeral.ArenaFormat.R_VALUE_LENGTH;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * The arena's reads, all lock-free: pinned views, unpinned copies of small verified values, and
 * snapshots of the index between two batches (FORMAT.md, "Reads").
 */
final class ArenaReader {
    /**
     * Values up to this size are read by {@link #read} without a pin: copied, then validated. Larger ones
     * are decoded through a pinned view, straight from the mapping, so no big copy is ever thrown away.
     */
    static final int OPTIMISTIC_READ_BYTES = 4096;
    /** Unpinned attempts at a small read before it takes a pin instead, so that churn cannot starve it. */
    private static final int OPTIMISTIC_READS = 8;
    /** Lock-free attempts at a listing or usage snapshot before it waits for the writer instead. */
    private static final int OPTIMISTIC_SNAPSHOTS = 8;
    private static final int SPIN_BEFORE_YIELD = 256;
    /**
     * Each reading thread's buffer for the private copy of a small value, which the decoder sees only
     * during its call (the SPI's contract): a read hit allocates nothing but what the decoder returns.
     */
    private static final ThreadLocal<ByteBuffer> COPY = new ThreadLocal<>();

    private final Arena arena;
    private final ArenaIndex index;
    private final ArenaSpace space;

    ArenaReader(Arena arena, ArenaIndex index, ArenaSpace space) {
        this.arena = arena;
        this.index = index;
        this.space = space;
    }

    /** See {@link Arena#open}. */
    Optional<EntryView> open(Namespace namespace, String name) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        long hash = ArenaIndex.hash(namespace, name);
        for (int spins = 0;; spins = backOff(spins)) {
            arena.ensureOpen();
            long stamp = index.publication();
            if ((stamp & 1) != 0) {
                continue; // a batch is being published: wait for all of it
            }
            long moves = index.moves();
            // After the sequence: an entry published before it lies inside this mapping.
            ArenaSpace.Mapping current = space.mapping();
            long[] table = index.table();
            int bucket = ArenaIndex.find(table, current.rw(), namespace, name, hash);
            if (bucket < 0) {
                if (absent(bucket, stamp, moves) && mismatchSound(namespace, name, table, bucket, stamp, current)) {
                    return Optional.empty();
                }
                continue;
            }
            long entry = ArenaIndex.entryAt(table, bucket);
            if (!ArenaIndex.isLive(entry)) {
                continue; // removed since the lookup: a batch is being published
            }
            int at = ArenaIndex.position(entry);
            Pin pin = Pin.tryPin(index.pins, at);
            if (pin == null) {
                continue; // retired: being moved, or superseded (a publication says so)
            }
            // The pin's monitor orders the lookup before these reads; a moved record changes its entry.
            if (index.publication() != stamp || ArenaIndex.identity(ArenaIndex.entryAt(table, bucket))
                    != ArenaIndex.identity(entry)) {
                pin.unpin(arena, index.pins, at);
                continue;
            }
            if (arena.isClosed()) {
                pin.unpin(arena, index.pins, at);
                arena.ensureOpen();
            }
            ByteBuffer map = current.rw();
            String damage = damage(map, table, bucket, entry);
            if (damage != null) {
                pin.unpin(arena, index.pins, at);
                throw new CorruptedEntryException(arena.name(), namespace, name, damage);
            }
            int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
            return Optional.of(new ArenaEntryView(arena, pin, at, namespace, name, current.ro(),
                    map.get(at + R_FORMAT) & 0xFF, map.getLong(at + R_REVISION), at + RECORD_HEADER + nameLength,
                    map.getInt(at + R_VALUE_LENGTH)));
        }
    }

    /**
     * Whether a lookup that found nothing saw the index as it stood between two batches: no batch
     * published meanwhile and, if it compared a name against the arena's bytes, no record moved.
     */
    private boolean absent(int found, long stamp, long moves) {
        VarHandle.acquireFence(); // the lookup happens before the second reads of the sequences
        return index.publication() == stamp
                && (found == ArenaIndex.ABSENT || (moves & 1) == 0 && index.moves() == moves);
    }

    /**
     * Checks the record whose tag matched the name but whose name bytes did not (a validated lookup
     * that found nothing): if it fails its checksum, its name bytes cannot be trusted and it may be
     * this very entry, so the read reports it rather than answer "absent" and let a lower partition
     * answer instead. A healthy record is another name's (a tag collision).
     *
     * @return whether the answer "absent" stands; false to look up again (the record moved)
     * @throws CorruptedEntryException if the record fails its checksum
     */
    private boolean mismatchSound(Namespace namespace, String name, long[] table, int found, long stamp,
            ArenaSpace.Mapping current) {
        if (found > ArenaIndex.ABSENT_AFTER_COMPARE) {
            return true;
        }
        int bucket = ArenaIndex.mismatched(found);
        long entry = ArenaIndex.entryAt(table, bucket);
        if (!ArenaIndex.isLive(entry) || ArenaIndex.integrity(entry) == ArenaIndex.INTACT) {
            return true; // a verified record: damage to its name after its first read waits for the next scan
        }
        int at = ArenaIndex.position(entry);
        Pin pin = Pin.tryPin(index.pins, at);
        if (pin == null) {
            return false;
        }
        try {
            if (index.publication() != stamp || ArenaIndex.identity(ArenaIndex.entryAt(table, bucket))
                    != ArenaIndex.identity(entry)) {
                return false;
            }
            String damage = damage(current.rw(), table, bucket, entry);
            if (damage != null) {
                throw new CorruptedEntryException(arena.name(), namespace, name, damage
                        + " (its name bytes do not match, and the index holds it under this name's hash)");
            }
            return true;
        } finally {
            pin.unpin(arena, index.pins, at);
        }
    }

    /** See {@link Arena#readOrNull}. */
    <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(decoder, "decoder");
        long hash = ArenaIndex.hash(namespace, name);
        for (int attempt = 0; attempt < OPTIMISTIC_READS; attempt = backOff(attempt)) {
            arena.ensureOpen();
            long stamp = index.publication();
            if ((stamp & 1) != 0) {
                continue; // a batch is being published: wait for all of it
            }
            long moves = index.moves();
            ArenaSpace.Mapping current = space.mapping();
            ByteBuffer map = current.rw();
            long[] table = index.table();
            int bucket = ArenaIndex.find(table, map, namespace, name, hash);
            if (bucket < 0) {
                if (absent(bucket, stamp, moves) && mismatchSound(namespace, name, table, bucket, stamp, current)) {
                    return null;
                }
                continue;
            }
            long entry = ArenaIndex.entryAt(table, bucket);
            if (!ArenaIndex.isLive(entry)) {
                continue; // removed since the lookup: a batch is being published
            }
            if (ArenaIndex.integrity(entry) != ArenaIndex.INTACT) {
                break; // not verified yet: the pinned path verifies it once
            }
            int at = ArenaIndex.position(entry);
            int valuePosition = at + RECORD_HEADER + (map.get(at + R_NAME_LENGTH) & 0xFF);
            int valueLength = map.getInt(at + R_VALUE_LENGTH);
            if (valueLength < 0 || valueLength > OPTIMISTIC_READ_BYTES || valuePosition + valueLength > map.capacity()) {
                break; // large (or bytes in flux): decoded through a pinned view
            }
            boolean located = locates(map, at, entry);
            if (arena.beforeCopy != null) {
                arena.beforeCopy.run();
            }
            ByteBuffer copy = takeCopyBuffer(valueLength);
            map.get(valuePosition, copy.array(), 0, valueLength);
            VarHandle.acquireFence(); // every byte above is read before the validation below
            if (index.publication() != stamp || ArenaIndex.identity(ArenaIndex.entryAt(table, bucket))
                    != ArenaIndex.identity(entry) || arena.isClosed()) {
                COPY.set(copy);
                continue; // the bytes may be another record's by now, or the lookup of an older batch
            }
            if (!located) {
                COPY.set(copy);
                break; // damaged from outside while live: open reports it
            }
            try {
                return Objects.requireNonNull(decoder.apply(copy), "the decoder returned null");
            } finally {
                COPY.set(copy);
            }
        }
        Optional<EntryView> view = open(namespace, name);
        if (view.isEmpty()) {
            return null;
        }
        try (EntryView entry = view.get()) {
            return Objects.requireNonNull(decoder.apply(entry.data()), "the decoder returned null");
        }
    }

    /**
     * Whether the index may hold the name: its entry's tag in the table, as it stood between two
     * batches. No arena byte is read and nothing is allocated; a false yes costs a lookup.
     */
    boolean mayContain(Namespace namespace, String name) {
        long hash = ArenaIndex.hash(namespace, name);
        for (int spins = 0;; spins = backOff(spins)) {
            if (arena.isClosed()) {
                return true; // the read reports the closed partition
            }
            long stamp = index.publication();
            if ((stamp & 1) != 0) {
                continue;
            }
            boolean may = ArenaIndex.mayHold(index.table(), hash);
            VarHandle.acquireFence();
            if (index.publication() == stamp) {
                return may;
            }
        }
    }

    /**
     * Takes this thread's buffer for a private copy of a small value, out of the thread's hands until it
     * is put back, so that a decoder that reads again gets a buffer of its own. Only JDK types are
     * kept per thread, so a long-lived thread holds nothing of this bundle's class loader.
     */
    private static ByteBuffer takeCopyBuffer(int length) {
        ByteBuffer copy = COPY.get();
        if (copy == null || copy.capacity() < length) {
            copy = ByteBuffer.allocate(Math.max(length, copy == null ? 256 : Math.min(2 * copy.capacity(),
                    OPTIMISTIC_READ_BYTES)));
        } else {
            COPY.set(null);
        }
        copy.order(ByteOrder.BIG_ENDIAN).clear().limit(length);
        return copy;
    }

    static int backOff(int spins) {
        if (spins < SPIN_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return spins + 1;
    }

    /**
     * Whether the header of the record at {@code at} is the one the entry names: the magic, the
     * revision (its low bits as the entry keeps them, and committed), and a value length that agrees
     * with the span. The file is shared memory that another process could write.
     */
    private boolean locates(ByteBuffer map, int at, long entry) {
        if (map.getInt(at + R_MAGIC) != RECORD_MAGIC) {
            return false;
        }
        long revision = map.getLong(at + R_REVISION);
        int valueLength = map.getInt(at + R_VALUE_LENGTH);
        int span = map.getInt(at + R_SPAN);
        return ArenaIndex.revisionMatches(entry, revision) && revision <= index.committedRevision
                && valueLength >= 0 && span == ArenaFormat.recordSpan(map.get(at + R_NAME_LENGTH) & 0xFF, valueLength)
                && at + (long) span <= map.capacity();
    }

    /**
     * What is wrong with a pinned record, or null: every open checks the header fields that locate the
     * value ({@link #locates}), and the first open of each record as written, scanned or moved checks
     * the CRC32C over header, name and value, and keeps the verdict in the entry.
     */
    private String damage(ByteBuffer map, long[] table, int bucket, long entry) {
        int at = ArenaIndex.position(entry);
        if (!locates(map, at, entry)) {
            return "the arena holds no record of the revision the index names at offset " + at;
        }
        int integrity = ArenaIndex.integrity(entry);
        long revision = map.getLong(at + R_REVISION);
        if (integrity == ArenaIndex.UNVERIFIED) {
            int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
            boolean intact = map.get(at + R_KIND) == KIND_PUT && map.getInt(at + R_CRC)
                    == ArenaFormat.checksum(map, at, nameLength + map.getInt(at + R_VALUE_LENGTH));
            integrity = intact ? ArenaIndex.INTACT : ArenaIndex.DAMAGED;
            ArenaIndex.verdict(table, bucket, entry, integrity);
        }
        return integrity == ArenaIndex.INTACT ? null
                : "the record of revision " + revision + " at offset " + at + " fails its CRC32C";
    }

    /** The names in a namespace, sorted; an unmodifiable snapshot between two batches. */
    List<String> names(Namespace namespace) {
        Objects.requireNonNull(namespace, "namespace");
        arena.writeLock.lock();
        try {
            arena.ensureOpen();
            List<String> names = index.names(space.mapping().rw(), namespace);
            Collections.sort(names);
            return Collections.unmodifiableList(names);
        } finally {
            arena.writeLock.unlock();
        }
    }

    /** Capacity, use and entry counts, as they stood between two batches. */
    PartitionUsage usage() {
        return snapshot(() -> {
            Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
            for (Namespace namespace : Namespace.values()) {
                entries.put(namespace, index.count(namespace));
            }
            return new PartitionUsage(arena.name(), arena.capacity(), index.used, entries);
        });
    }

    /**
     * Reads the index between two batches: lock-free while no batch is published during the read, and
     * under the write lock (which every publication holds) after a few attempts that were, so that a
     * stream of small writes cannot starve a long listing.
     */
    private <T> T snapshot(Supplier<T> read) {
        for (int attempt = 0; attempt < OPTIMISTIC_SNAPSHOTS; attempt = backOff(attempt)) {
            arena.ensureOpen();
            long stamp = index.publication();
            if ((stamp & 1) == 0) {
                T result = read.get();
                VarHandle.acquireFence();
                if (index.publication() == stamp) {
                    return result;
                }
            }
        }
        arena.writeLock.lock();
        try {
            arena.ensureOpen();
            return read.get();
        } finally {
            arena.writeLock.unlock();
        }
    }
}
