package datastore;

/**
 * A visible key-value pair and the partition it came from.
 *
 * @param key the key
 * @param value the value
 * @param partition the name of the partition that holds the visible value
 */
public record KvEntry(String key, String value, String partition) {
}
