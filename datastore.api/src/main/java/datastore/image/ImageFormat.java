package datastore.image;

import java.nio.ByteBuffer;
import java.util.Optional;

import datastore.InvalidImageException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Detects and validates encoded images: the signature and the header structure of PNG, BMP and
 * JPEG, not only their first bytes. Registered by the images bundle and used by the store, the
 * development API and the ROM tools. Neither method changes the buffer's position or limit.
 */
@ProviderType
public interface ImageFormat {

    /**
     * Checks that {@code data} (from its position to its limit) is a well-formed image of
     * {@code type} and reads its dimensions.
     *
     * @throws InvalidImageException saying what is wrong, if it is not; always for {@link ImageType#NONE}
     */
    ImageHeader inspect(ByteBuffer data, ImageType type);

    /** The type whose validation {@code data} passes, if any. */
    Optional<ImageHeader> detect(ByteBuffer data);
}
