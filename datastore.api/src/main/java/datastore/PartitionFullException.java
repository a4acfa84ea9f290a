package datastore;

/**
 * A write whose payload does not fit in the partition's capacity. The write changed nothing.
 */
public class PartitionFullException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    private final long required;
    private final long available;

    /**
     * @param required the payload bytes the partition would hold after the write
     * @param available the partition's payload capacity
     */
    public PartitionFullException(String partition, String name, long required, long available) {
        super("partition " + partition + " is full: the write needs " + required
                + " payload bytes of a capacity of " + available, partition, name);
        this.required = required;
        this.available = available;
    }

    public long required() {
        return required;
    }

    public long available() {
        return available;
    }
}
