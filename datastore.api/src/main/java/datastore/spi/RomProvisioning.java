package datastore.spi;

import java.util.List;

import datastore.Namespace;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Replaces the application ROM store: registered by the ROM partition in development mode only (in
 * production the service is absent, and a call on a stale reference is refused). A replace is atomic
 * and destructive: after it returns, or after a power cut at any point during it, the ROM is entirely
 * the old or entirely the new image; unique-per-dock (UPD) data is kept. Image tokens issued before a
 * replace either still yield their bytes or fail as stale.
 */
@ProviderType
public interface RomProvisioning {

    /**
     * Validates {@code content} completely, then replaces the application ROM store with it.
     *
     * @return the new ROM's state
     * @throws InvalidRomContentException listing every problem; the ROM is unchanged
     * @throws datastore.ReadOnlyPartitionException in production mode; the ROM is unchanged
     */
    RomInfo replace(RomContent content);

    /** The ROM's current state. */
    RomInfo info();

    /**
     * The names in a namespace that come from the unique-per-dock section (enrolment tokens, serial
     * numbers), so that tools can keep such values out of sight until asked. This default knows none.
     *
     * @return an unmodifiable, sorted snapshot
     * @since 1.2
     */
    default List<String> uniquePerDockNames(Namespace namespace) {
        return List.of();
    }
}
