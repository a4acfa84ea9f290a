package datastore;

import datastore.image.ImageType;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An opaque handle on one version of one image, to pass to the splash-screen renderer instead of
 * the bytes. The renderer resolves it with {@link ImageStore#open(ImageToken)} into a read-only view
 * that copies nothing. A token resolves to exactly the bytes that were current when it was issued,
 * or fails with {@link StaleTokenException}; never to other bytes. Tokens are immutable and may be
 * passed between threads.
 */
@ProviderType
public interface ImageToken {

    /** The tag the token was issued for. */
    String tag();

    /** The image's type. */
    ImageType type();

    /** The encoded size in bytes. */
    long size();
}
