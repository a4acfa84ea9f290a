package datastore;

/** A write or removal that names a partition this product does not have (or has not started). */
public class NoSuchPartitionException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public NoSuchPartitionException(String partition) {
        super("no partition named " + partition + " is available", partition, null);
    }
}
