package datastore.logstore;

/** A region the partition must not mount or write: another geometry or identity, foreign bytes, an unknown format. */
public final class RefusedRegionException extends Exception {
    private static final long serialVersionUID = 1L;

    RefusedRegionException(String reason) {
        super(reason);
    }
}
