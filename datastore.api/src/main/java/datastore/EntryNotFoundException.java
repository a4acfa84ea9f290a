package datastore;

/** An operation that needs an existing entry, such as {@link ImageStore#getToken(String)}, found none. */
public class EntryNotFoundException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public EntryNotFoundException(Namespace namespace, String name) {
        super("no " + namespace.id() + " entry named \"" + name + "\"", null, name);
    }
}
