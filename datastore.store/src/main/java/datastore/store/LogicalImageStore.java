package datastore.store;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import datastore.CorruptedEntryException;
import datastore.EntryNotFoundException;
import datastore.Image;
import datastore.ImageInfo;
import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.InvalidImageException;
import datastore.Names;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.StaleTokenException;
import datastore.image.ImageFormat;
import datastore.image.ImageHeader;
import datastore.image.ImageType;
import datastore.spi.EntryView;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceDescription;

/**
 * The {@link ImageStore} service: images over the logical store's partitions, each validated by the
 * image-format service before it is stored, with its type code as the entry's format byte. Tokens
 * name the partition and the entry's revision, so {@link #open(ImageToken)} hands out a view of the
 * partition's own bytes or fails as stale, never other bytes. A null tag is an
 * {@link datastore.InvalidNameException}, a null partition a
 * {@link datastore.NoSuchPartitionException}; null data, type or token a {@link NullPointerException}.
 */
@Component(name = "datastore.store.image", service = ImageStore.class)
@ServiceDescription("Images of the one logical store, with zero-copy tokens for the renderer")
public class LogicalImageStore implements ImageStore {

    private final LogicalStore store;
    private final ImageFormat format;

    @Activate
    public LogicalImageStore(@Reference(name = "store", policyOption = ReferencePolicyOption.GREEDY) LogicalStore store,
            @Reference(name = "imageFormat", policyOption = ReferencePolicyOption.GREEDY) ImageFormat format) {
        this.store = store;
        this.format = format;
    }

    @Override
    public List<String> list() {
        return store.names(Namespace.IMAGE);
    }

    @Override
    public Image get(String tag) {
        return find(tag).orElse(Image.NONE);
    }

    @Override
    public Optional<Image> find(String tag) {
        Names.check(tag);
        return store.read(Namespace.IMAGE, tag,
                (partition, view) -> new Image(PartitionCalls.copyOut(view), typeOf(partition, view)));
    }

    /**
     * {@inheritDoc} The dimensions come from the image-format service reading the stored bytes.
     *
     * @throws InvalidImageException with the tag, if the stored bytes do not pass the image-format service
     */
    @Override
    public Optional<ImageInfo> lookup(String tag) {
        Names.check(tag);
        return store.read(Namespace.IMAGE, tag, (partition, view) -> {
            ImageType type = typeOf(partition, view);
            ByteBuffer data = view.data();
            ImageHeader header = inspect(tag, data, type);
            return new ImageInfo(tag, type, data.remaining(), header.width(), header.height(), partition);
        });
    }

    @Override
    public Optional<Image> find(String tag, String partition) {
        Names.check(tag);
        return store.readIn(partition, Namespace.IMAGE, tag,
                view -> new Image(PartitionCalls.copyOut(view), typeOf(partition, view)));
    }

    @Override
    public Optional<ImageInfo> lookup(String tag, String partition) {
        Names.check(tag);
        return store.readIn(partition, Namespace.IMAGE, tag, view -> {
            ImageType type = typeOf(partition, view);
            ByteBuffer data = view.data();
            ImageHeader header = inspect(tag, data, type);
            return new ImageInfo(tag, type, data.remaining(), header.width(), header.height(), partition);
        });
    }

    @Override
    public ImageToken getToken(String tag) {
        Names.check(tag);
        return store.read(Namespace.IMAGE, tag, (partition, view) -> new StoreImageToken(store, partition, tag,
                view.revision(), typeOf(partition, view), view.data().remaining()))
                .orElseThrow(() -> new EntryNotFoundException(Namespace.IMAGE, tag));
    }

    /**
     * {@inheritDoc} If the token's partition is being replaced, waits for it within the store's
     * departure grace.
     *
     * @throws StaleTokenException also when the token's partition is gone
     * @throws NullPointerException if {@code token} is null
     */
    @Override
    public ImageView open(ImageToken token) {
        Objects.requireNonNull(token, "token");
        if (!(token instanceof StoreImageToken ours) || ours.issuer != store) {
            throw new IllegalArgumentException("the token " + token + " was not issued by this store");
        }
        Optional<EntryView> view;
        try {
            view = store.openIn(ours.partition, Namespace.IMAGE, ours.tag());
        } catch (NoSuchPartitionException gone) {
            throw new StaleTokenException(ours.partition, ours.tag(), "the partition is gone");
        }
        EntryView entry = view.orElseThrow(() -> new StaleTokenException(ours.partition, ours.tag(), "the image was removed"));
        if (entry.revision() != ours.revision) {
            long revision = entry.revision();
            entry.close();
            throw new StaleTokenException(ours.partition, ours.tag(),
                    "the image was replaced (revision " + ours.revision + ", now " + revision + ")");
        }
        return new StoreImageView(entry, ours.type());
    }

    @Override
    public void put(String tag, byte[] data, ImageType type) {
        put(tag, data, type, store.defaultPartition());
    }

    /**
     * {@inheritDoc} The bytes are copied before validation, so a caller changing its array
     * meanwhile cannot slip unvalidated bytes into storage.
     *
     * @throws NullPointerException if {@code data} or {@code type} is null
     */
    @Override
    public void put(String tag, byte[] data, ImageType type, String partition) {
        Names.check(tag);
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(type, "type");
        if (type == ImageType.NONE) {
            throw new InvalidImageException(tag, type, "NONE is no image type to store; say PNG, BMP or JPEG");
        }
        EntryRules.checkSize(Namespace.IMAGE, tag, data.length);
        store.checkWritable(partition, tag);
        ByteBuffer bytes = ByteBuffer.wrap(data.clone());
        inspect(tag, bytes, type);
        store.putEntry(Namespace.IMAGE, tag, type.code(), bytes, partition);
    }

    @Override
    public boolean remove(String tag, String partition) {
        Names.check(tag);
        return store.removeEntry(Namespace.IMAGE, tag, partition);
    }

    private ImageHeader inspect(String tag, ByteBuffer data, ImageType type) {
        try {
            return format.inspect(data, type);
        } catch (InvalidImageException e) {
            if (tag.equals(e.name().orElse(null))) {
                throw e;
            }
            // The format service knows no tags; the caller needs to know which image was refused.
            // (DatastoreException fixes its cause at construction, so the original cannot be chained.)
            throw new InvalidImageException(tag, e.type(), e.reason() != null ? e.reason() : e.getMessage());
        }
    }

    private static ImageType typeOf(String partition, EntryView view) {
        try {
            ImageType type = ImageType.ofCode(view.format());
            if (type != ImageType.NONE) {
                return type;
            }
        } catch (IllegalArgumentException unknown) {
            // reported below
        }
        throw new CorruptedEntryException(partition, Namespace.IMAGE, view.name(),
                "format byte " + view.format() + " is no image type");
    }
}
