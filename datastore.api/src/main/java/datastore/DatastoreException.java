package datastore;

import java.util.Optional;

/**
 * The root of the datastore's exceptions. Every failure an operation documents is a subclass that
 * carries its context: the partition and the name involved, where there is one. An operation that
 * throws has changed nothing.
 */
public class DatastoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String partition;
    private final String name;

    public DatastoreException(String message, String partition, String name) {
        this(message, partition, name, null);
    }

    public DatastoreException(String message, String partition, String name, Throwable cause) {
        super(message, cause);
        this.partition = partition;
        this.name = name;
    }

    /** The partition the failure concerns, if one. */
    public Optional<String> partition() {
        return Optional.ofNullable(partition);
    }

    /** The key, tag or other name the failure concerns, if one. */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }
}
