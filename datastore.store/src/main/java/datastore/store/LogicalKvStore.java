package datastore.store;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import datastore.KvBatch;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Namespace;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceDescription;

/**
 * The {@link KvStore} service: key-value settings over the logical store's partitions, stored as
 * UTF-8. Names are checked by {@link EntryRules} before anything reaches a partition; a null key is
 * an {@link datastore.InvalidNameException}, a null partition a
 * {@link datastore.NoSuchPartitionException}, a null value a {@link NullPointerException}, and a
 * value that is not well-formed UTF-16 (an unpaired surrogate) a plain
 * {@link datastore.DatastoreException}, since UTF-8 cannot hold it.
 */
@Component(name = "datastore.store.kv", service = KvStore.class)
@ServiceDescription("Key-value settings of the one logical store")
public class LogicalKvStore implements KvStore {

    private final LogicalStore store;

    @Activate
    public LogicalKvStore(@Reference(name = "store", policyOption = ReferencePolicyOption.GREEDY) LogicalStore store) {
        this.store = store;
    }

    @Override
    public List<String> list() {
        return store.names(Namespace.KV);
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
        EntryRules.checkName(key);
        return store.read(Namespace.KV, key,
                (partition, view) -> new KvEntry(key, StandardCharsets.UTF_8.decode(view.data()).toString(), partition));
    }

    @Override
    public void put(String key, String value) {
        put(key, value, store.defaultPartition());
    }

    @Override
    public void put(String key, String value, String partition) {
        EntryRules.checkName(key);
        store.putEntry(Namespace.KV, key, 0, EntryRules.encodeValue(key, value), partition);
    }

    @Override
    public boolean remove(String key, String partition) {
        EntryRules.checkName(key);
        return store.removeEntry(Namespace.KV, key, partition);
    }

    /**
     * {@inheritDoc} The partition is checked at once (present, writable) and again at commit, when
     * the changes go to the partition in one {@code apply}.
     */
    @Override
    public KvBatch batch(String partition) {
        store.checkWritable(partition, null);
        return new LogicalKvBatch(store, partition);
    }
}
