package datastore.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import datastore.InvalidImageException;
import datastore.image.ImageFormat;
import datastore.image.ImageHeader;
import datastore.image.ImageType;

/**
 * An image format for tests: an image of a type is any bytes starting with the type's name and
 * {@code '!'} (such as {@code "PNG!..."}), 16 pixels wide and 9 high. Like the real service it
 * knows no tags: its exceptions carry none.
 */
final class MarkerImageFormat implements ImageFormat {

    static final int WIDTH = 16;
    static final int HEIGHT = 9;

    static byte[] image(ImageType type, String rest) {
        return (type.name() + "!" + rest).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public ImageHeader inspect(ByteBuffer data, ImageType type) {
        if (type == ImageType.NONE) {
            throw new InvalidImageException(null, type, "NONE is not an image format");
        }
        byte[] marker = (type.name() + "!").getBytes(StandardCharsets.US_ASCII);
        if (data.remaining() < marker.length) {
            throw new InvalidImageException(null, type, "truncated: " + data.remaining() + " bytes");
        }
        for (int i = 0; i < marker.length; i++) {
            if (data.get(data.position() + i) != marker[i]) {
                throw new InvalidImageException(null, type, "bad signature at offset " + i);
            }
        }
        return new ImageHeader(type, WIDTH, HEIGHT);
    }

    @Override
    public Optional<ImageHeader> detect(ByteBuffer data) {
        for (ImageType type : ImageType.values()) {
            try {
                return Optional.of(inspect(data, type));
            } catch (InvalidImageException notThis) {
                // try the next
            }
        }
        return Optional.empty();
    }
}
