package datastore.system;

import java.util.Objects;

/**
 * A partition that refused to mount what it found on its flash, as {@link StoreStatus} lists it.
 *
 * @param name the partition's name ({@link datastore.spi.PartitionStore#PARTITION})
 * @param reason what was found and what was expected, e.g. both geometries
 */
public record PartitionRefusal(String name, String reason) {

    /** @throws NullPointerException if either is null */
    public PartitionRefusal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(reason, "reason");
    }
}
