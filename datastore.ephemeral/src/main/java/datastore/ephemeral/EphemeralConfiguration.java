package datastore.ephemeral;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the ephemeral partition (PID {@value EphemeralPartition#PID}). */
@ObjectClassDefinition(
        name = "Dock Datastore ephemeral partition",
        description = "An arena in out-of-process memory (a memory-mapped file, on tmpfs where available) that "
                + "survives a hot-replace of its bundle and is emptied at every dock restart.")
public @interface EphemeralConfiguration {

    @AttributeDefinition(
            name = "Capacity",
            description = "Payload bytes (UTF-8 names plus values) the partition promises to hold, 1 to 1073741824; "
                    + "the engine's own overhead comes on top.",
            min = "1",
            max = "1073741824")
    long capacity() default 134217728L;

    @AttributeDefinition(
            name = "Arena file",
            description = "The memory-mapped file that holds the entries. Empty: automatic, a file under /dev/shm "
                    + "when it exists, is writable and has room, else under java.io.tmpdir, named from a hash of "
                    + "the framework storage location so that two docks on one machine never share an arena.")
    String path() default "";
}
