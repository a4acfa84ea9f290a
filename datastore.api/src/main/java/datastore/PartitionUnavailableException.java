package datastore;

/**
 * A read reached a partition that is present in the product but cannot answer: it refused to mount
 * its flash (a changed partition table, foreign bytes, an unknown format version). The store does
 * not answer from a lower partition in its place, because that could serve an older value than the
 * one the unavailable partition holds.
 */
public class PartitionUnavailableException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public PartitionUnavailableException(String partition, String name, String reason) {
        super("partition " + partition + " is unavailable" + (name == null ? "" : " for \"" + name + "\"") + ": "
                + reason, partition, name);
    }
}
