package datastore.image;

/**
 * What the image-format service read from an image's header.
 *
 * @param type the format the bytes are in
 * @param width width in pixels, positive
 * @param height height in pixels, positive
 */
public record ImageHeader(ImageType type, int width, int height) {
}
