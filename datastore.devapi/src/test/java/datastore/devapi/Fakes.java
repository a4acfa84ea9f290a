package datastore.devapi;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import datastore.EntryNotFoundException;
import datastore.Image;
import datastore.ImageInfo;
import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.InvalidImageException;
import datastore.KvBatch;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.StaleTokenException;
import datastore.image.ImageFormat;
import datastore.image.ImageHeader;
import datastore.image.ImageType;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.InvalidRomContentException;
import datastore.spi.PartitionUsage;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;
import datastore.system.ApplicationCode;
import datastore.system.ApplicationCodeStore;
import datastore.system.PartitionStatus;
import datastore.system.StoreStatus;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/** Small in-memory stand-ins for the services the development API consumes. */
final class Fakes {
    private Fakes() {
    }

    /** A configuration with the defaults of its annotation, overridden by {@code values} (keyed by method name). */
    static DevApiConfiguration config(Map<String, Object> values) {
        return (DevApiConfiguration) Proxy.newProxyInstance(DevApiConfiguration.class.getClassLoader(),
                new Class<?>[] {DevApiConfiguration.class}, (proxy, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    if (method.getDefaultValue() != null) {
                        return method.getDefaultValue();
                    }
                    if (method.getName().equals("annotationType")) {
                        return DevApiConfiguration.class;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};
    static final byte[] BMP = {'B', 'M', 1, 2, 3};
    static final byte[] JPEG = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 1, 2, 3};

    /** Accepts bytes that start with their type's signature; answers 1x1. */
    static final class Formats implements ImageFormat {
        @Override
        public ImageHeader inspect(ByteBuffer data, ImageType type) {
            byte[] signature = type == ImageType.PNG ? PNG : type == ImageType.BMP ? BMP
                    : type == ImageType.JPEG ? JPEG : null;
            if (signature == null) {
                throw new InvalidImageException(null, type, "NONE is not an image type");
            }
            int length = type == ImageType.PNG ? 8 : type == ImageType.BMP ? 2 : 3;
            if (data.remaining() < length + 1) {
                throw new InvalidImageException(null, type, "only " + data.remaining() + " bytes");
            }
            for (int i = 0; i < length; i++) {
                if (data.get(data.position() + i) != signature[i]) {
                    throw new InvalidImageException(null, type, "no " + type + " signature at offset 0");
                }
            }
            return new ImageHeader(type, 1, 1);
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
    }

    /** Code per partition; only the partitions named at construction exist. */
    static final class CodeStore implements ApplicationCodeStore {
        final Map<String, byte[]> code = new LinkedHashMap<>();
        final List<String> partitions;
        long revision;
        /** Thrown by the next deploy instead of storing, if set. */
        RuntimeException failure;

        CodeStore(String... partitions) {
            this.partitions = List.of(partitions);
        }

        @Override
        public Optional<ApplicationCode> current() {
            for (String partition : partitions) {
                byte[] source = code.get(partition);
                if (source != null) {
                    return Optional.of(new ApplicationCode(ByteBuffer.wrap(source).asReadOnlyBuffer(), partition, revision));
                }
            }
            return Optional.empty();
        }

        @Override
        public void deploy(byte[] source, String partition) {
            if (!partitions.contains(partition)) {
                throw new NoSuchPartitionException(partition);
            }
            if (failure != null) {
                throw failure;
            }
            code.put(partition, source.clone());
            revision++;
        }

        @Override
        public boolean remove(String partition) {
            return code.remove(partition) != null;
        }
    }

    /** Holds the last content replaced; refuses with the problems set in {@link #refuse}, if any. */
    static final class Rom implements RomProvisioning {
        RomContent content = new RomContent(new byte[] {'o', 'l', 'd'}, Map.of("old", "value"), Map.of());
        long generation = 1;
        List<InvalidRomContentException.Problem> refuse = List.of();
        List<String> uniquePerDock = List.of();

        @Override
        public List<String> uniquePerDockNames(Namespace namespace) {
            return namespace == Namespace.KV ? uniquePerDock : List.of();
        }

        @Override
        public RomInfo replace(RomContent replacement) {
            if (!refuse.isEmpty()) {
                throw new InvalidRomContentException(refuse);
            }
            content = replacement;
            generation++;
            return info();
        }

        /** The last image installed. */
        byte[] installed;

        @Override
        public RomInfo install(java.nio.ByteBuffer image) {
            if (!refuse.isEmpty()) {
                throw new InvalidRomContentException(refuse);
            }
            installed = new byte[image.remaining()];
            image.duplicate().get(installed);
            generation++;
            return info();
        }

        @Override
        public RomInfo info() {
            return new RomInfo((int) (generation % 2), generation, "ab".repeat(32), RomInfo.SignatureState.UNSIGNED,
                    content.code().length, 13 << 20, Optional.empty());
        }
    }

    static final class Events implements EventAdmin {
        final List<Event> posted = new ArrayList<>();

        @Override
        public synchronized void postEvent(Event event) {
            posted.add(event);
        }

        @Override
        public synchronized void sendEvent(Event event) {
            posted.add(event);
        }
    }

    static final class Kv implements KvStore {
        final TreeMap<String, KvEntry> entries = new TreeMap<>();
        /** When set, listing fails as the store does when a partition refused its flash. */
        volatile String unavailable;

        Kv with(String key, String value, String partition) {
            entries.put(key, new KvEntry(key, value, partition));
            return this;
        }

        @Override
        public List<String> list() {
            if (unavailable != null) {
                throw new datastore.PartitionUnavailableException("runtime", null, unavailable);
            }
            return List.copyOf(entries.keySet());
        }

        @Override
        public String get(String key) {
            return find(key).orElse("");
        }

        @Override
        public Optional<String> find(String key) {
            return lookup(key).map(KvEntry::value);
        }

        @Override
        public Optional<KvEntry> lookup(String key) {
            return Optional.ofNullable(entries.get(key));
        }

        /** This fake holds one layer: the visible entry is in its own partition only. */
        @Override
        public Optional<KvEntry> lookup(String key, String partition) {
            return lookup(key).filter(entry -> entry.partition().equals(partition));
        }

        @Override
        public void put(String key, String value) {
            throw new UnsupportedOperationException("the development API never writes keys");
        }

        @Override
        public void put(String key, String value, String partition) {
            throw new UnsupportedOperationException("the development API never writes keys");
        }

        @Override
        public boolean remove(String key, String partition) {
            throw new UnsupportedOperationException("the development API never removes keys");
        }

        @Override
        public KvBatch batch(String partition) {
            throw new UnsupportedOperationException("the development API never writes keys");
        }
    }

    record StoredImage(ImageType type, byte[] data, String partition) {
    }

    record Token(String tag, ImageType type, long size, int version) implements ImageToken {
    }

    static final class Images implements ImageStore {
        final TreeMap<String, StoredImage> images = new TreeMap<>();
        final Map<String, Integer> versions = new HashMap<>();
        /** How many of the next open() calls fail as stale. */
        int staleOpens;
        /** Views opened and not yet closed: what a reader pins in a real store. */
        final java.util.concurrent.atomic.AtomicInteger openViews = new java.util.concurrent.atomic.AtomicInteger();

        Images with(String tag, ImageType type, byte[] data, String partition) {
            images.put(tag, new StoredImage(type, data, partition));
            versions.merge(tag, 1, Integer::sum);
            return this;
        }

        @Override
        public List<String> list() {
            return List.copyOf(images.keySet());
        }

        @Override
        public Image get(String tag) {
            return find(tag).orElse(Image.NONE);
        }

        @Override
        public Optional<Image> find(String tag) {
            StoredImage image = images.get(tag);
            return image == null ? Optional.empty()
                    : Optional.of(new Image(ByteBuffer.wrap(image.data.clone()).asReadOnlyBuffer(), image.type));
        }

        @Override
        public Optional<Image> find(String tag, String partition) {
            StoredImage image = images.get(tag);
            return image == null || !image.partition.equals(partition) ? Optional.empty() : find(tag);
        }

        @Override
        public Optional<ImageInfo> lookup(String tag, String partition) {
            return lookup(tag).filter(info -> info.partition().equals(partition));
        }

        @Override
        public Optional<ImageInfo> lookup(String tag) {
            StoredImage image = images.get(tag);
            return image == null ? Optional.empty()
                    : Optional.of(new ImageInfo(tag, image.type, image.data.length, 1, 1, image.partition));
        }

        @Override
        public ImageToken getToken(String tag) {
            StoredImage image = images.get(tag);
            if (image == null) {
                throw new EntryNotFoundException(Namespace.IMAGE, tag);
            }
            return new Token(tag, image.type, image.data.length, versions.get(tag));
        }

        @Override
        public ImageView open(ImageToken token) {
            Token ours = (Token) token;
            if (staleOpens > 0) {
                staleOpens--;
                throw new StaleTokenException("ephemeral", ours.tag(), "replaced");
            }
            StoredImage image = images.get(ours.tag());
            ByteBuffer bytes = ByteBuffer.wrap(image.data).asReadOnlyBuffer();
            openViews.incrementAndGet();
            return new ImageView() {
                private boolean closed;

                @Override
                public ByteBuffer bytes() {
                    return bytes.duplicate();
                }

                @Override
                public ImageType type() {
                    return image.type;
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
            throw new UnsupportedOperationException("the development API never writes images");
        }

        @Override
        public void put(String tag, byte[] data, ImageType type, String partition) {
            throw new UnsupportedOperationException("the development API never writes images");
        }

        @Override
        public boolean remove(String tag, String partition) {
            throw new UnsupportedOperationException("the development API never removes images");
        }
    }

    /** A partition that answers only its name and usage; {@code usage} null makes usage() fail. */
    /** The store's partitions as its status service reports them, in lookup order. */
    static final class Status implements StoreStatus {
        private final List<PartitionStatus> partitions = new ArrayList<>();
        private final List<datastore.system.PartitionRefusal> refused = new ArrayList<>();

        synchronized Status refusing(String name, String reason) {
            refused.add(new datastore.system.PartitionRefusal(name, reason));
            return this;
        }

        @Override
        public synchronized List<datastore.system.PartitionRefusal> refused() {
            return List.copyOf(refused);
        }

        /** Adds a partition with {@code keys} keys and no other entries. */
        Status with(String name, int ranking, boolean readOnly, long capacity, long used, int keys) {
            Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
            for (Namespace namespace : Namespace.values()) {
                entries.put(namespace, namespace == Namespace.KV ? keys : 0);
            }
            return add(new PartitionStatus(name, ranking, readOnly, new PartitionUsage(name, capacity, used, entries), null));
        }

        /** Adds a partition that failed to report its usage. */
        Status broken(String name, int ranking) {
            return add(new PartitionStatus(name, ranking, false, null, "partition " + name + " is unmounted"));
        }

        private synchronized Status add(PartitionStatus partition) {
            partitions.add(partition);
            partitions.sort(Comparator.comparingInt(PartitionStatus::ranking).reversed());
            return this;
        }

        @Override
        public synchronized List<PartitionStatus> partitions() {
            return List.copyOf(partitions);
        }
    }

    static String describe(RomContent content) {
        StringBuilder text = new StringBuilder(new String(content.code(), java.nio.charset.StandardCharsets.ISO_8859_1));
        text.append(content.kvStore());
        content.images().forEach((tag, image) -> text.append(tag).append(image.type()).append(Arrays.toString(image.data())));
        return text.toString();
    }
}
