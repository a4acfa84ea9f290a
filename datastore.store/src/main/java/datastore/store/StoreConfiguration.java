package datastore.store;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the one logical store (PID {@code datastore.store}). */
@ObjectClassDefinition(name = "Dock Datastore store",
        description = "The one logical store over every partition service, asked in descending service.ranking.")
public @interface StoreConfiguration {

    @AttributeDefinition(name = "Default partition",
            description = "The partition that writes without a partition go to: KvStore.put(key, value) and "
                    + "ImageStore.put(tag, data, type). A valid name (non-empty, at most 255 UTF-8 bytes, no control "
                    + "characters); it need not be present when the store starts.")
    String default_partition() default "runtime";

    @AttributeDefinition(name = "Departure grace (ms)",
            description = "How long a partition service that left (its bundle being updated, for example) is awaited: "
                    + "reads that reach its rank and writes to it wait up to this long for a partition of the same name "
                    + "to return before going on without it. 0 disables waiting; at most 60000.",
            min = "0", max = "60000")
    long departure_grace_ms() default 2000;
}
