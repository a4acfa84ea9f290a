package datastore.shell;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import datastore.Image;
import datastore.ImageInfo;
import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.InvalidImageException;
import datastore.Names;
import datastore.KvBatch;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.ReadOnlyPartitionException;
import datastore.image.ImageFormat;
import datastore.image.ImageHeader;
import datastore.image.ImageType;
import datastore.spi.PartitionUsage;
import datastore.system.FactoryReset;
import datastore.system.PartitionStatus;
import datastore.system.StoreStatus;

/** Small in-memory stand-ins for the services the shell commands use. */
final class Fakes {
    private Fakes() {
    }

    static final List<String> ORDER = List.of("ephemeral", "runtime", "rom");

    static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    static final byte[] JPEG = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0, 0};

    /** Per-partition maps, looked up in {@link #ORDER}; the ROM refuses writes, unknown partitions do not exist. */
    static final class Layers<V> {
        final Map<String, TreeMap<String, V>> partitions = new TreeMap<>();

        Layers() {
            ORDER.forEach(p -> partitions.put(p, new TreeMap<>()));
        }

        Optional<Map.Entry<String, V>> lookup(String name) {
            for (String partition : ORDER) {
                V value = partitions.get(partition).get(name);
                if (value != null) {
                    return Optional.of(Map.entry(partition, value));
                }
            }
            return Optional.empty();
        }

        List<String> names() {
            TreeMap<String, Boolean> all = new TreeMap<>();
            partitions.values().forEach(map -> map.keySet().forEach(k -> all.put(k, true)));
            return List.copyOf(all.keySet());
        }

        TreeMap<String, V> writable(String name, String partition) {
            Names.check(name);
            TreeMap<String, V> map = partitions.get(partition);
            if (map == null) {
                throw new NoSuchPartitionException(partition);
            }
            if (partition.equals("rom")) {
                throw new ReadOnlyPartitionException(partition, name);
            }
            return map;
        }

        /** The value in one partition only. */
        Optional<V> in(String name, String partition) {
            TreeMap<String, V> map = partitions.get(partition);
            if (map == null) {
                throw new NoSuchPartitionException(partition);
            }
            return Optional.ofNullable(map.get(name));
        }

        String snapshot() {
            return partitions.toString();
        }
    }

    static final class Kv implements KvStore {
        final Layers<String> layers = new Layers<>();

        @Override
        public List<String> list() {
            return layers.names();
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
            return layers.lookup(key).map(e -> new KvEntry(key, e.getValue(), e.getKey()));
        }

        @Override
        public Optional<KvEntry> lookup(String key, String partition) {
            return layers.in(key, partition).map(value -> new KvEntry(key, value, partition));
        }

        @Override
        public void put(String key, String value) {
            put(key, value, "runtime");
        }

        @Override
        public void put(String key, String value, String partition) {
            layers.writable(key, partition).put(key, value);
        }

        @Override
        public boolean remove(String key, String partition) {
            return layers.writable(key, partition).remove(key) != null;
        }

        @Override
        public KvBatch batch(String partition) {
            throw new UnsupportedOperationException();
        }
    }

    record Stored(ImageType type, byte[] data) {
        @Override
        public String toString() {
            return type + "/" + data.length;
        }
    }

    static final class Images implements ImageStore {
        final Layers<Stored> layers = new Layers<>();
        final Formats formats = new Formats();

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
            return layers.lookup(tag).map(e -> new Image(ByteBuffer.wrap(e.getValue().data.clone()).asReadOnlyBuffer(),
                    e.getValue().type));
        }

        @Override
        public Optional<Image> find(String tag, String partition) {
            return layers.in(tag, partition).map(stored -> new Image(ByteBuffer.wrap(stored.data.clone())
                    .asReadOnlyBuffer(), stored.type));
        }

        @Override
        public Optional<ImageInfo> lookup(String tag, String partition) {
            return layers.in(tag, partition).map(stored -> new ImageInfo(tag, stored.type, stored.data.length, 640, 480,
                    partition));
        }

        @Override
        public Optional<ImageInfo> lookup(String tag) {
            return layers.lookup(tag).map(e -> new ImageInfo(tag, e.getValue().type, e.getValue().data.length, 640, 480,
                    e.getKey()));
        }

        @Override
        public ImageToken getToken(String tag) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ImageView open(ImageToken token) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void put(String tag, byte[] data, ImageType type) {
            put(tag, data, type, "runtime");
        }

        @Override
        public void put(String tag, byte[] data, ImageType type, String partition) {
            TreeMap<String, Stored> map = layers.writable(tag, partition);
            try {
                formats.inspect(ByteBuffer.wrap(data), type);
            } catch (InvalidImageException e) {
                throw new InvalidImageException(tag, type, e.reason());
            }
            map.put(tag, new Stored(type, data.clone()));
        }

        @Override
        public boolean remove(String tag, String partition) {
            return layers.writable(tag, partition).remove(tag) != null;
        }
    }

    /** PNG and JPEG by their signatures; nothing else. */
    static final class Formats implements ImageFormat {
        @Override
        public ImageHeader inspect(ByteBuffer data, ImageType type) {
            if (detect(data).map(ImageHeader::type).orElse(ImageType.NONE) != type) {
                throw new InvalidImageException(null, type, "bad signature");
            }
            return new ImageHeader(type, 640, 480);
        }

        @Override
        public Optional<ImageHeader> detect(ByteBuffer data) {
            if (starts(data, PNG, 8)) {
                return Optional.of(new ImageHeader(ImageType.PNG, 640, 480));
            }
            if (starts(data, JPEG, 3)) {
                return Optional.of(new ImageHeader(ImageType.JPEG, 640, 480));
            }
            return Optional.empty();
        }

        private static boolean starts(ByteBuffer data, byte[] signature, int length) {
            if (data.remaining() < length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (data.get(data.position() + i) != signature[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    static final class Reset implements FactoryReset {
        final Kv kv;
        final Images images;
        int calls;

        Reset(Kv kv, Images images) {
            this.kv = kv;
            this.images = images;
        }

        @Override
        public List<String> reset() {
            calls++;
            List<String> emptied = new ArrayList<>();
            for (String partition : List.of("ephemeral", "runtime")) {
                kv.layers.partitions.get(partition).clear();
                images.layers.partitions.get(partition).clear();
                emptied.add(partition);
            }
            return emptied;
        }
    }

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

        /**
         * Adds a partition (read-only if named rom) holding as many entries in each namespace as the
         * namespace's code; a negative capacity makes it one that failed to report its usage.
         */
        Status with(String name, int ranking, long capacity, long used) {
            PartitionStatus partition;
            if (capacity < 0) {
                partition = new PartitionStatus(name, ranking, false, null, "not mounted");
            } else {
                Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
                for (Namespace namespace : Namespace.values()) {
                    entries.put(namespace, namespace.code());
                }
                partition = new PartitionStatus(name, ranking, name.equals("rom"),
                        new PartitionUsage(name, capacity, used, entries), null);
            }
            synchronized (this) {
                partitions.add(partition);
                partitions.sort(Comparator.comparingInt(PartitionStatus::ranking).reversed());
            }
            return this;
        }

        @Override
        public synchronized List<PartitionStatus> partitions() {
            return List.copyOf(partitions);
        }
    }
}
