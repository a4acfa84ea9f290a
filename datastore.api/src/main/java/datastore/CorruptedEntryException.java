package datastore;

/**
 * An entry whose stored bytes fail their checksum. The corrupted entry is never returned as data;
 * the other entries of the partition stay readable.
 */
public class CorruptedEntryException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    private final Namespace namespace;

    public CorruptedEntryException(String partition, Namespace namespace, String name, String detail) {
        super(namespace.id() + " entry \"" + name + "\" in partition " + partition + " is corrupted: " + detail,
                partition, name);
        this.namespace = namespace;
    }

    public Namespace namespace() {
        return namespace;
    }
}
