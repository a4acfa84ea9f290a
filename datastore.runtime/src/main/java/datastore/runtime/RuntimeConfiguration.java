package datastore.runtime;

import datastore.logstore.RuntimePromise;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the runtime partition. The region must be large enough for the capacity (see the
 * module README); activation refuses a region that is not, naming the numbers.
 */
@ObjectClassDefinition(name = "Dock Datastore runtime partition",
        description = "The power-loss-safe log-structured store on the runtime flash region.")
public @interface RuntimeConfiguration {

    @AttributeDefinition(name = "Capacity", description = "Bytes the partition promises to hold, whatever the mix "
            + "of entries and the history of writes (default 13 MiB). Each entry counts its UTF-8 name, its value "
            + "and " + RuntimePromise.ENTRY_CHARGE + " bytes (its share of the records on flash); there is no "
            + "separate limit on the number of entries. One write counts at most this many bytes, removed entries "
            + "included (their names and " + RuntimePromise.ENTRY_CHARGE + " bytes each).")
    long capacity() default RuntimePartition.DEFAULT_CAPACITY;

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
