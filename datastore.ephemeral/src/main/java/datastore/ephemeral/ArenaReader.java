package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.KIND_PUT;
import static datastore.ephemeral.ArenaFormat.RECORD_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_CRC;
import static datastore.ephemeral.ArenaFormat.R_FORMAT;
import static datastore.ephemeral.ArenaFormat.R_KIND;
import static datastore.ephemeral.ArenaFormat.R_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_NAME_LENGTH;
import static datastore.ephemeral.ArenaFormat.R_REVISION;
import static datastore.ephemeral.ArenaFormat.R_VALUE_LENGTH;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
        ConcurrentHashMap<String, Slot> names = index.names(namespace);
        Slot slot;
        for (int spins = 0;; spins = backOff(spins)) {
            arena.ensureOpen();
            long stamp = index.publication();
            if ((stamp & 1) != 0) {
                continue; // a batch is being published: wait for all of it
            }
            slot = names.get(name);
            if (slot == null) {
                VarHandle.acquireFence(); // the lookup happens before the second read of the sequence
                if (index.publication() == stamp) {
                    return Optional.empty();
                }
                continue;
            }
            if (!slot.tryPin()) {
                continue; // retired: superseded (the index already holds the successor) or being moved
            }
            if (index.publication() == stamp) { // the pin's CAS orders the lookup before this read
                break;
            }
            slot.unpin(arena); // a batch was published meanwhile: the slot may be of the state before it
        }
        if (arena.isClosed()) {
            slot.unpin(arena);
            arena.ensureOpen();
        }
        ArenaSpace.Mapping current = space.mapping(); // read after the slot: a slot is published after the mapping covering it
        String damage = damage(current.rw(), slot);
        if (damage != null) {
            slot.unpin(arena);
            throw new CorruptedEntryException(arena.name(), namespace, name, damage);
        }
        return Optional.of(new ArenaEntryView(arena, slot, namespace, name, current.ro()));
    }

    /** See {@link Arena#read}. */
    <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(decoder, "decoder");
        ConcurrentHashMap<String, Slot> names = index.names(namespace);
        for (int attempt = 0; attempt < OPTIMISTIC_READS; attempt = backOff(attempt)) {
            arena.ensureOpen();
            long stamp = index.publication();
            if ((stamp & 1) != 0) {
                continue; // a batch is being published: wait for all of it
            }
            Slot slot = names.get(name);
            if (slot == null) {
                VarHandle.acquireFence(); // the lookup happens before the second read of the sequence
                if (index.publication() == stamp) {
                    return Optional.empty();
                }
                continue;
            }
            if (slot.valueLength > OPTIMISTIC_READ_BYTES || slot.integrity() != Slot.INTACT) {
                break; // large, or not verified yet: the pinned path verifies it once
            }
            MappedByteBuffer map = space.mapping().rw(); // read after the slot, as in open
            int at = slot.position;
            boolean located = map.getInt(at + R_MAGIC) == RECORD_MAGIC && map.getLong(at + R_REVISION) == slot.revision
                    && map.getInt(at + R_VALUE_LENGTH) == slot.valueLength;
            if (arena.beforeCopy != null) {
                arena.beforeCopy.run();
            }
            byte[] value = new byte[slot.valueLength];
            map.get(slot.valuePosition(), value);
            VarHandle.acquireFence(); // every byte above is read before the validation below
            if (!slot.live() || index.publication() != stamp) {
                continue; // the bytes may be another record's by now, or the lookup of an older batch
            }
            if (!located) {
                break; // damaged from outside while live: open reports it
            }
            return Optional.of(decoder.apply(ByteBuffer.wrap(value)));
        }
        Optional<EntryView> view = open(namespace, name);
        if (view.isEmpty()) {
            return Optional.empty();
        }
        try (EntryView entry = view.get()) {
            return Optional.of(decoder.apply(entry.data()));
        }
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
     * What is wrong with a pinned slot's record, or null. The file is shared memory that another process
     * could write: every open checks the header fields that locate the value (one cache line), and the
     * first open of each slot checks the CRC32C over header, name and value once, caching the verdict.
     */
    private static String damage(ByteBuffer map, Slot slot) {
        int at = slot.position;
        if (map.getInt(at + R_MAGIC) != RECORD_MAGIC || map.getLong(at + R_REVISION) != slot.revision
                || map.getInt(at + R_VALUE_LENGTH) != slot.valueLength) {
            return "the arena holds no record of revision " + slot.revision + " at offset " + at;
        }
        int integrity = slot.integrity();
        if (integrity == Slot.UNVERIFIED) {
            boolean intact = map.get(at + R_KIND) == KIND_PUT
                    && (map.get(at + R_NAME_LENGTH) & 0xFF) == slot.nameLength
                    && (map.get(at + R_FORMAT) & 0xFF) == slot.format
                    && map.getInt(at + R_CRC) == ArenaFormat.checksum(map, at, slot.nameLength + slot.valueLength);
            integrity = intact ? Slot.INTACT : Slot.DAMAGED;
            slot.integrity(integrity);
        }
        return integrity == Slot.INTACT ? null
                : "the record of revision " + slot.revision + " at offset " + at + " fails its CRC32C";
    }

    /** The names in a namespace, sorted; an unmodifiable snapshot between two batches. */
    List<String> names(Namespace namespace) {
        Objects.requireNonNull(namespace, "namespace");
        ConcurrentHashMap<String, Slot> slots = index.names(namespace);
        List<String> names = snapshot(() -> new ArrayList<>(slots.keySet()));
        Collections.sort(names);
        return Collections.unmodifiableList(names);
    }

    /** Capacity, use and entry counts, as they stood between two batches. */
    PartitionUsage usage() {
        return snapshot(() -> {
            Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
            for (Namespace namespace : Namespace.values()) {
                entries.put(namespace, index.names(namespace).size());
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
