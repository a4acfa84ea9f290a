package datastore;

/**
 * The OSGi Event Admin events the store posts after every change, all under {@link #TOPIC_PREFIX}.
 * An entry change posts {@code datastore/<namespace id>/PUT} or {@code .../REMOVED} (for example
 * {@code datastore/kv/PUT}, {@code datastore/code/PUT}) with the properties {@link #PARTITION},
 * {@link #NAMESPACE} and {@link #NAME}; a batch posts one event per name. A factory reset posts
 * {@link #TOPIC_RESET}; a partition appearing or leaving posts {@link #TOPIC_PARTITION_ADDED} or
 * {@link #TOPIC_PARTITION_REMOVED} with {@link #PARTITION}. Subscribe to {@code datastore/*} for all.
 */
public final class ChangeEvents {
    /** Every topic of the store starts with this. */
    public static final String TOPIC_PREFIX = "datastore/";
    /** Suffix of an entry's put topic. */
    public static final String PUT = "PUT";
    /** Suffix of an entry's removal topic. */
    public static final String REMOVED = "REMOVED";
    /** Factory reset done: every writable partition is empty. */
    public static final String TOPIC_RESET = TOPIC_PREFIX + "RESET";
    /** A partition service appeared. */
    public static final String TOPIC_PARTITION_ADDED = TOPIC_PREFIX + "partition/ADDED";
    /** A partition service went away. */
    public static final String TOPIC_PARTITION_REMOVED = TOPIC_PREFIX + "partition/REMOVED";

    /** Event property, {@code String}: the partition changed. */
    public static final String PARTITION = "partition";
    /** Event property, {@code String}: the namespace id ({@link Namespace#id()}). */
    public static final String NAMESPACE = "namespace";
    /** Event property, {@code String}: the key, tag or code name changed. */
    public static final String NAME = "name";

    private ChangeEvents() {
    }

    /** The topic of a put ({@code PUT}) or removal ({@code REMOVED}) in a namespace. */
    public static String topic(Namespace namespace, String change) {
        return TOPIC_PREFIX + namespace.id() + "/" + change;
    }
}
