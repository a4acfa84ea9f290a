package datastore;

/**
 * An {@link ImageToken} whose image has since been replaced or removed, or whose partition has gone.
 * A token never resolves to bytes other than those current when it was issued.
 */
public class StaleTokenException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public StaleTokenException(String partition, String tag, String reason) {
        super("token for image \"" + tag + "\" in partition " + partition + " is stale: " + reason, partition, tag);
    }
}
