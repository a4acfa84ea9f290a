package datastore.logstore;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.zip.CRC32C;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * The readers' side of the runtime engine: lookups in the compact {@link EntryTable} without locks,
 * and the pins that keep a record's blocks from being erased while a view is open. The writer changes
 * the table only inside a publication window ({@link #version} odd while it does), so a reader sees a
 * batch wholly or not at all; a lookup that saw the counter change is retried.
 */
final class LiveIndex {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    /** Odd while the writer publishes a group; readers retry a lookup that saw it change. */
    private volatile long version;
    private final ReentrantLock publishLock = new ReentrantLock();
    private volatile long usedPublished;
    private final Object pinMonitor = new Object();
    private volatile int pinWaiters;
    private final EntryTable table;
    private final DamageLog damage;
    private final long capacity;
    /** The mapped region; set at mount, before the engine is handed out. */
    ByteBuffer map;

    LiveIndex(EntryTable table, DamageLog damage, long capacity) {
        this.table = table;
        this.damage = damage;
        this.capacity = capacity;
    }

    /**
     * The location of {@code name}'s current version, or 0 (also for a removal), as of one publication:
     * read between two equal, even values of {@code version}. {@code refs[0]} receives its record
     * (an {@code Object[]}, so that a reading thread's holder is of a JDK type).
     */
    private long indexed(int code, int hash, String name, Object[] refs) {
        int spins = 0;
        while (true) {
            long seen = version;
            if ((seen & 1) == 0) {
                long loc;
                RecordRef ref;
                RuntimeException error = null;
                try {
                    loc = table.find(code, hash, name);
                    ref = loc == 0 ? null : table.record(loc);
                    if (ref != null && ref.is(EntryTable.slotOf(loc), RecordRef.REMOVAL)) {
                        ref = null;
                    }
                } catch (RuntimeException racing) {
                    // A change raced the lookup (a reused id, a record being filled): the counter tells.
                    error = racing;
                    loc = 0;
                    ref = null;
                }
                VarHandle.acquireFence();
                if (version == seen) {
                    if (error != null) {
                        throw error;
                    }
                    refs[0] = ref;
                    return ref == null ? 0 : loc;
                }
            }
            spins = backOff(spins);
        }
    }

    Optional<EntryView> open(Namespace namespace, String name) {
        int code = namespace.code();
        int hash = NameHash.hash(code, name);
        Object[] refs = new Object[1];
        int spins = 0;
        while (true) {
            long loc = indexed(code, hash, name, refs);
            if (loc == 0) {
                damage.checkMiss(namespace, name);
                return Optional.empty();
            }
            RecordRef ref = (RecordRef) refs[0];
            int slot = EntryTable.slotOf(loc);
            if (ref.is(slot, RecordRef.DAMAGED)) {
                throw new CorruptedEntryException(LogStore.PARTITION, namespace, name, "revision " + ref.revision(slot)
                        + (ref.is(slot, RecordRef.SUPERSEDED) ? " was superseded by a write that is no longer readable"
                                : " fails its CRC32C"));
            }
            int length = ref.valueLength(slot);
            if (length == 0) {
                return Optional.of(new LogEntryView(namespace, name, ref.format(slot), ref.revision(slot), EMPTY, null));
            }
            if (!ref.pin()) {
                // Collected meanwhile: the index already names the copy.
                spins = backOff(spins);
                continue;
            }
            ByteBuffer slice = map.slice(ref.valueAt(slot), length);
            if (!ref.is(slot, RecordRef.VERIFIED)) {
                CRC32C crc = new CRC32C();
                crc.update(slice.duplicate());
                if ((int) crc.getValue() != ref.valueCrc(slot)) {
                    unpin(ref);
                    damage.damage(ref, slot, name, "its value fails its checksum when first read after being written");
                    throw new CorruptedEntryException(LogStore.PARTITION, namespace, name, "revision "
                            + ref.revision(slot) + " fails its CRC32C");
                }
                ref.set(slot, RecordRef.VERIFIED);
            }
            return Optional.of(new LogEntryView(namespace, name, ref.format(slot), ref.revision(slot), slice,
                    () -> unpin(ref)));
        }
    }

    /**
     * Decodes the entry's value straight from the mapped region, with no view and no pin: the decoder
     * runs on the thread's read-only window on the map, its position and limit bounding the value (a
     * decoder that reads again gets a slice), and its result is kept only if the record was not sealed for
     * erasing meanwhile (every erase of a ring block seals all records on it first), so a value decoded
     * from bytes being erased is dropped and read again. A decoder's exception counts likewise: thrown
     * on from a record still sealed off from erasing, else read again. Misses with damage on record,
     * values not yet checked since written, damaged and empty values take {@link #open}'s path.
     */
    <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        Objects.requireNonNull(decoder, "decoder");
        int code = namespace.code();
        int hash = NameHash.hash(code, name);
        Object[] reading = READING.get();
        int spins = 0;
        while (true) {
            long loc = indexed(code, hash, name, reading);
            RecordRef ref = (RecordRef) reading[0];
            reading[0] = null;
            if (loc == 0) {
                if (!damage.anyUnindexed()) {
                    return null;
                }
                break;
            }
            int slot = EntryTable.slotOf(loc);
            int length = ref.valueLength(slot);
            if (!ref.is(slot, RecordRef.VERIFIED) || ref.is(slot, RecordRef.DAMAGED) || length == 0) {
                break;
            }
            if (ref.sealed()) {
                // Collected meanwhile: the index already names the copy.
                spins = backOff(spins);
                continue;
            }
            T value;
            ByteBuffer window = takeWindow(reading);
            try {
                int at = ref.valueAt(slot);
                // The window is set afresh, so nothing a decoder left on it (a mark, the byte order) carries over.
                value = decoder.apply(window == null ? map.slice(at, length)
                        : window.clear().limit(at + length).position(at).order(ByteOrder.BIG_ENDIAN));
            } catch (RuntimeException e) {
                VarHandle.acquireFence();
                if (ref.sealed()) {
                    spins = backOff(spins);
                    continue;
                }
                throw e;
            } finally {
                reading[2] = window;
            }
            VarHandle.acquireFence(); // every byte the decoder read is read before the seal is checked
            if (ref.sealed()) {
                spins = backOff(spins);
                continue;
            }
            return Objects.requireNonNull(value, "the decoder returned null");
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
     * Each reading thread's state, so that a hit allocates nothing: [0] the record of its lookup, [1] the
     * map that [2] duplicates, a window the decoder reads the value through (null while a decoder runs
     * on it). Only JDK types are kept, so a long-lived thread holds nothing of this bundle's class loader.
     */
    private static final ThreadLocal<Object[]> READING = ThreadLocal.withInitial(() -> new Object[3]);

    /**
     * Takes the thread's window on this index's map out of {@code reading}, to be put back as its [2];
     * null if a decoder further up this thread's stack is reading through it (a decoder that reads
     * again), which then gets a slice of its own.
     */
    private ByteBuffer takeWindow(Object[] reading) {
        ByteBuffer window = (ByteBuffer) reading[2];
        if (window == null && reading[1] != null) {
            return null;
        }
        if (reading[1] != map) {
            window = map.duplicate();
            reading[1] = map;
        }
        reading[2] = null;
        return window;
    }

    /**
     * Whether a read may find the entry: false only if, as of one publication during this call, the
     * index has no such name (a different name of the same 16-bit hash tag may answer true) and no
     * damage is on record that a read could report under it (a removal superseded by a lost write, a
     * record whose name is damaged).
     */
    boolean mayContain(Namespace namespace, String name) {
        int code = namespace.code();
        int hash = NameHash.hash(code, name);
        int spins = 0;
        while (true) {
            long seen = version;
            if ((seen & 1) != 0) {
                spins = backOff(spins);
                continue;
            }
            boolean may;
            try {
                may = table.mayHold(code, hash);
            } catch (RuntimeException racing) {
                may = true;
            }
            VarHandle.acquireFence(); // the test happens before the second read of the sequence
            if (version != seen) {
                spins = backOff(spins);
                continue;
            }
            // Damage on record is rare and named by what the table does not hold: let the read report it.
            return may || damage.anyUnindexed();
        }
    }

    private static int backOff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return spins + 1;
    }

    private void unpin(RecordRef ref) {
        if (ref.unpin() == 0 && pinWaiters > 0) {
            synchronized (pinMonitor) {
                pinMonitor.notifyAll();
            }
        }
    }

    /** Waits up to {@code millis} for a view to close (or less: the caller checks again). */
    void awaitUnpin(long millis) throws InterruptedException {
        synchronized (pinMonitor) {
            pinWaiters++;
            try {
                pinMonitor.wait(millis);
            } finally {
                pinWaiters--;
            }
        }
    }

    List<String> names(Namespace namespace) {
        List<String> names = new ArrayList<>();
        publishLock.lock();
        try {
            for (long loc : table.locations()) {
                RecordRef ref = table.record(loc);
                int slot = EntryTable.slotOf(loc);
                if (ref.namespaceCode(slot) == namespace.code() && !ref.is(slot, RecordRef.REMOVAL)) {
                    names.add(table.name(ref, slot));
                }
            }
        } finally {
            publishLock.unlock();
        }
        Collections.sort(names);
        return Collections.unmodifiableList(names);
    }

    PartitionUsage usage() {
        Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
        publishLock.lock();
        try {
            for (Namespace namespace : Namespace.values()) {
                entries.put(namespace, table.liveByNamespace[namespace.code()]);
            }
            return new PartitionUsage(LogStore.PARTITION, capacity, usedPublished, entries);
        } finally {
            publishLock.unlock();
        }
    }

    /** The publication counter: even and unchanged around a read means no group was published meanwhile. */
    long version() {
        return version;
    }

    /** Publishes what the mount built (no reader looks yet). */
    void publishAll(CurrentVersions current) {
        usedPublished = current.used;
    }

    /** Makes the writer's pending changes visible to readers at once. */
    void publish(CurrentVersions current) {
        publishLock.lock();
        try {
            version++;
            current.publish();
            usedPublished = current.used;
        } finally {
            version++;
            publishLock.unlock();
        }
    }
}
