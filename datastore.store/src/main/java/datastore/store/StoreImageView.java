package datastore.store;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

import datastore.ImageView;
import datastore.image.ImageType;
import datastore.spi.EntryView;

/**
 * An {@link ImageView} over a partition's open {@link EntryView}: the bytes are the partition's own
 * storage, never copied; closing the view lets the partition reuse that storage.
 */
final class StoreImageView implements ImageView {

    private final EntryView entry;
    private final ImageType type;
    private final AtomicBoolean closed = new AtomicBoolean();

    StoreImageView(EntryView entry, ImageType type) {
        this.entry = entry;
        this.type = type;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the view was closed
     */
    @Override
    public ByteBuffer bytes() {
        if (closed.get()) {
            throw new IllegalStateException("image view of \"" + entry.name() + "\" is closed");
        }
        // asReadOnlyBuffer shares the storage; it only guards against a partition handing out a writable view.
        return entry.data().asReadOnlyBuffer();
    }

    @Override
    public ImageType type() {
        return type;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            entry.close();
        }
    }
}
