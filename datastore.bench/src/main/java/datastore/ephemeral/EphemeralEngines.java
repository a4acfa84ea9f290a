package datastore.ephemeral;

import java.nio.file.Path;

import datastore.spi.PartitionStore;

/**
 * Opens the real ephemeral partition without a framework, for the benchmarks: an {@link Arena} on a
 * file (on tmpfs, as the dock places it) behind the {@link EphemeralPartition} shell. It lives in the
 * engine's package because both constructors are package-private; the engine itself is unchanged.
 */
public final class EphemeralEngines {
    private EphemeralEngines() {
    }

    /** A fresh, empty partition of {@code capacity} payload bytes in {@code file}. */
    public static PartitionStore open(Path file, long capacity) {
        // A new launch identity every time: the arena starts empty, as at a dock restart.
        return new EphemeralPartition(new Arena(file, capacity, "bench-" + System.nanoTime()));
    }

    /** Closes a partition made by {@link #open}. */
    public static void close(PartitionStore partition) {
        ((EphemeralPartition) partition).deactivate();
    }
}
