package datastore;

/** A key or tag that breaks the rules of {@link Names#check}: empty, too long, or with a control or format character. */
public class InvalidNameException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public InvalidNameException(String name, String reason) {
        super("invalid name " + Names.quote(name, 64) + ": " + reason, null, name);
    }
}
