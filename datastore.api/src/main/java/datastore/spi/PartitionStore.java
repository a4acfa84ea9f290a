package datastore.spi;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import datastore.Namespace;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One partition of the logical store, registered as a service with {@link #PARTITION} and a
 * {@link #SERVICE_RANKING} ({@link #serviceProperties}); the aggregating bundle asks partitions in
 * descending ranking. A partition
 * stores, per {@link Namespace}, names mapped to a value and a format byte, and counts its capacity
 * in payload bytes (UTF-8 name plus value). All methods are thread-safe.
 */
@ProviderType
public interface PartitionStore {

    /** Service property, {@code String}: the partition's name ({@link datastore.Partitions}). */
    String PARTITION = "datastore.partition";

    /**
     * Service property, {@code Integer}: the partition's place in the lookup order, highest asked
     * first ({@link datastore.Partitions#EPHEMERAL_RANKING} and its siblings). It is the framework's
     * {@code service.ranking} ({@code org.osgi.framework.Constants.SERVICE_RANKING}), which also orders
     * the services; a value that is not an {@code Integer} counts as 0.
     *
     * @since 1.4
     */
    String SERVICE_RANKING = "service.ranking";

    /**
     * The service properties a partition registers with, as {@link PartitionStore} or, in its place,
     * as {@link RefusedPartition}: its {@link #PARTITION} name and its {@link #SERVICE_RANKING}.
     *
     * @param partition the partition's name, as {@link #name()} returns it
     * @param ranking its place in the lookup order, the same for the partition and its refusal
     * @return a new, modifiable map holding those two properties, to which a registration may add
     *         properties of its own (a description, say)
     * @throws IllegalArgumentException if {@code partition} is null or empty
     * @since 1.4
     */
    static Map<String, Object> serviceProperties(String partition, int ranking) {
        if (partition == null || partition.isEmpty()) {
            throw new IllegalArgumentException("a partition registers with a name in " + PARTITION + ", not "
                    + (partition == null ? "null" : "an empty string"));
        }
        Map<String, Object> properties = new HashMap<>();
        properties.put(PARTITION, partition);
        properties.put(SERVICE_RANKING, ranking);
        return properties;
    }

    /** The partition's name, equal to its {@link #PARTITION} property. */
    String name();

    /** Whether {@link #apply(List)} and {@link #clear()} always refuse (the ROM through this SPI). */
    boolean readOnly();

    /**
     * Opens the entry for reading, if present. The caller must close the view.
     *
     * @throws datastore.CorruptedEntryException if the stored entry fails its checksum
     */
    Optional<EntryView> open(Namespace namespace, String name);

    /**
     * Reads the entry's value through {@code decoder}, if present: for callers that only decode the
     * value, so that a partition can serve a small read without handing out a view. The value lies
     * between the buffer's position and limit (the position need not be zero). The buffer is
     * read-only or a private copy, valid only during the call; the decoder must not keep it, and must
     * not return null. This default opens a view, decodes its {@link EntryView#data()} and closes it;
     * a partition overrides it when it can decode more cheaply (for example without pinning).
     *
     * @throws datastore.CorruptedEntryException if the stored entry fails its checksum
     * @throws NullPointerException if the decoder returns null
     * @since 1.1
     */
    default <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        Optional<EntryView> view = open(namespace, name);
        if (view.isEmpty()) {
            return Optional.empty();
        }
        try (EntryView entry = view.get()) {
            return Optional.of(decoder.apply(entry.data()));
        }
    }

    /**
     * As {@link #read}, with null for an absent entry instead of an empty {@code Optional}: the
     * aggregating bundle's read path, on which a hit then allocates only what the decoder does (a
     * call through this interface is rarely inlined, so the {@code Optional} of {@link #read} is
     * allocated on every hit). This default unwraps {@link #read}; a partition that overrides
     * {@code read} overrides this method too, and answers the same.
     *
     * @return the decoded value, or null if the partition holds no such entry
     * @throws datastore.CorruptedEntryException if the stored entry fails its checksum
     * @throws NullPointerException if the decoder returns null
     * @since 1.5
     */
    default <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return read(namespace, name, decoder).orElse(null);
    }

    /**
     * Whether the partition may hold the entry: a cheap test (a presence filter, say) that lets the
     * aggregating bundle skip a partition on the way to a lower one. It answers {@code false} only if
     * {@link #open} and {@link #read} called at some instant during this call would have found no
     * entry and reported no corrupted one; in particular, never for a name whose write returned before
     * this call began. A false {@code true} only costs the lookup it would have saved. This default
     * answers {@code true}: a partition without such a test is always asked.
     *
     * @since 1.3
     */
    default boolean mayContain(Namespace namespace, String name) {
        return true;
    }

    /** The names present in a namespace, sorted; an unmodifiable snapshot. */
    List<String> names(Namespace namespace);

    /**
     * Applies the changes atomically, in order: when this returns, all are applied and as durable as
     * the partition promises; when it throws (or power fails before it returns), none is visible, or,
     * after a power cut, all are.
     *
     * @throws datastore.PartitionFullException if the payload would exceed the capacity
     * @throws datastore.ReadOnlyPartitionException if the partition is read-only
     */
    void apply(List<Change> changes);

    /** Capacity, use and entry counts. */
    PartitionUsage usage();

    /**
     * Removes every entry (factory reset).
     *
     * @throws datastore.ReadOnlyPartitionException if the partition is read-only
     */
    void clear();
}
