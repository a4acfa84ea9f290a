package datastore;

import java.nio.ByteBuffer;

import datastore.image.ImageType;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A resolved {@link ImageToken}: a read-only view of the stored bytes, not a copy (for the ROM, a
 * view of the mapped flash). The bytes stay exactly as they were while the view is open, even if the
 * image is replaced meanwhile; close the view when done so the storage can be reused. Using the
 * buffer after {@link #close()} is undefined.
 */
@ProviderType
public interface ImageView extends AutoCloseable {

    /** The encoded image; read-only, position 0, limit the size. Each call returns a new duplicate. */
    ByteBuffer bytes();

    ImageType type();

    /** Releases the view. Idempotent. */
    @Override
    void close();
}
