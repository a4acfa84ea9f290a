package datastore.testsupport;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import datastore.InvalidImageException;
import datastore.image.ImageFormat;
import datastore.image.ImageHeader;
import datastore.image.ImageType;

/**
 * An image format that knows PNG, BMP and JPEG by their signatures alone and answers every image
 * {@value #WIDTH}x{@value #HEIGHT}. {@link #PNG}, {@link #BMP} and {@link #JPEG} are the smallest images
 * it accepts.
 */
public final class FakeImageFormat implements ImageFormat {
    public static final int WIDTH = 640;
    public static final int HEIGHT = 480;

    /** A PNG signature and 4 more bytes: 12 bytes. */
    public static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    /** A BMP signature and 3 more bytes: 5 bytes. */
    public static final byte[] BMP = {'B', 'M', 1, 2, 3};
    /** A JPEG signature and 2 more bytes: 5 bytes. */
    public static final byte[] JPEG = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0, 0};

    /** An image of that type: its signature followed by {@code size} bytes in all (at least one more). */
    public static byte[] image(ImageType type, int size) {
        byte[] signature = signature(type);
        byte[] image = new byte[Math.max(size, signature.length + 1)];
        System.arraycopy(signature, 0, image, 0, signature.length);
        return image;
    }

    @Override
    public ImageHeader inspect(ByteBuffer data, ImageType type) {
        byte[] signature = signature(type);
        if (data.remaining() < signature.length + 1) {
            throw new InvalidImageException(null, type, "only " + data.remaining() + " bytes");
        }
        for (int i = 0; i < signature.length; i++) {
            if (data.get(data.position() + i) != signature[i]) {
                throw new InvalidImageException(null, type, "no " + type + " signature at offset 0");
            }
        }
        return new ImageHeader(type, WIDTH, HEIGHT);
    }

    @Override
    public Optional<ImageHeader> detect(ByteBuffer data) {
        for (ImageType type : List.of(ImageType.PNG, ImageType.BMP, ImageType.JPEG)) {
            try {
                return Optional.of(inspect(data, type));
            } catch (InvalidImageException e) {
                // try the next
            }
        }
        return Optional.empty();
    }

    private static byte[] signature(ImageType type) {
        return switch (type) {
        case PNG -> new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        case BMP -> new byte[] {'B', 'M'};
        case JPEG -> new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff};
        default -> throw new InvalidImageException(null, type, type + " is not an image type");
        };
    }
}
