package datastore.spi;

import java.util.Map;

import datastore.Namespace;

/**
 * A partition's capacity and use, counted in payload bytes (names plus values).
 *
 * @param partition the partition's name
 * @param capacity payload bytes the partition promises to hold
 * @param used payload bytes held now
 * @param entries the number of entries per namespace; unmodifiable, every namespace present
 */
public record PartitionUsage(String partition, long capacity, long used, Map<Namespace, Integer> entries) {

    public PartitionUsage {
        entries = Map.copyOf(entries);
    }
}
