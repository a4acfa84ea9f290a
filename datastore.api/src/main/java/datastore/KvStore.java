package datastore;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Key-value settings of the one logical store. A read asks the partitions in descending
 * {@code service.ranking} (ephemeral, runtime, ROM) and answers from the first that has the key. A
 * write names its partition; without one it goes to the store's default partition (runtime unless
 * configured otherwise). Removing a key from a partition uncovers the value of a lower partition.
 *
 * <p>Names follow {@link Limits}; values are strings of at most {@link Namespace#KV}'s limit in
 * UTF-8. Every failure is a {@link DatastoreException} subclass and leaves the store unchanged.
 */
@ProviderType
public interface KvStore {

    /** The keys that have a value in any partition, sorted, without duplicates; unmodifiable. */
    List<String> list();

    /**
     * The value visible for {@code key}, or {@code ""} when no partition has it (the dock SDK's
     * semantics).
     *
     * @throws InvalidNameException if {@code key} is not a valid name
     * @throws CorruptedEntryException if the winning entry fails its checksum
     */
    String get(String key);

    /** The value visible for {@code key}, if any. Same exceptions as {@link #get(String)}. */
    Optional<String> find(String key);

    /** The visible value for {@code key} together with the partition it came from. */
    Optional<KvEntry> lookup(String key);

    /**
     * The value {@code key} has in the named partition only, whatever the partitions above it hold:
     * the explicit form the lookup order allows ("unless explicitly stated otherwise"), for example to
     * show the factory value under a user's override.
     *
     * @return the entry, empty when that partition lacks the key
     * @throws InvalidNameException if {@code key} is not a valid name
     * @throws NoSuchPartitionException if no partition of that name is present
     * @throws CorruptedEntryException if the partition's entry fails its checksum
     * @since 1.1
     */
    Optional<KvEntry> lookup(String key, String partition);

    /** Stores {@code value} under {@code key} in the default partition. */
    void put(String key, String value);

    /**
     * Stores {@code value} under {@code key} in the named partition. When this returns the value is
     * as durable as the partition promises (on flash, for the runtime partition).
     *
     * @throws InvalidNameException if {@code key} is not a valid name
     * @throws ValueTooLargeException if the value is longer than the KV limit
     * @throws NoSuchPartitionException if no partition of that name is present
     * @throws ReadOnlyPartitionException if the partition cannot be written (ROM)
     * @throws PartitionFullException if the partition's payload capacity would be exceeded
     */
    void put(String key, String value, String partition);

    /**
     * Removes {@code key} from the named partition only; a value in a lower partition becomes visible.
     *
     * @return whether the partition held the key
     */
    boolean remove(String key, String partition);

    /**
     * A batch of puts and removals applied to one partition atomically: after {@link KvBatch#commit()}
     * returns, all are applied; if it throws, or power fails before it returns, none or all are.
     */
    KvBatch batch(String partition);
}
