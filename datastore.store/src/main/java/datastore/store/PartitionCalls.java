package datastore.store;

import java.nio.ByteBuffer;
import java.util.Optional;

import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.Namespace;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;

/**
 * What the store makes of its calls to one partition: whether it holds an entry, a copy of an
 * entry's value that outlives the partition's storage, and the exception a caller sees when the
 * partition fails.
 */
final class PartitionCalls {

    private PartitionCalls() {
    }

    /** Whether the partition has the entry; a corrupted entry is there (and removing it is how to get rid of it). */
    static boolean holds(PartitionStore partition, Namespace namespace, String name) {
        try {
            Optional<EntryView> view = partition.open(namespace, name);
            view.ifPresent(EntryView::close);
            return view.isPresent();
        } catch (CorruptedEntryException e) {
            return true;
        }
    }

    /** A read-only heap copy of an entry's value, independent of the partition's storage. */
    static ByteBuffer copyOut(EntryView view) {
        ByteBuffer data = view.data();
        ByteBuffer copy = ByteBuffer.allocate(data.remaining());
        copy.put(data).flip();
        return copy.asReadOnlyBuffer();
    }

    /**
     * What a caller sees of a partition's failure: a {@link DatastoreException} unchanged, anything
     * else wrapped in one that names the partition.
     */
    static DatastoreException failure(String partition, String name, String operation, RuntimeException e) {
        if (e instanceof DatastoreException) {
            return (DatastoreException) e;
        }
        return new DatastoreException("partition " + partition + " failed to " + operation
                + (name == null ? "" : " \"" + name + "\"") + ": " + e, partition, name, e);
    }
}
