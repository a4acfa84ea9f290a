package datastore.images;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

import datastore.InvalidImageException;
import datastore.image.ImageFormat;
import datastore.image.ImageHeader;
import datastore.image.ImageType;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.propertytypes.ServiceDescription;

/**
 * The image-format service: validates PNG, BMP and JPEG structure in pure Java, without decoding
 * pixels, so that a dock can refuse damaged or mislabelled images before they are stored. It holds no
 * state, reads the caller's buffer with absolute gets only, and answers every malformed input, however
 * hostile its length fields, with an {@link InvalidImageException}.
 */
@Component(service = ImageFormat.class)
@ServiceDescription("Validates PNG, BMP and JPEG images and reads their dimensions")
public class ImageFormats implements ImageFormat {

    /**
     * {@inheritDoc}
     *
     * @throws NullPointerException if {@code data} or {@code type} is null
     */
    @Override
    public ImageHeader inspect(ByteBuffer data, ImageType type) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(type, "type");
        ImageBytes bytes = new ImageBytes(data, type);
        return switch (type) {
            case PNG -> PngFormat.inspect(bytes);
            case BMP -> BmpFormat.inspect(bytes);
            case JPEG -> JpegFormat.inspect(bytes);
            case NONE -> throw new InvalidImageException(null, type, "NONE is not an image format; say PNG, BMP or JPEG");
        };
    }

    /**
     * {@inheritDoc} Tries PNG, BMP and JPEG in that order; each fails at its signature unless the
     * bytes start like that format, so the cost is that of one full validation.
     *
     * @throws NullPointerException if {@code data} is null
     */
    @Override
    public Optional<ImageHeader> detect(ByteBuffer data) {
        Objects.requireNonNull(data, "data");
        for (ImageType type : ImageType.values()) {
            if (type == ImageType.NONE) {
                continue;
            }
            try {
                return Optional.of(inspect(data, type));
            } catch (InvalidImageException notThisType) {
                // detect() answers "none of them"; the reasons belong to inspect().
            }
        }
        return Optional.empty();
    }
}
