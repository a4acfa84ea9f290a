package datastore.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import datastore.KvBatch;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Names;
import datastore.Namespace;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceDescription;

/**
 * The {@link KvStore} service: key-value settings over the logical store's partitions, stored as
 * UTF-8. Names are checked by {@link Names#check} before anything reaches a partition; a null key is
 * an {@link datastore.InvalidNameException}, a null partition a
 * {@link datastore.NoSuchPartitionException}, a null value a {@link NullPointerException}, and a
 * value that is not well-formed UTF-16 (an unpaired surrogate) a plain
 * {@link datastore.DatastoreException}, since UTF-8 cannot hold it.
 */
@Component(name = "datastore.store.kv", service = KvStore.class)
@ServiceDescription("Key-value settings of the one logical store")
public class LogicalKvStore implements KvStore {

    /** Decodes a stored value; one instance, so that a read allocates no decoder. */
    private static final Function<ByteBuffer, String> UTF8 = LogicalKvStore::decode;

    /** Values up to this size are copied out of a direct buffer into {@link #SCRATCH} to be decoded. */
    static final int SCRATCH_BYTES = 4096;

    /** Each reading thread's copy buffer, {@link #SCRATCH_BYTES} long; only {@link #decode} uses it, never reentrantly. */
    private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

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
        Names.check(key);
        String value = store.readValue(Namespace.KV, key, UTF8);
        return value == null ? "" : value;
    }

    @Override
    public Optional<String> find(String key) {
        Names.check(key);
        return Optional.ofNullable(store.readValue(Namespace.KV, key, UTF8));
    }

    @Override
    public Optional<KvEntry> lookup(String key) {
        Names.check(key);
        return store.read(Namespace.KV, key, (partition, view) -> new KvEntry(key, decode(view.data()), partition));
    }

    @Override
    public Optional<KvEntry> lookup(String key, String partition) {
        Names.check(key);
        return store.readIn(partition, Namespace.KV, key, view -> new KvEntry(key, decode(view.data()), partition));
    }

    /**
     * The value as a string, decoded from the buffer's bytes in one step: from its array when it has
     * one, else from one copy (a {@code CharsetDecoder} would add a decoder and a char buffer per read).
     * Malformed input becomes U+FFFD, as with {@code Charset.decode}.
     */
    static String decode(ByteBuffer data) {
        int length = data.remaining();
        if (data.hasArray()) {
            return new String(data.array(), data.arrayOffset() + data.position(), length, StandardCharsets.UTF_8);
        }
        // A String is made from an array only: a small value goes through the thread's own, so that a
        // read allocates the String and nothing else. The array holds no class of this bundle.
        byte[] bytes = length <= SCRATCH_BYTES ? scratch() : new byte[length];
        data.get(data.position(), bytes, 0, length);
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    private static byte[] scratch() {
        byte[] bytes = SCRATCH.get();
        if (bytes == null) {
            bytes = new byte[SCRATCH_BYTES];
            SCRATCH.set(bytes);
        }
        return bytes;
    }

    @Override
    public void put(String key, String value) {
        put(key, value, store.defaultPartition());
    }

    @Override
    public void put(String key, String value, String partition) {
        Names.check(key);
        store.putEntry(Namespace.KV, key, 0, EntryRules.encodeValue(key, value), partition);
    }

    @Override
    public boolean remove(String key, String partition) {
        Names.check(key);
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
