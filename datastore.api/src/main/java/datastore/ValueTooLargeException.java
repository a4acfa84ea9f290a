package datastore;

/** A value larger than its namespace allows ({@link Namespace#maxValueBytes()}). */
public class ValueTooLargeException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    private final Namespace namespace;
    private final long size;
    private final long limit;

    public ValueTooLargeException(Namespace namespace, String name, long size, long limit) {
        super(namespace.id() + " value for \"" + name + "\" is " + size + " bytes; the limit is " + limit, null, name);
        this.namespace = namespace;
        this.size = size;
        this.limit = limit;
    }

    public Namespace namespace() {
        return namespace;
    }

    /** The size of the refused value, in bytes. */
    public long size() {
        return size;
    }

    /** The largest value the namespace accepts, in bytes. */
    public long limit() {
        return limit;
    }
}
