package datastore.runtime;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the runtime partition. The region must be large enough for the capacity and entry
 * limit together (see the module README); activation refuses a region that is not, naming the numbers.
 */
@ObjectClassDefinition(name = "Datastore runtime partition",
        description = "The power-loss-safe log-structured store on the runtime flash region.")
public @interface RuntimeConfiguration {

    @AttributeDefinition(name = "Capacity", description = "Payload bytes (UTF-8 names plus values) the partition "
            + "promises to hold, whatever the history of writes (default 13 MiB).")
    long capacity() default RuntimePartition.DEFAULT_CAPACITY;

    @AttributeDefinition(name = "Entry limit", description = "The most entries the partition holds (1 to 65535). "
            + "Every entry costs record overhead on flash, so the region must hold the capacity plus this many "
            + "records' overhead, twice over while a batch replaces everything.")
    int max_entries() default RuntimePartition.DEFAULT_MAX_ENTRIES;

    @AttributeDefinition(name = "Large record threshold", description = "Records longer than this many erase blocks "
            + "get blocks of their own, which bounds what collecting one shared block has to move; larger values "
            + "waste less flash in block tails but need a larger collection reserve.")
    int large_record_blocks() default RuntimePartition.DEFAULT_LARGE_RECORD_BLOCKS;

    @AttributeDefinition(name = "View wait", description = "Milliseconds a write waits for open views to release "
            + "flash blocks that garbage collection needs before it fails.")
    long view_wait_millis() default 5000;
}
