package datastore.testsupport;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

import datastore.InvalidNameException;
import datastore.NoSuchPartitionException;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;

/**
 * Entries per partition, looked up in the dock's order (ephemeral, runtime, rom), as the fake stores
 * keep them: the ROM refuses writes, partitions of other names do not exist. Thread-safe.
 */
final class Layers<V> {
    static final List<String> ORDER = List.of(Partitions.EPHEMERAL, Partitions.RUNTIME, Partitions.ROM);

    private final Map<String, TreeMap<String, V>> partitions = new TreeMap<>();

    Layers() {
        ORDER.forEach(p -> partitions.put(p, new TreeMap<>()));
    }

    /** The visible entry: the value in the first partition that has one, and that partition's name. */
    synchronized Optional<Map.Entry<String, V>> lookup(String name) {
        for (String partition : ORDER) {
            V value = partitions.get(partition).get(name);
            if (value != null) {
                return Optional.of(Map.entry(partition, value));
            }
        }
        return Optional.empty();
    }

    /** Every name of every partition, sorted, once. */
    synchronized List<String> names() {
        TreeSet<String> all = new TreeSet<>();
        partitions.values().forEach(map -> all.addAll(map.keySet()));
        return List.copyOf(all);
    }

    /** The value in one partition only. */
    synchronized Optional<V> in(String name, String partition) {
        return Optional.ofNullable(existing(partition).get(name));
    }

    /** Stores a value in any partition, the ROM too, as a test set-up does. */
    synchronized void provision(String name, V value, String partition) {
        existing(partition).put(name, value);
    }

    /** A write as the store checks it: a valid name, an existing partition that takes writes. */
    synchronized void put(String name, V value, String partition) {
        writable(name, partition).put(name, value);
    }

    synchronized boolean remove(String name, String partition) {
        return writable(name, partition).remove(name) != null;
    }

    /**
     * Applies puts (a value) and removals (null) to one partition at once, as a batch commits: every
     * name and the partition are checked first, so a refused batch changes nothing.
     */
    synchronized void apply(String partition, Map<String, V> changes) {
        changes.keySet().forEach(Layers::checkName);
        TreeMap<String, V> map = takingWrites(partition, null);
        changes.forEach((name, value) -> {
            if (value == null) {
                map.remove(name);
            } else {
                map.put(name, value);
            }
        });
    }

    /** Refuses a partition that does not exist or takes no writes, as the store does when a batch is made. */
    synchronized void checkWritable(String partition) {
        takingWrites(partition, null);
    }

    /** Refuses a name the store would refuse. */
    static void checkName(String name) {
        if (name.isEmpty() || name.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidNameException(name, "empty or with a control character");
        }
    }

    synchronized void clear(String partition) {
        existing(partition).clear();
    }

    synchronized void clear() {
        partitions.values().forEach(Map::clear);
    }

    synchronized String snapshot() {
        return partitions.toString();
    }

    private TreeMap<String, V> existing(String partition) {
        TreeMap<String, V> map = partitions.get(partition);
        if (map == null) {
            throw new NoSuchPartitionException(partition);
        }
        return map;
    }

    private TreeMap<String, V> writable(String name, String partition) {
        checkName(name);
        return takingWrites(partition, name);
    }

    /** The partition's entries, if it exists and takes writes; {@code name}, or null, names the refused write. */
    private TreeMap<String, V> takingWrites(String partition, String name) {
        TreeMap<String, V> map = existing(partition);
        if (partition.equals(Partitions.ROM)) {
            throw new ReadOnlyPartitionException(partition, name);
        }
        return map;
    }
}
