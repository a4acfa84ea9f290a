package datastore;

/** A write or removal aimed at a partition that applications cannot write, such as the ROM. */
public class ReadOnlyPartitionException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public ReadOnlyPartitionException(String partition, String name) {
        super("partition " + partition + " is read-only", partition, name);
    }
}
