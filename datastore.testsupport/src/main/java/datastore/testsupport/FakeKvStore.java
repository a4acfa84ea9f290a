package datastore.testsupport;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import datastore.KvBatch;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Partitions;
import datastore.PartitionUnavailableException;

/**
 * A key-value store over the dock's three partitions in memory: reads answer from the first partition
 * holding the key, writes go to a named partition (runtime by default) and the ROM refuses them.
 * Batches apply to one partition at once. Thread-safe (a batch is used by one thread).
 */
public final class FakeKvStore implements KvStore {
    private final Layers<String> layers = new Layers<>();
    /** When set, listing fails as the store does when the runtime partition refused its flash, for this reason. */
    public volatile String unavailable;

    /** Stores a value in any partition, the ROM too, as a test set-up does. */
    public FakeKvStore with(String key, String value, String partition) {
        layers.provision(key, value, partition);
        return this;
    }

    /** Empties every partition. */
    public void clear() {
        layers.clear();
    }

    /** Empties one partition, as a factory reset does. */
    public void clear(String partition) {
        layers.clear(partition);
    }

    /** Every partition's entries, for before/after comparisons. */
    public String snapshot() {
        return layers.snapshot();
    }

    @Override
    public List<String> list() {
        String reason = unavailable;
        if (reason != null) {
            throw new PartitionUnavailableException(Partitions.RUNTIME, null, reason);
        }
        return layers.names();
    }

    @Override
    public String get(String key) {
        return find(key).orElse("");
    }

    @Override
    public Optional<String> find(String key) {
        return lookup(key).map(KvEntry::value);
    }

    @Override
    public Optional<KvEntry> lookup(String key) {
        return layers.lookup(key).map(e -> new KvEntry(key, e.getValue(), e.getKey()));
    }

    @Override
    public Optional<KvEntry> lookup(String key, String partition) {
        return layers.in(key, partition).map(value -> new KvEntry(key, value, partition));
    }

    @Override
    public void put(String key, String value) {
        put(key, value, Partitions.RUNTIME);
    }

    @Override
    public void put(String key, String value, String partition) {
        layers.put(key, value, partition);
    }

    @Override
    public boolean remove(String key, String partition) {
        return layers.remove(key, partition);
    }

    /**
     * A batch as the store makes one: the partition is checked now, each key when it is added, and the
     * commit applies every change at once or, refused, none.
     */
    @Override
    public KvBatch batch(String partition) {
        layers.checkWritable(partition);
        return new KvBatch() {
            /** The last change per key: a value, or null for a removal. */
            private final Map<String, String> changes = new LinkedHashMap<>();
            private boolean committed;

            @Override
            public KvBatch put(String key, String value) {
                checkOpen();
                Layers.checkName(key);
                changes.put(key, Objects.requireNonNull(value, "value"));
                return this;
            }

            @Override
            public KvBatch remove(String key) {
                checkOpen();
                Layers.checkName(key);
                changes.put(key, null);
                return this;
            }

            @Override
            public void commit() {
                checkOpen();
                committed = true;
                layers.apply(partition, changes);
            }

            private void checkOpen() {
                if (committed) {
                    throw new IllegalStateException("this batch for partition " + partition + " was already committed");
                }
            }
        };
    }
}
