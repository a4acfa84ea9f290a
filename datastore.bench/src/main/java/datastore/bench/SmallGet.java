package datastore.bench;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import datastore.KvStore;
import datastore.Namespace;
import datastore.Partitions;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Small get: a 100-byte value by a 10-byte key among 100k keys, as a string (what {@code KvStore.get}
 * returns), through the {@link KvStore} service of the running product. The dock's store holds its own
 * 100k keys in each partition (the ROM's placed through the ROM provisioning service), so a ROM hit may
 * ask the ephemeral and runtime partitions first. The engine-only figures read a partition's
 * {@link PartitionStore} service, taken from the framework by its partition property. Keys are visited
 * in a fixed pseudo-random order.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class SmallGet {

    /** Steps through key indexes in a scattered order, per thread. */
    @State(Scope.Thread)
    public static class Cursor {
        private int at;

        int next(int count) {
            at += 40_503;
            if (at >= count) {
                at %= count;
            }
            return at;
        }
    }

    /**
     * The limits: a {@code ConcurrentHashMap<String, String>} of the same keys and values, and one of
     * the values' UTF-8 bytes, which a get decodes into a new string as every store must.
     */
    @State(Scope.Benchmark)
    public static class Limit {
        final ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, byte[]> bytes = new ConcurrentHashMap<>();
        String[] keys;

        @Setup(Level.Trial)
        public void setUp() {
            keys = Data.keys("key", Data.KEYS);
            String[] values = Dock.values(keys, Data.VALUE_BYTES);
            for (int i = 0; i < keys.length; i++) {
                map.put(keys[i], values[i]);
                bytes.put(keys[i], values[i].getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** The dock with all three partitions, each holding its own small keys. */
    @State(Scope.Benchmark)
    public static class DockState {
        Dock dock;
        KvStore kv;
        PartitionStore rom;
        PartitionStore runtime;
        PartitionStore ephemeral;
        String[] romKeys;
        String[] runtimeKeys;
        String[] ephemeralKeys;
        /** Keys no partition holds. */
        String[] missingKeys;

        @Setup(Level.Trial)
        public void setUp() {
            dock = Dock.create(null);
            kv = dock.kv();
            romKeys = Data.keys("rom", Data.KEYS);
            dock.replaceRom(Dock.kvContent(romKeys, Dock.values(romKeys, Data.VALUE_BYTES)));
            // As many 100-byte values as the runtime capacity holds with their entry charges (90,876).
            runtimeKeys = Data.keys("run", (int) (Dock.RUNTIME_CAPACITY / (10 + Data.VALUE_BYTES + Dock.RUNTIME_ENTRY_CHARGE)));
            Dock.fill(kv, Partitions.RUNTIME, runtimeKeys, Dock.values(runtimeKeys, Data.VALUE_BYTES), 1000);
            ephemeralKeys = Data.keys("eph", Data.KEYS);
            Dock.fill(kv, Partitions.EPHEMERAL, ephemeralKeys, Dock.values(ephemeralKeys, Data.VALUE_BYTES), 1000);
            missingKeys = Data.keys("mis", Data.KEYS);
            rom = dock.partition(Partitions.ROM);
            runtime = dock.partition(Partitions.RUNTIME);
            ephemeral = dock.partition(Partitions.EPHEMERAL);
            check(kv.get(romKeys[romKeys.length - 1]));
            check(kv.get(runtimeKeys[runtimeKeys.length - 1]));
            check(kv.get(ephemeralKeys[ephemeralKeys.length - 1]));
            if (kv.find(missingKeys[missingKeys.length - 1]).isPresent()) {
                throw new IllegalStateException("a key meant to be missing has a value");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            dock.close();
        }
    }

    /** One peer holding the same keys and values as the limit. */
    @State(Scope.Benchmark)
    public static class PeerState {
        @Param({"mvstore", "lmdb", "mapdb", "xodus", "chronicle"})
        public String peer;
        Peer store;
        String[] keys;

        @Setup(Level.Trial)
        public void setUp() {
            keys = Data.keys("key", Data.KEYS);
            String[] values = Dock.values(keys, Data.VALUE_BYTES);
            store = Peer.open(peer, null, Data.KEYS);
            Map<String, String> batch = new LinkedHashMap<>();
            for (int i = 0; i < keys.length; i++) {
                batch.put(keys[i], values[i]);
                if (batch.size() == 1000 || i == keys.length - 1) {
                    store.putAll(batch);
                    batch.clear();
                }
            }
            check(store.get(keys[keys.length - 1]));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            store.close();
        }
    }

    static void check(String value) {
        if (value == null || value.length() != Data.VALUE_BYTES) {
            throw new IllegalStateException("the store does not answer the key it was given: " + value);
        }
    }

    @Benchmark
    public String limitConcurrentHashMap(Limit limit, Cursor cursor) {
        return limit.map.get(limit.keys[cursor.next(limit.keys.length)]);
    }

    /** The second limit: the map get plus decoding the value's 100 bytes into a new string. */
    @Benchmark
    public String limitMapGetAndDecode(Limit limit, Cursor cursor) {
        return new String(limit.bytes.get(limit.keys[cursor.next(limit.keys.length)]), StandardCharsets.UTF_8);
    }

    /** A miss through the logical store: no partition holds the key, so every one may be asked. */
    @Benchmark
    public String dockMiss(DockState state, Cursor cursor) {
        return state.kv.get(state.missingKeys[cursor.next(state.missingKeys.length)]);
    }

    /** A ROM hit through the logical store: misses in the ephemeral and runtime partitions first. */
    @Benchmark
    public String dockRomHit(DockState state, Cursor cursor) {
        return state.kv.get(state.romKeys[cursor.next(state.romKeys.length)]);
    }

    /** A runtime hit through the logical store: misses in the ephemeral partition first. */
    @Benchmark
    public String dockRuntimeHit(DockState state, Cursor cursor) {
        return state.kv.get(state.runtimeKeys[cursor.next(state.runtimeKeys.length)]);
    }

    /** An ephemeral hit through the logical store: the first partition asked. */
    @Benchmark
    public String dockEphemeralHit(DockState state, Cursor cursor) {
        return state.kv.get(state.ephemeralKeys[cursor.next(state.ephemeralKeys.length)]);
    }

    /** The ROM partition alone, without the logical store: open, decode, close. */
    @Benchmark
    public String romPartitionOnly(DockState state, Cursor cursor) {
        return read(state.rom, state.romKeys[cursor.next(state.romKeys.length)]);
    }

    /** The ephemeral partition alone, without the logical store. */
    @Benchmark
    public String ephemeralPartitionOnly(DockState state, Cursor cursor) {
        return read(state.ephemeral, state.ephemeralKeys[cursor.next(state.ephemeralKeys.length)]);
    }

    /** The runtime partition alone, without the logical store. */
    @Benchmark
    public String runtimePartitionOnly(DockState state, Cursor cursor) {
        return read(state.runtime, state.runtimeKeys[cursor.next(state.runtimeKeys.length)]);
    }

    @Benchmark
    public String peer(PeerState state, Cursor cursor) {
        return state.store.get(state.keys[cursor.next(state.keys.length)]);
    }

    private static String read(PartitionStore partition, String key) {
        Optional<EntryView> view = partition.open(Namespace.KV, key);
        try (EntryView entry = view.orElseThrow()) {
            return StandardCharsets.UTF_8.decode(entry.data()).toString();
        }
    }
}
