package datastore.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentMap;

import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.Environments;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.StoreConfig;

import net.openhft.chronicle.map.ChronicleMap;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * An embedded key-value store a Java user would pick instead of the dock's, used the way it is
 * durable: {@link #put} returns once the write is on disk (except Chronicle Map, which has no
 * durability and is measured for reads only), {@link #putAll} is one durable transaction. Keys and
 * values are strings, as {@code KvStore} has them, so each peer pays its own encoding.
 */
abstract class Peer implements AutoCloseable {
    final String name;
    final Path dir;

    Peer(String name, Path dir) {
        this.name = name;
        this.dir = dir;
    }

    /** The peers that have durable writes, for the put and space workloads. */
    static final String[] DURABLE = {"mvstore", "lmdb", "mapdb", "xodus"};
    /** Every peer, for the read workloads. */
    static final String[] ALL = {"mvstore", "lmdb", "mapdb", "xodus", "chronicle"};

    /** Opens peer {@code name} in a new folder under {@code base}; {@code entries} sizes stores that need it. */
    static Peer open(String name, Path base, int entries) {
        Data.quietLogs();
        Path dir = Data.scratch(base, name);
        try {
            return switch (name) {
                case "mvstore" -> new MvStorePeer(dir);
                case "lmdb" -> new LmdbPeer(dir);
                case "mapdb" -> new MapDbPeer(dir);
                case "xodus" -> new XodusPeer(dir);
                case "chronicle" -> new ChroniclePeer(dir, entries);
                default -> throw new IllegalArgumentException("no peer " + name);
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A durable single put. */
    abstract void put(String key, String value);

    /** Several puts in one durable transaction. */
    abstract void putAll(Map<String, String> entries);

    abstract String get(String key);

    /** Bytes on disk (allocated) under the peer's folder. */
    long diskBytes() {
        return Data.allocatedOf(dir);
    }

    /** Closes the store and deletes its folder. */
    @Override
    public void close() {
        closeStore();
        Data.delete(dir);
    }

    abstract void closeStore();

    /** H2 MVStore with its default settings (background auto-commit and compaction); {@code commit(); sync()} per durable write. */
    static final class MvStorePeer extends Peer {
        final MVStore store;
        final MVMap<String, String> map;

        MvStorePeer(Path dir) {
            super("mvstore", dir);
            store = new MVStore.Builder().fileName(dir.resolve("store.mv").toString()).open();
            map = store.openMap("kv");
        }

        @Override
        void put(String key, String value) {
            map.put(key, value);
            store.commit();
            store.sync();
        }

        @Override
        void putAll(Map<String, String> entries) {
            map.putAll(entries);
            store.commit();
            store.sync();
        }

        @Override
        String get(String key) {
            return map.get(key);
        }

        @Override
        void closeStore() {
            store.close();
        }
    }

    /** LMDB through lmdbjava, default flags: every write transaction is synced at commit. */
    static final class LmdbPeer extends Peer {
        final Env<ByteBuffer> env;
        final Dbi<ByteBuffer> dbi;
        private final ThreadLocal<ByteBuffer> keys = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(511));
        private final ThreadLocal<ByteBuffer> values = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(16 * 1024 * 1024));

        LmdbPeer(Path dir) {
            super("lmdb", dir);
            env = Env.create().setMapSize(4L * 1024 * 1024 * 1024).setMaxDbs(1).setMaxReaders(64).open(dir.toFile());
            dbi = env.openDbi("kv", DbiFlags.MDB_CREATE);
        }

        ByteBuffer key(String key) {
            ByteBuffer buffer = keys.get().clear();
            buffer.put(key.getBytes(StandardCharsets.UTF_8)).flip();
            return buffer;
        }

        private ByteBuffer value(byte[] value) {
            ByteBuffer buffer = values.get().clear();
            buffer.put(value).flip();
            return buffer;
        }

        @Override
        void put(String key, String value) {
            dbi.put(key(key), value(value.getBytes(StandardCharsets.UTF_8)));
        }

        void putBytes(String key, byte[] value) {
            dbi.put(key(key), value(value));
        }

        @Override
        void putAll(Map<String, String> entries) {
            try (Txn<ByteBuffer> txn = env.txnWrite()) {
                for (Map.Entry<String, String> e : entries.entrySet()) {
                    dbi.put(txn, key(e.getKey()), value(e.getValue().getBytes(StandardCharsets.UTF_8)));
                }
                txn.commit();
            }
        }

        @Override
        String get(String key) {
            try (Txn<ByteBuffer> txn = env.txnRead()) {
                ByteBuffer value = dbi.get(txn, key(key));
                return value == null ? null : StandardCharsets.UTF_8.decode(value).toString();
            }
        }

        @Override
        void closeStore() {
            dbi.close();
            env.close();
        }
    }

    /** MapDB file store, memory-mapped where supported, with transactions (write-ahead log synced at commit). */
    static final class MapDbPeer extends Peer {
        final DB db;
        final ConcurrentMap<String, String> map;

        MapDbPeer(Path dir) {
            super("mapdb", dir);
            db = DBMaker.fileDB(new File(dir.toFile(), "store.db")).fileMmapEnableIfSupported().transactionEnable().make();
            map = db.hashMap("kv", Serializer.STRING, Serializer.STRING).createOrOpen();
        }

        @Override
        void put(String key, String value) {
            map.put(key, value);
            db.commit();
        }

        @Override
        void putAll(Map<String, String> entries) {
            map.putAll(entries);
            db.commit();
        }

        @Override
        String get(String key) {
            return map.get(key);
        }

        @Override
        void closeStore() {
            db.close();
        }
    }

    /** Xodus environment with {@code setLogDurableWrite(true)}, so a committed transaction is synced. */
    static final class XodusPeer extends Peer {
        final Environment env;
        final Store store;

        XodusPeer(Path dir) {
            super("xodus", dir);
            env = Environments.newInstance(dir.toFile(), new EnvironmentConfig().setLogDurableWrite(true));
            store = env.computeInTransaction(txn -> env.openStore("kv", StoreConfig.WITHOUT_DUPLICATES, txn));
        }

        @Override
        void put(String key, String value) {
            env.executeInTransaction(txn -> store.put(txn, StringBinding.stringToEntry(key), StringBinding.stringToEntry(value)));
        }

        void putBytes(String key, byte[] value) {
            env.executeInTransaction(txn -> store.put(txn, StringBinding.stringToEntry(key), new ArrayByteIterable(value)));
        }

        @Override
        void putAll(Map<String, String> entries) {
            env.executeInTransaction(txn -> entries.forEach((k, v) ->
                    store.put(txn, StringBinding.stringToEntry(k), StringBinding.stringToEntry(v))));
        }

        @Override
        String get(String key) {
            return env.computeInReadonlyTransaction(txn -> {
                ByteIterable value = store.get(txn, StringBinding.stringToEntry(key));
                return value == null ? null : StringBinding.entryToString(value);
            });
        }

        @Override
        void closeStore() {
            env.close();
        }
    }

    /** Chronicle Map persisted to a file, sized for the entries; it never syncs, so it is measured for reads only. */
    static final class ChroniclePeer extends Peer {
        final ChronicleMap<String, String> map;

        ChroniclePeer(Path dir, int entries) throws IOException {
            super("chronicle", dir);
            map = ChronicleMap.of(String.class, String.class).name("kv").averageKey("key-000000")
                    .averageValue(Data.value(0, Data.VALUE_BYTES)).entries(Math.max(1000, entries))
                    .createPersistedTo(dir.resolve("store.dat").toFile());
        }

        @Override
        void put(String key, String value) {
            map.put(key, value);
        }

        @Override
        void putAll(Map<String, String> entries) {
            map.putAll(entries);
        }

        @Override
        String get(String key) {
            return map.get(key);
        }

        @Override
        void closeStore() {
            map.close();
        }
    }
}
