package datastore;

import java.nio.ByteBuffer;

import datastore.image.ImageType;

/**
 * An encoded image and its type, as {@link ImageStore#get(String)} returns it: the Java shape of the
 * dock SDK's {@code (bytes, type)} tuple.
 *
 * @param data the encoded bytes, a read-only buffer of its own (a copy, not a view of storage)
 * @param type the image type; {@link ImageType#NONE} with empty data when there is no such image
 */
public record Image(ByteBuffer data, ImageType type) {

    /** The answer for a tag that has no image. */
    public static final Image NONE = new Image(ByteBuffer.allocate(0).asReadOnlyBuffer(), ImageType.NONE);
}
