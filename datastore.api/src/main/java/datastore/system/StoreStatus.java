package datastore.system;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The partitions the logical store consults, for tools that show them (the development API, the
 * shell): the store already tracks every partition service in lookup order, so a tool asks it
 * instead of tracking the partitions again and ordering them its own way.
 */
@ProviderType
public interface StoreStatus {

    /**
     * The partitions present now, in lookup order (highest {@code service.ranking} first), each with
     * its usage. A partition that fails to report its usage is listed with its error; it does not
     * hide the others. A partition that has departed and is being awaited is not present.
     *
     * @return an unmodifiable snapshot
     */
    List<PartitionStatus> partitions();

    /**
     * The partitions that refused to mount their flash (a {@link datastore.spi.RefusedPartition}
     * service each), with the reason, in name order. A refused partition is not in
     * {@link #partitions()}.
     *
     * @return an unmodifiable snapshot; this default is empty
     * @since 1.2
     */
    default List<PartitionRefusal> refused() {
        return List.of();
    }
}
