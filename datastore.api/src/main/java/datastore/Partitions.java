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

    /** The {@code service.ranking} of the ephemeral partition: asked first. */
    public static final int EPHEMERAL_RANKING = 300;
    /** The {@code service.ranking} of the runtime partition. */
    public static final int RUNTIME_RANKING = 200;
    /** The {@code service.ranking} of the ROM partition: asked last. */
    public static final int ROM_RANKING = 100;

    private Partitions() {
    }

    /**
     * The ranking a partition of this name takes in the lookup order, for those who speak for a
     * partition that is not there: a device that refused the partition's flash region registers its
     * {@link datastore.spi.RefusedPartition} at this rank, so that the store keeps the partition's
     * place and never answers from below it.
     *
     * @return the ranking, or empty for a name this class does not know
     */
    public static java.util.OptionalInt ranking(String name) {
        if (EPHEMERAL.equals(name)) {
            return java.util.OptionalInt.of(EPHEMERAL_RANKING);
        }
        if (RUNTIME.equals(name)) {
            return java.util.OptionalInt.of(RUNTIME_RANKING);
        }
        if (ROM.equals(name)) {
            return java.util.OptionalInt.of(ROM_RANKING);
        }
        return java.util.OptionalInt.empty();
    }
}
