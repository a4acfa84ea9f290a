package datastore.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import datastore.ChangeEvents;
import datastore.KvBatch;
import datastore.Names;
import datastore.Namespace;
import datastore.spi.Change;

/**
 * A {@link KvBatch}: each put and removal is validated when it is added, and {@link #commit()}
 * hands them all to the partition in one {@code apply}, so they land together or not at all. A batch
 * is spent by its first commit, whether that succeeds or throws.
 */
final class LogicalKvBatch implements KvBatch {

    private final LogicalStore store;
    private final String partition;
    /** The last change per key, in the order the keys were first named. */
    private final Map<String, Change> changes = new LinkedHashMap<>();
    private boolean committed;

    LogicalKvBatch(LogicalStore store, String partition) {
        this.store = store;
        this.partition = partition;
    }

    @Override
    public KvBatch put(String key, String value) {
        checkOpen();
        Names.check(key);
        changes.put(key, Change.put(Namespace.KV, key, 0, EntryRules.encodeValue(key, value)));
        return this;
    }

    @Override
    public KvBatch remove(String key) {
        checkOpen();
        Names.check(key);
        changes.put(key, Change.remove(Namespace.KV, key));
        return this;
    }

    @Override
    public void commit() {
        checkOpen();
        committed = true;
        List<Change> list = List.copyOf(changes.values());
        // Removals of keys the partition does not hold change nothing, so they post no event.
        List<Change> effective = store.write(partition, null, p -> {
            List<Change> changed = new ArrayList<>(list.size());
            for (Change change : list) {
                if (!change.isRemoval() || PartitionCalls.holds(p, Namespace.KV, change.name())) {
                    changed.add(change);
                }
            }
            if (!list.isEmpty()) {
                p.apply(list);
            }
            return changed;
        });
        for (Change change : effective) {
            store.changed(partition, Namespace.KV, change.name(), change.isRemoval() ? ChangeEvents.REMOVED : ChangeEvents.PUT);
        }
    }

    private void checkOpen() {
        if (committed) {
            throw new IllegalStateException("this batch for partition " + partition + " was already committed");
        }
    }
}
