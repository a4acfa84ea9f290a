package datastore;

/**
 * The names of the partitions a dock ships with. A product may deploy any subset of them, or add
 * partitions of its own; a partition is addressed by its name.
 */
public final class Partitions {
    /** Out-of-process memory, lost at dock restart; ranking 300. */
    public static final String EPHEMERAL = "ephemeral";
    /** Flash, survives restarts, emptied by factory reset; ranking 200. */
    public static final String RUNTIME = "runtime";
    /** The factory image on flash, never writable through the application API; ranking 100. */
    public static final String ROM = "rom";

    private Partitions() {
    }
}
