package datastore;

import java.util.List;
import java.util.Optional;

import datastore.image.ImageType;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Images of the one logical store, looked up like {@link KvStore} keys (highest-ranking partition
 * first). A put is validated against its stated type by the image-format service and refused with
 * {@link InvalidImageException} when the bytes do not match. Every failure is a
 * {@link DatastoreException} subclass and leaves the store unchanged.
 */
@ProviderType
public interface ImageStore {

    /** The tags that have an image in any partition, sorted, without duplicates; unmodifiable. */
    List<String> list();

    /** The visible image, copied out of storage, or {@link Image#NONE} when there is none. */
    Image get(String tag);

    /** The visible image, copied out of storage, if any. */
    Optional<Image> find(String tag);

    /** Type, size, dimensions and source partition of the visible image, if any. */
    Optional<ImageInfo> lookup(String tag);

    /**
     * The image {@code tag} names in the named partition only, whatever the partitions above it hold
     * (the explicit form of the lookup order).
     *
     * @return a copy of the bytes with the type, empty when that partition lacks the tag
     * @throws InvalidNameException if {@code tag} is not a valid name
     * @throws NoSuchPartitionException if no partition of that name is present
     * @throws CorruptedEntryException if the partition's entry fails its checksum
     * @since 1.1
     */
    Optional<Image> find(String tag, String partition);

    /**
     * What {@code tag} names in the named partition only: type, size, dimensions and the partition.
     *
     * @return empty when that partition lacks the tag
     * @throws NoSuchPartitionException if no partition of that name is present
     * @since 1.1
     */
    Optional<ImageInfo> lookup(String tag, String partition);

    /**
     * A token for the visible image, for the renderer.
     *
     * @throws EntryNotFoundException if no partition has the tag
     */
    ImageToken getToken(String tag);

    /**
     * Resolves a token into a read-only view of its bytes without copying them.
     *
     * @throws StaleTokenException if the image was replaced or removed since the token was issued
     * @throws IllegalArgumentException if the token was not issued by this store
     */
    ImageView open(ImageToken token);

    /** Stores an image in the default partition; see {@link #put(String, byte[], ImageType, String)}. */
    void put(String tag, byte[] data, ImageType type);

    /**
     * Stores an image in the named partition.
     *
     * @throws InvalidImageException if {@code data} is not a valid image of {@code type}, or the type is NONE
     * @throws InvalidNameException, ValueTooLargeException, NoSuchPartitionException,
     *         ReadOnlyPartitionException, PartitionFullException as for {@link KvStore#put(String, String, String)}
     */
    void put(String tag, byte[] data, ImageType type, String partition);

    /**
     * Removes the image from the named partition only.
     *
     * @return whether the partition held the tag
     */
    boolean remove(String tag, String partition);
}
