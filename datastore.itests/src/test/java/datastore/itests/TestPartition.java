package datastore.itests;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.ReadOnlyPartitionException;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;

/**
 * A small in-memory partition the tests register with a ranking of their choice, to check that the
 * store consults whatever partitions are present in ranking order.
 */
final class TestPartition implements PartitionStore {

    private record Stored(int format, byte[] data, long revision) {
    }

    private record Key(Namespace namespace, String name) {
    }

    private final String name;
    private final boolean readOnly;
    private final long capacity;
    private final AtomicLong revisions = new AtomicLong();
    private final Map<Key, Stored> entries = new HashMap<>();

    TestPartition(String name, boolean readOnly, long capacity) {
        this.name = name;
        this.readOnly = readOnly;
        this.capacity = capacity;
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
    public synchronized Optional<EntryView> open(Namespace namespace, String entry) {
        Stored stored = entries.get(new Key(namespace, entry));
        if (stored == null) {
            return Optional.empty();
        }
        return Optional.of(new EntryView() {
            @Override
            public Namespace namespace() {
                return namespace;
            }

            @Override
            public String name() {
                return entry;
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
                return ByteBuffer.wrap(stored.data()).asReadOnlyBuffer();
            }

            @Override
            public void close() {
            }
        });
    }

    @Override
    public synchronized List<String> names(Namespace namespace) {
        List<String> names = new ArrayList<>();
        entries.keySet().stream().filter(k -> k.namespace() == namespace).forEach(k -> names.add(k.name()));
        Collections.sort(names);
        return List.copyOf(names);
    }

    /** Writes an entry regardless of {@link #readOnly()}: how a test provisions a read-only partition. */
    synchronized void provision(Namespace namespace, String entry, String value) {
        entries.put(new Key(namespace, entry),
                new Stored(0, value.getBytes(StandardCharsets.UTF_8), revisions.incrementAndGet()));
    }

    @Override
    public synchronized void apply(List<Change> changes) {
        if (readOnly) {
            throw new ReadOnlyPartitionException(name, changes.isEmpty() ? null : changes.get(0).name());
        }
        Map<Key, Stored> next = new HashMap<>(entries);
        for (Change change : changes) {
            Key key = new Key(change.namespace(), change.name());
            if (change.isRemoval()) {
                next.remove(key);
            } else {
                ByteBuffer data = change.data().duplicate();
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                next.put(key, new Stored(change.format(), bytes, revisions.incrementAndGet()));
            }
        }
        long used = used(next);
        if (used > capacity) {
            throw new PartitionFullException(name, changes.get(0).name(), used, capacity);
        }
        entries.clear();
        entries.putAll(next);
    }

    private static long used(Map<Key, Stored> entries) {
        long used = 0;
        for (Map.Entry<Key, Stored> entry : entries.entrySet()) {
            used += entry.getKey().name().getBytes(StandardCharsets.UTF_8).length + entry.getValue().data().length;
        }
        return used;
    }

    @Override
    public synchronized PartitionUsage usage() {
        Map<Namespace, Integer> counts = new EnumMap<>(Namespace.class);
        for (Namespace namespace : Namespace.values()) {
            counts.put(namespace, 0);
        }
        entries.keySet().forEach(k -> counts.merge(k.namespace(), 1, Integer::sum));
        return new PartitionUsage(name, capacity, used(entries), counts);
    }

    @Override
    public synchronized void clear() {
        if (readOnly) {
            throw new ReadOnlyPartitionException(name, null);
        }
        entries.clear();
    }
}
