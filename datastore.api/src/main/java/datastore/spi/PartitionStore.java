package datastore.spi;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import datastore.Namespace;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One partition of the logical store, registered as a service with {@link #PARTITION} and a
 * {@code service.ranking}; the aggregating bundle asks partitions in descending ranking. A partition
 * stores, per {@link Namespace}, names mapped to a value and a format byte, and counts its capacity
 * in payload bytes (UTF-8 name plus value). All methods are thread-safe.
 */
@ProviderType
public interface PartitionStore {

    /** Service property, {@code String}: the partition's name ({@link datastore.Partitions}). */
    String PARTITION = "datastore.partition";

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
     * value, so that a partition can serve a small read without handing out a view. The buffer is
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
