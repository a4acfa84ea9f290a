package datastore.runtime;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the runtime partition. The region must be large enough for the capacity and entry
 * limit together (see the module README); activation refuses a region that is not, naming the numbers.
 */
@ObjectClassDefinition(name = "Dock Datastore runtime partition",
        description = "The power-loss-safe log-structured store on the runtime flash region.")
public @interface RuntimeConfiguration {

    @AttributeDefinition(name = "Capacity", description = "Payload bytes (UTF-8 names plus values) the partition "
            + "promises to hold, whatever the history of writes (default 13 MiB). One write carries at most this "
            + "many bytes of names and values, names of removed entries included.")
    long capacity() default RuntimePartition.DEFAULT_CAPACITY;

    @AttributeDefinition(name = "Entry limit", description = "The most entries the partition holds, and the most "
            + "one write may carry (1 to 16777216, default 131072). Every entry costs up to 103 bytes of record "
            + "overhead on flash, and the largest write grows with it, so the region must grow with this limit.")
    int max_entries() default RuntimePartition.DEFAULT_MAX_ENTRIES;

    @AttributeDefinition(name = "View wait", description = "Milliseconds a write waits for open views to release "
            + "flash blocks that garbage collection needs before it fails. The former key view.wait.millis is still "
            + "read when this one is absent or left at its default.")
    long view_wait_ms() default RuntimePartition.DEFAULT_VIEW_WAIT_MS;

    @AttributeDefinition(name = "Format a refused region", description = "Erase and format the runtime region at "
            + "activation if it is refused (its recorded geometry or identity differs from the configured one, it "
            + "holds bytes that are not a runtime log, or a format this build does not read), destroying what it "
            + "holds. Off by default: a refused region is left untouched and reported as refused.")
    boolean format_refused() default false;
}
