package datastore.system;

import java.util.Objects;

import datastore.spi.PartitionUsage;

/**
 * One partition as {@link StoreStatus} sees it. A partition that throws when asked for its usage (or
 * whether it is read-only) is still listed, with a null usage and the failure in {@code error}, so
 * that one broken partition does not hide the others; {@code readOnly} is then false unless the
 * partition answered it before failing.
 *
 * @param name the partition's name ({@link datastore.spi.PartitionStore#PARTITION})
 * @param ranking its {@code service.ranking} (0 when absent or not an {@code Integer})
 * @param readOnly whether the partition always refuses writes (the ROM)
 * @param usage its capacity, use and entry counts; null exactly when {@code error} is not
 * @param error the failure's message (or its class name when it has none); null when usage is known
 */
public record PartitionStatus(String name, int ranking, boolean readOnly, PartitionUsage usage, String error) {

    /**
     * @throws NullPointerException if the name is null
     * @throws IllegalArgumentException unless exactly one of usage and error is null
     */
    public PartitionStatus {
        Objects.requireNonNull(name, "name");
        if ((usage == null) == (error == null)) {
            throw new IllegalArgumentException("partition " + name + ": exactly one of usage and error must be given");
        }
    }

    /** Whether the partition reported its usage. */
    public boolean ok() {
        return usage != null;
    }
}
