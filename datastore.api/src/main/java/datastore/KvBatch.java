package datastore;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Puts and removals collected for one atomic write to one partition. Each call validates its
 * arguments at once; nothing is written before {@link #commit()}. A batch is used by one thread and
 * committed at most once.
 */
@ProviderType
public interface KvBatch {

    /** Adds a put; a later put or remove of the same key in this batch replaces it. */
    KvBatch put(String key, String value);

    /** Adds a removal of {@code key} from the batch's partition. */
    KvBatch remove(String key);

    /**
     * Applies every change at once.
     *
     * @throws IllegalStateException if the batch was already committed
     * @throws DatastoreException as {@link KvStore#put(String, String, String)} does; nothing applied
     */
    void commit();
}
