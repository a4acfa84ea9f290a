package datastore.rom;

import java.io.IOException;

import datastore.flash.FlashRegion;
import datastore.spi.PartitionStore;

/**
 * Mounts the real ROM partition without a framework, for the benchmarks: the {@link RomPartition}
 * shell (production mode, no provisioning service, no background verifier) over a {@link RomStore}. It
 * lives in the engine's package because that constructor is package-private.
 */
public final class RomEngines {
    private RomEngines() {
    }

    /** Mounts the ROM of {@code region} with the given configuration. */
    public static PartitionStore mount(FlashRegion region, RomConfiguration config) throws IOException {
        return new RomPartition(region, config, false);
    }
}
