package datastore.testsupport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.ReadOnlyPartitionException;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;

/**
 * An in-memory partition for tests: a map per namespace, a revision counter, a read-only flag and a
 * payload capacity, with hooks to make it fail, corrupt an entry or change stored bytes in place.
 * Thread-safe; a test sets the hooks before it starts other threads or reads them volatile.
 */
public final class MemoryPartition implements PartitionStore {

    /** One stored value: its own array, which views wrap without copying. */
    public record Stored(byte[] bytes, int format, long revision, boolean corrupted) {
    }

    private final String name;
    private final long capacity;
    private final Map<Namespace, TreeMap<String, Stored>> entries = new EnumMap<>(Namespace.class);
    private long lastRevision;
    private final AtomicInteger openViews = new AtomicInteger();
    private final AtomicInteger applyCalls = new AtomicInteger();
    public volatile boolean readOnly;
    /** When set, open() and names() throw it. */
    public volatile RuntimeException readFailure;
    /** When set, clear() throws it. */
    public volatile RuntimeException clearFailure;
    /** When set, usage() throws it. */
    public volatile RuntimeException usageFailure;
    /** When set, runs at the start of every open(). */
    public volatile Consumer<MemoryPartition> onOpen;
    /** When set, mayContain() answers with it; else the SPI default ({@code true}). */
    public volatile java.util.function.BiPredicate<Namespace, String> presence;
    /** How many times open() was called. */
    public final AtomicInteger opens = new AtomicInteger();

    public MemoryPartition(String name) {
        this(name, Long.MAX_VALUE);
    }

    /** @param capacity the most payload bytes (names and values) it holds; beyond, a write is {@link PartitionFullException} */
    public MemoryPartition(String name, long capacity) {
        this.name = name;
        this.capacity = capacity;
        for (Namespace namespace : Namespace.values()) {
            entries.put(namespace, new TreeMap<>());
        }
    }

    /** Makes it refuse writes, as a ROM does; {@link #with} still provisions it. */
    public MemoryPartition makeReadOnly() {
        readOnly = true;
        return this;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public boolean mayContain(Namespace namespace, String key) {
        java.util.function.BiPredicate<Namespace, String> test = presence;
        return test == null ? PartitionStore.super.mayContain(namespace, key) : test.test(namespace, key);
    }

    @Override
    public Optional<EntryView> open(Namespace namespace, String key) {
        opens.incrementAndGet();
        Consumer<MemoryPartition> hook = onOpen;
        if (hook != null) {
            hook.accept(this);
        }
        RuntimeException failure = readFailure;
        if (failure != null) {
            throw failure;
        }
        Stored stored;
        synchronized (this) {
            stored = entries.get(namespace).get(key);
        }
        if (stored == null) {
            return Optional.empty();
        }
        if (stored.corrupted()) {
            throw new CorruptedEntryException(name, namespace, key, "checksum mismatch");
        }
        openViews.incrementAndGet();
        return Optional.of(new EntryView() {
            private boolean closed;

            @Override
            public Namespace namespace() {
                return namespace;
            }

            @Override
            public String name() {
                return key;
            }

            @Override
            public int format() {
                return stored.format();
            }

            @Override
            public long revision() {
                return stored.revision();
            }

            @Override
            public ByteBuffer data() {
                return ByteBuffer.wrap(stored.bytes()).asReadOnlyBuffer();
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    openViews.decrementAndGet();
                }
            }
        });
    }

    @Override
    public synchronized List<String> names(Namespace namespace) {
        RuntimeException failure = readFailure;
        if (failure != null) {
            throw failure;
        }
        return List.copyOf(entries.get(namespace).keySet());
    }

    @Override
    public synchronized void apply(List<Change> changes) {
        if (readOnly) {
            throw new ReadOnlyPartitionException(name, changes.isEmpty() ? null : changes.get(0).name());
        }
        Map<Namespace, TreeMap<String, Stored>> next = new EnumMap<>(Namespace.class);
        entries.forEach((namespace, map) -> next.put(namespace, new TreeMap<>(map)));
        long revision = lastRevision;
        for (Change change : changes) {
            if (change.isRemoval()) {
                next.get(change.namespace()).remove(change.name());
            } else {
                ByteBuffer data = change.data().duplicate();
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                next.get(change.namespace()).put(change.name(), new Stored(bytes, change.format(), ++revision, false));
            }
        }
        long used = used(next);
        if (used > capacity) {
            throw new PartitionFullException(name, changes.isEmpty() ? null : changes.get(0).name(), used, capacity);
        }
        entries.putAll(next);
        lastRevision = revision;
        applyCalls.incrementAndGet();
    }

    @Override
    public synchronized PartitionUsage usage() {
        if (usageFailure != null) {
            throw usageFailure;
        }
        Map<Namespace, Integer> counts = new EnumMap<>(Namespace.class);
        entries.forEach((namespace, map) -> counts.put(namespace, map.size()));
        return new PartitionUsage(name, capacity, used(entries), counts);
    }

    @Override
    public synchronized void clear() {
        if (clearFailure != null) {
            throw clearFailure;
        }
        if (readOnly) {
            throw new ReadOnlyPartitionException(name, null);
        }
        entries.values().forEach(Map::clear);
    }

    private static long used(Map<Namespace, TreeMap<String, Stored>> maps) {
        long used = 0;
        for (TreeMap<String, Stored> map : maps.values()) {
            for (Map.Entry<String, Stored> entry : map.entrySet()) {
                used += entry.getKey().getBytes(StandardCharsets.UTF_8).length + entry.getValue().bytes().length;
            }
        }
        return used;
    }

    // ---- test hooks

    /** Stores a value directly, even when read-only, as a factory image or a test set-up would. */
    public MemoryPartition with(Namespace namespace, String key, int format, byte[] value) {
        boolean wasReadOnly = readOnly;
        readOnly = false;
        apply(List.of(Change.put(namespace, key, format, ByteBuffer.wrap(value))));
        readOnly = wasReadOnly;
        return this;
    }

    /** Stores a KV entry directly, as {@link #with} does. */
    public MemoryPartition withKv(String key, String value) {
        return with(Namespace.KV, key, 0, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Makes the entry fail its checksum on every open. */
    public synchronized void corrupt(Namespace namespace, String key) {
        Stored stored = entries.get(namespace).get(key);
        entries.get(namespace).put(key, new Stored(stored.bytes(), stored.format(), stored.revision(), true));
    }

    /** Changes one stored byte in place, to see whether a view shares the storage. */
    public synchronized void poke(Namespace namespace, String key, int index, byte value) {
        entries.get(namespace).get(key).bytes()[index] = value;
    }

    /** The stored value, as the partition holds it. */
    public synchronized Optional<Stored> stored(Namespace namespace, String key) {
        return Optional.ofNullable(entries.get(namespace).get(key));
    }

    /** Views opened and not yet closed. */
    public int openViews() {
        return openViews.get();
    }

    /** How many batches of changes were applied. */
    public int applyCalls() {
        return applyCalls.get();
    }

    /** Every entry, its format, revision and bytes, for before/after comparisons. */
    public synchronized Map<String, String> snapshot() {
        Map<String, String> all = new HashMap<>();
        entries.forEach((namespace, map) -> map.forEach((key, stored) -> all.put(namespace.id() + "/" + key,
                stored.format() + "@" + stored.revision() + ":" + java.util.Arrays.toString(stored.bytes()))));
        return all;
    }

    /** A new partition of the same name holding the same entries: the same data after a bundle update. */
    public synchronized MemoryPartition successor() {
        MemoryPartition next = new MemoryPartition(name, capacity);
        entries.forEach((namespace, map) -> next.entries.get(namespace).putAll(map));
        next.lastRevision = lastRevision;
        next.readOnly = readOnly;
        return next;
    }

    @Override
    public String toString() {
        return "MemoryPartition[" + name + "]";
    }
}
