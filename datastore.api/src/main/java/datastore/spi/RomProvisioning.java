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

    /**
     * Replaces the application ROM store with a whole application image as the ROM tools build and sign
     * it (its bytes from position to limit, not consumed): the way a dock that requires signed images
     * takes a new one. The provider refuses, with the ROM unchanged, an image signed with no accepted
     * key and one older than the newest it accepted (a rollback).
     *
     * @return the new ROM's state
     * @throws InvalidRomContentException with one problem, field {@code image}, saying why the image is
     *         refused (format, size, damage, signature, signed generation, dock id); the ROM is unchanged
     * @throws UnsupportedOperationException if the provider takes no prebuilt images (this default)
     * @throws datastore.ReadOnlyPartitionException in production mode; the ROM is unchanged
     * @since 1.2
     */
    default RomInfo install(java.nio.ByteBuffer image) {
        throw new UnsupportedOperationException("this ROM provisioning takes no prebuilt images");
    }

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
