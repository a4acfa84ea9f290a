package datastore.testsupport;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import datastore.Namespace;
import datastore.spi.PartitionUsage;
import datastore.system.PartitionRefusal;
import datastore.system.PartitionStatus;
import datastore.system.StoreStatus;

/** The store's partitions as its status service reports them, in lookup order, and its refusals. Thread-safe. */
public final class FakeStoreStatus implements StoreStatus {
    private final List<PartitionStatus> partitions = new ArrayList<>();
    private final List<PartitionRefusal> refused = new ArrayList<>();

    /** Adds a partition holding {@code entries} entries per namespace (absent namespaces: none). */
    public FakeStoreStatus with(String name, int ranking, boolean readOnly, long capacity, long used,
            Map<Namespace, Integer> entries) {
        Map<Namespace, Integer> counts = new EnumMap<>(Namespace.class);
        for (Namespace namespace : Namespace.values()) {
            counts.put(namespace, entries.getOrDefault(namespace, 0));
        }
        return add(new PartitionStatus(name, ranking, readOnly, new PartitionUsage(name, capacity, used, counts), null));
    }

    /** Adds a partition holding {@code keys} keys and no other entries. */
    public FakeStoreStatus with(String name, int ranking, boolean readOnly, long capacity, long used, int keys) {
        return with(name, ranking, readOnly, capacity, used, Map.of(Namespace.KV, keys));
    }

    /** Adds a partition that failed to report its usage, with this error. */
    public FakeStoreStatus broken(String name, int ranking, String error) {
        return add(new PartitionStatus(name, ranking, false, null, error));
    }

    /** Adds a partition that refused its flash, for this reason. */
    public synchronized FakeStoreStatus refusing(String name, String reason) {
        refused.add(new PartitionRefusal(name, reason));
        return this;
    }

    @Override
    public synchronized List<PartitionStatus> partitions() {
        return List.copyOf(partitions);
    }

    @Override
    public synchronized List<PartitionRefusal> refused() {
        return List.copyOf(refused);
    }

    private synchronized FakeStoreStatus add(PartitionStatus partition) {
        partitions.add(partition);
        partitions.sort(Comparator.comparingInt(PartitionStatus::ranking).reversed());
        return this;
    }
}
