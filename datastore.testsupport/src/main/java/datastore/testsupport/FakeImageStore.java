package datastore.testsupport;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import datastore.EntryNotFoundException;
import datastore.Image;
import datastore.ImageInfo;
import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.InvalidImageException;
import datastore.Namespace;
import datastore.Partitions;
import datastore.StaleTokenException;
import datastore.image.ImageType;

/**
 * An image store over the dock's three partitions in memory, checking images with
 * {@link FakeImageFormat}: reads answer from the first partition holding the tag, writes go to a
 * named partition (runtime by default) and the ROM refuses them. Tokens open the visible image; a
 * test can make opens fail as stale and count the views left open. Thread-safe.
 */
public final class FakeImageStore implements ImageStore {

    /** An image as the fake keeps it. */
    public record Stored(ImageType type, byte[] data) {
        @Override
        public String toString() {
            return type + "/" + data.length;
        }
    }

    private record Token(String tag, ImageType type, long size, int version) implements ImageToken {
    }

    private final Layers<Stored> layers = new Layers<>();
    private final FakeImageFormat format = new FakeImageFormat();
    private final Map<String, Integer> versions = new HashMap<>();
    /** How many of the next {@link #open} calls fail as stale. */
    public volatile int staleOpens;
    /** Views opened and not yet closed: what a reader pins in a real store. */
    public final AtomicInteger openViews = new AtomicInteger();

    /** Stores an image in any partition, the ROM too, without checking it, as a test set-up does. */
    public FakeImageStore with(String tag, ImageType type, byte[] data, String partition) {
        layers.provision(tag, new Stored(type, data.clone()), partition);
        changed(tag);
        return this;
    }

    /** Empties one partition, as a factory reset does. */
    public void clear(String partition) {
        layers.clear(partition);
    }

    /** Every partition's images, for before/after comparisons. */
    public String snapshot() {
        return layers.snapshot();
    }

    @Override
    public List<String> list() {
        return layers.names();
    }

    @Override
    public Image get(String tag) {
        return find(tag).orElse(Image.NONE);
    }

    @Override
    public Optional<Image> find(String tag) {
        return layers.lookup(tag).map(e -> image(e.getValue()));
    }

    @Override
    public Optional<Image> find(String tag, String partition) {
        return layers.in(tag, partition).map(FakeImageStore::image);
    }

    @Override
    public Optional<ImageInfo> lookup(String tag) {
        return layers.lookup(tag).map(e -> info(tag, e.getValue(), e.getKey()));
    }

    @Override
    public Optional<ImageInfo> lookup(String tag, String partition) {
        return layers.in(tag, partition).map(stored -> info(tag, stored, partition));
    }

    @Override
    public ImageToken getToken(String tag) {
        Stored image = layers.lookup(tag).map(Map.Entry::getValue)
                .orElseThrow(() -> new EntryNotFoundException(Namespace.IMAGE, tag));
        synchronized (versions) {
            return new Token(tag, image.type(), image.data().length, versions.get(tag));
        }
    }

    @Override
    public ImageView open(ImageToken token) {
        Token ours = (Token) token;
        synchronized (this) {
            if (staleOpens > 0) {
                staleOpens--;
                throw new StaleTokenException(Partitions.EPHEMERAL, ours.tag(), "replaced");
            }
        }
        Stored image = layers.lookup(ours.tag()).map(Map.Entry::getValue)
                .orElseThrow(() -> new StaleTokenException(Partitions.EPHEMERAL, ours.tag(), "removed"));
        ByteBuffer bytes = ByteBuffer.wrap(image.data()).asReadOnlyBuffer();
        openViews.incrementAndGet();
        return new ImageView() {
            private boolean closed;

            @Override
            public ByteBuffer bytes() {
                return bytes.duplicate();
            }

            @Override
            public ImageType type() {
                return image.type();
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    openViews.decrementAndGet();
                }
            }
        };
    }

    @Override
    public void put(String tag, byte[] data, ImageType type) {
        put(tag, data, type, Partitions.RUNTIME);
    }

    @Override
    public void put(String tag, byte[] data, ImageType type, String partition) {
        try {
            format.inspect(ByteBuffer.wrap(data), type);
        } catch (InvalidImageException e) {
            throw new InvalidImageException(tag, type, e.reason());
        }
        layers.put(tag, new Stored(type, data.clone()), partition);
        changed(tag);
    }

    @Override
    public boolean remove(String tag, String partition) {
        boolean removed = layers.remove(tag, partition);
        changed(tag);
        return removed;
    }

    private void changed(String tag) {
        synchronized (versions) {
            versions.merge(tag, 1, Integer::sum);
        }
    }

    private static Image image(Stored stored) {
        return new Image(ByteBuffer.wrap(stored.data().clone()).asReadOnlyBuffer(), stored.type());
    }

    private static ImageInfo info(String tag, Stored stored, String partition) {
        return new ImageInfo(tag, stored.type(), stored.data().length, FakeImageFormat.WIDTH, FakeImageFormat.HEIGHT,
                partition);
    }
}
