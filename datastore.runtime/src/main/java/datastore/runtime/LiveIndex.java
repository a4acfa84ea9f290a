package datastore.runtime;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.zip.CRC32C;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * The readers' side of the runtime engine: the published index, looked up without locks, and the pins
 * that keep a record's blocks from being erased while a view is open. The writer publishes a group's
 * changes inside one seqlock window ({@link #version} odd while it does), so a reader sees a batch
 * wholly or not at all; a lookup that saw the counter change is retried.
 */
final class LiveIndex {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final Map<Namespace, ConcurrentHashMap<String, EntryLoc>> live = new EnumMap<>(Namespace.class);
    /** Odd while the writer publishes a group; readers retry a lookup that saw it change. */
    private volatile long version;
    private final ReentrantLock publishLock = new ReentrantLock();
    private volatile long usedPublished;
    /**
     * Every name in {@link #live} is in it, from before the name becomes visible: replaced (never
     * emptied in place) only inside a publication window, so {@link #mayContain} never says no to a
     * name a read would find.
     */
    private volatile PresenceFilter presence = new PresenceFilter(0);
    private final Object pinMonitor = new Object();
    private volatile int pinWaiters;
    private final DamageLog damage;
    private final long capacity;
    /** The mapped region; set at mount, before the engine is handed out. */
    ByteBuffer map;

    LiveIndex(DamageLog damage, long capacity) {
        this.damage = damage;
        this.capacity = capacity;
        for (Namespace namespace : Namespace.values()) {
            live.put(namespace, new ConcurrentHashMap<>());
        }
    }

    /**
     * The index's entry for {@code name}, or null, as of one publication: read between two equal,
     * even values of {@code version} (an odd one means a change is being published).
     */
    private EntryLoc indexed(ConcurrentHashMap<String, EntryLoc> names, String name) {
        int spins = 0;
        while (true) {
            long seen = version;
            if ((seen & 1) == 0) {
                EntryLoc loc = names.get(name);
                if (version == seen) {
                    return loc;
                }
            }
            spins = backOff(spins);
        }
    }

    Optional<EntryView> open(Namespace namespace, String name) {
        ConcurrentHashMap<String, EntryLoc> names = live.get(namespace);
        int spins = 0;
        while (true) {
            EntryLoc loc = indexed(names, name);
            if (loc == null) {
                damage.checkMiss(namespace, name);
                return Optional.empty();
            }
            if (loc.damaged) {
                throw new CorruptedEntryException(LogStore.PARTITION, namespace, name, "revision " + loc.revision
                        + (loc.superseded ? " was superseded by a write that is no longer readable" : " fails its CRC32C"));
            }
            if (loc.valueLength == 0) {
                return Optional.of(new LogEntryView(loc, EMPTY, null));
            }
            RecordRef ref = loc.ref;
            if (!ref.pin()) {
                // Collected meanwhile: the index already names the copy.
                spins = backOff(spins);
                continue;
            }
            ByteBuffer slice = map.slice((int) loc.valueOffset, loc.valueLength);
            if (!loc.verified) {
                CRC32C crc = new CRC32C();
                crc.update(slice.duplicate());
                if ((int) crc.getValue() != loc.valueCrc) {
                    unpin(ref);
                    damage.damage(loc, "its value fails its checksum when first read after being written");
                    throw new CorruptedEntryException(LogStore.PARTITION, namespace, name, "revision " + loc.revision
                            + " fails its CRC32C");
                }
                loc.verified = true;
            }
            return Optional.of(new LogEntryView(loc, slice, () -> unpin(ref)));
        }
    }

    /**
     * Decodes the entry's value straight from the mapped region, with no view and no pin: the decoder
     * runs on a slice of the record, and its result is kept only if the record was not sealed for
     * erasing meanwhile (every erase of a ring block seals all records on it first), so a value decoded
     * from bytes being erased is dropped and read again. A decoder's exception counts likewise: thrown
     * on from a record still sealed off from erasing, else read again. Misses with damage on record,
     * values not yet checked since written, damaged and empty values take {@link #open}'s path.
     */
    <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        Objects.requireNonNull(decoder, "decoder");
        ConcurrentHashMap<String, EntryLoc> names = live.get(namespace);
        int spins = 0;
        while (true) {
            EntryLoc loc = indexed(names, name);
            if (loc == null) {
                if (!damage.anyUnindexed()) {
                    return Optional.empty();
                }
                break;
            }
            if (!loc.verified || loc.damaged || loc.valueLength == 0) {
                break;
            }
            RecordRef ref = loc.ref;
            if (ref.sealed()) {
                // Collected meanwhile: the index already names the copy.
                spins = backOff(spins);
                continue;
            }
            T value;
            try {
                value = decoder.apply(map.slice((int) loc.valueOffset, loc.valueLength));
            } catch (RuntimeException e) {
                VarHandle.acquireFence();
                if (ref.sealed()) {
                    spins = backOff(spins);
                    continue;
                }
                throw e;
            }
            VarHandle.acquireFence(); // every byte the decoder read is read before the seal is checked
            if (ref.sealed()) {
                spins = backOff(spins);
                continue;
            }
            return Optional.of(Objects.requireNonNull(value, "the decoder returned null"));
        }
        Optional<EntryView> view = open(namespace, name);
        if (view.isEmpty()) {
            return Optional.empty();
        }
        try (EntryView entry = view.get()) {
            return Optional.of(Objects.requireNonNull(decoder.apply(entry.data()), "the decoder returned null"));
        }
    }

    /**
     * Whether a read may find the entry: false only if, as of one publication during this call, the
     * index has no such name and no damage is on record that a read could report under it (a
     * removal superseded by a lost write, a record whose name is damaged).
     */
    boolean mayContain(Namespace namespace, String name) {
        int spins = 0;
        while (true) {
            long seen = version;
            if ((seen & 1) != 0) {
                spins = backOff(spins);
                continue;
            }
            boolean may = presence.mayContain(namespace, name);
            VarHandle.acquireFence(); // the test happens before the second read of the sequence
            if (version != seen) {
                spins = backOff(spins);
                continue;
            }
            // Damage on record is rare and named by what a filter cannot hold: let the read report it.
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
        if (ref.pins.decrementAndGet() == 0 && pinWaiters > 0) {
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
        List<String> names;
        publishLock.lock();
        try {
            names = new ArrayList<>(live.get(namespace).keySet());
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
                entries.put(namespace, live.get(namespace).size());
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

    /** Publishes the whole writer's index (at mount). */
    void publishAll(CurrentVersions current) {
        presence = rebuiltPresence(current);
        for (Map.Entry<EntryKey, EntryLoc> e : current.keys.entrySet()) {
            if (!e.getValue().removal) {
                live.get(e.getKey().namespace()).put(e.getKey().name(), e.getValue());
            }
        }
        usedPublished = current.used;
    }

    /**
     * A presence filter of every name the writer's state holds, sized for twice as many, so that it
     * is rebuilt only after as many new names again; removed names are left out.
     */
    private static PresenceFilter rebuiltPresence(CurrentVersions current) {
        int names = 0;
        for (EntryLoc loc : current.keys.values()) {
            if (!loc.removal) {
                names++;
            }
        }
        PresenceFilter filter = new PresenceFilter(2 * names);
        for (Map.Entry<EntryKey, EntryLoc> e : current.keys.entrySet()) {
            if (!e.getValue().removal) {
                filter.add(e.getKey().namespace(), e.getKey().name());
                filter.countAdded();
            }
        }
        return filter;
    }

    /** Makes a group's changes visible to readers at once. */
    void publish(CurrentVersions current, Set<EntryKey> touched, boolean cleared) {
        publishLock.lock();
        try {
            version++;
            if (cleared) {
                // The names left after a clear are the group's later writes: a filter of those only.
                presence = rebuiltPresence(current);
                for (ConcurrentHashMap<String, EntryLoc> names : live.values()) {
                    names.clear();
                }
                for (Map.Entry<EntryKey, EntryLoc> e : current.keys.entrySet()) {
                    if (!e.getValue().removal) {
                        live.get(e.getKey().namespace()).put(e.getKey().name(), e.getValue());
                    }
                }
            } else {
                PresenceFilter filter = presence;
                boolean full = false;
                for (EntryKey key : touched) {
                    EntryLoc loc = current.get(key);
                    ConcurrentHashMap<String, EntryLoc> names = live.get(key.namespace());
                    if (loc == null || loc.removal) {
                        names.remove(key.name());
                    } else {
                        // In the filter before it is in the index, though no reader looks before the window closes.
                        filter.add(key.namespace(), key.name());
                        if (names.put(key.name(), loc) == null) {
                            full |= filter.countAdded();
                        }
                    }
                }
                if (full) {
                    presence = rebuiltPresence(current);
                }
            }
            usedPublished = current.used;
        } finally {
            version++;
            publishLock.unlock();
        }
    }

    /** Points readers at the collector's copies: pairs of (original, copy). */
    void publishCopies(List<EntryLoc[]> copies) {
        publishLock.lock();
        try {
            version++;
            for (EntryLoc[] pair : copies) {
                live.get(pair[0].namespace).replace(pair[0].name, pair[0], pair[1]);
            }
        } finally {
            version++;
            publishLock.unlock();
        }
    }
}
