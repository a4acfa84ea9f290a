package datastore.spi;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A partition that found on its flash region something it must not mount or write: a geometry or
 * identity other than the configured one (a changed partition table), bytes that are neither erased
 * nor a format it knows, or a format version newer than its code. It registers this service, with
 * {@link #PARTITION}, <em>instead of</em> its {@link PartitionStore}, and leaves every byte of the
 * region as it was. Formatting the region is an explicit act ({@link #format()}), never a side effect.
 */
@ProviderType
public interface RefusedPartition {

    /** Service property, {@code String}: the partition's name, as on {@link PartitionStore}. */
    String PARTITION = PartitionStore.PARTITION;

    /** The partition's name, equal to its {@link #PARTITION} property. */
    String name();

    /** What was found and what was expected, naming both sides (for the log, the shell and the API). */
    String reason();

    /**
     * Erases the region and formats it empty, destroying whatever it held; the partition then mounts
     * and registers its {@link PartitionStore} in place of this service.
     *
     * @throws IOException if the region cannot be erased or written
     */
    void format() throws IOException;
}
