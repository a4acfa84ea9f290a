package datastore;

import datastore.image.ImageType;

/**
 * What the store knows of a visible image without reading its pixels.
 *
 * @param tag the image's tag
 * @param type its type
 * @param size the encoded size in bytes
 * @param width width in pixels
 * @param height height in pixels
 * @param partition the partition that holds the visible image
 */
public record ImageInfo(String tag, ImageType type, long size, int width, int height, String partition) {
}
