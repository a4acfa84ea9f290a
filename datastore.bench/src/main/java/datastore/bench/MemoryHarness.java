package datastore.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import datastore.KvStore;
import datastore.Partitions;

/**
 * Memory: the heap each store keeps per indexed key (heap in use after full collections, before and
 * after loading 100k small keys, divided by the keys), and the heap of the dock with all three partitions
 * full: 100k ROM keys, the runtime partition's 13 MiB over 100k keys and the ephemeral partition's
 * 128 MiB in 100-byte values (the most keys, so the most index). The dock is the running product
 * ({@link Dock}), filled through its {@code KvStore} and ROM provisioning services; the full dock's heap
 * includes the framework and every bundle of the product. Runs in a JVM of its own.
 */
public final class MemoryHarness {
    /** Keeps what was loaded reachable while the heap is measured. */
    private static final List<Object> KEEP = new ArrayList<>();

    private MemoryHarness() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Properties results = new Properties();
        Data.quietLogs();

        String[] keys = Data.keys("key", Data.KEYS);
        String[] values = Dock.values(keys, Data.VALUE_BYTES);
        // Keys and values themselves are on the heap for every store; they are the baseline.
        KEEP.add(keys);
        KEEP.add(values);
        long base = usedHeap();

        ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            map.put(new String(keys[i].toCharArray()), new String(values[i].toCharArray()));
        }
        perKey(results, "concurrentHashMap", map, keys.length, base);
        map = null;
        KEEP.clear();
        KEEP.add(keys);
        KEEP.add(values);

        // The product's heap per key: each partition filled through the store (the ROM through the ROM
        // provisioning service), the heap measured against the running dock's heap before.
        try (Dock dock = Dock.create(null)) {
            KvStore kv = dock.kv();
            dock.awaitEvents();
            base = usedHeap();
            Dock.fill(kv, Partitions.EPHEMERAL, Data.keys("eph", Data.KEYS), values, 1000);
            dock.awaitEvents();
            perKey(results, "ephemeral", dock, Data.KEYS, base);
            dock.awaitEvents();
            base = usedHeap();
            String[] names = Data.keys("run", Data.KEYS);
            // Values as large as the capacity allows with the entry charge (86 bytes, not the others' 100).
            Dock.fill(kv, Partitions.RUNTIME, names, Dock.values(names, Dock.runtimeValueBytes(Data.KEYS)), 1000);
            names = null;
            dock.awaitEvents();
            perKey(results, "runtime", dock, Data.KEYS, base);
            dock.awaitEvents();
            base = usedHeap();
            String[] rom = Data.keys("rom", Data.KEYS);
            dock.replaceRom(Dock.kvContent(rom, Dock.values(rom, Data.VALUE_BYTES)));
            rom = null;
            remountRom(dock);
            dock.awaitEvents();
            perKey(results, "rom", dock, Data.KEYS, base);
        }

        for (String name : Peer.ALL) {
            base = usedHeap();
            try (Peer peer = Peer.open(name, null, Data.KEYS)) {
                Map<String, String> batch = new LinkedHashMap<>();
                for (int i = 0; i < keys.length; i++) {
                    batch.put(keys[i], values[i]);
                    if (batch.size() == 1000 || i == keys.length - 1) {
                        peer.putAll(batch);
                        batch.clear();
                    }
                }
                // Read every key once, so stores that cache what they read show that cache too.
                for (String key : keys) {
                    peer.get(key);
                }
                perKey(results, name, peer, keys.length, base);
            }
        }
        KEEP.clear();

        // The dock's store with every partition full of small entries, against the heap before it started.
        base = usedHeap();
        try (Dock dock = Dock.create(null)) {
            KvStore kv = dock.kv();
            int romKeys = Data.KEYS;
            String[] rom = Data.keys("rom", romKeys);
            dock.replaceRom(Dock.kvContent(rom, Dock.values(rom, Data.VALUE_BYTES)));
            rom = null;
            remountRom(dock);
            int runtimeKeys = Data.KEYS;
            String[] run = Data.keys("run", runtimeKeys);
            int runtimeValue = Dock.runtimeValueBytes(runtimeKeys);
            Dock.fill(kv, Partitions.RUNTIME, run, Dock.values(run, runtimeValue), 1000);
            run = null;
            int ephemeralKeys = (int) (Dock.EPHEMERAL_CAPACITY / (10 + Data.VALUE_BYTES));
            String value = Data.value(1, Data.VALUE_BYTES);
            String[] batchKeys = new String[1000];
            String[] batchValues = new String[1000];
            java.util.Arrays.fill(batchValues, value);
            for (int i = 0; i < ephemeralKeys; i += 1000) {
                int n = Math.min(1000, ephemeralKeys - i);
                for (int j = 0; j < n; j++) {
                    batchKeys[j] = String.format("eph%07d", i + j);
                }
                Dock.fill(kv, Partitions.EPHEMERAL, java.util.Arrays.copyOf(batchKeys, n), java.util.Arrays.copyOf(batchValues, n), n);
            }
            if (kv.find("eph0000000").isEmpty() || kv.find("rom-000000").isEmpty() || kv.find("run-000000").isEmpty()) {
                throw new IllegalStateException("the full dock does not answer");
            }
            dock.awaitEvents();
            long heap = usedHeap() - base;
            results.setProperty("memory.dockFull.heap", Long.toString(heap));
            results.setProperty("memory.dockFull.keys", Long.toString((long) romKeys + runtimeKeys + ephemeralKeys));
            results.setProperty("memory.dockFull.romKeys", Integer.toString(romKeys));
            results.setProperty("memory.dockFull.runtimeKeys", Integer.toString(runtimeKeys));
            results.setProperty("memory.dockFull.ephemeralKeys", Integer.toString(ephemeralKeys));
            results.setProperty("memory.dockFull.ephemeralUsed", Long.toString(dock.partition(Partitions.EPHEMERAL).usage().used()));
            results.setProperty("memory.dockFull.runtimeUsed", Long.toString(dock.partition(Partitions.RUNTIME).usage().used()));
            results.setProperty("memory.dockFull.romUsed", Long.toString(dock.partition(Partitions.ROM).usage().used()));
            System.out.printf("dock full: %d keys, %.1f MiB heap%n", romKeys + runtimeKeys + ephemeralKeys, heap / 1048576.0);
        }

        // The runtime partition again, each key written by its own put (a record per key), as settings usually are.
        try (Dock dock = Dock.create(null)) {
            dock.awaitEvents();
            base = usedHeap();
            String[] names = Data.keys("run", Data.KEYS);
            Dock.putEach(dock.kv(), Partitions.RUNTIME, names, Dock.values(names, Dock.runtimeValueBytes(Data.KEYS)));
            names = null;
            dock.awaitEvents();
            perKey(results, "runtimeOneByOne", dock, Data.KEYS, base);
            // The same keys as a restarted dock holds them: the runtime bundle mounts the flash again.
            dock.stop(Mount.RUNTIME_BUNDLE);
            dock.start(Mount.RUNTIME_BUNDLE, Partitions.RUNTIME);
            dock.awaitEvents();
            if (dock.kv().find("run-000000").isEmpty()) {
                throw new IllegalStateException("the remounted runtime partition does not answer");
            }
            perKey(results, "runtimeOneByOneRemounted", dock, Data.KEYS, base);
        }
        results.setProperty("memory.jvm.maxHeap", Long.toString(Runtime.getRuntime().maxMemory()));
        try (var writer = Files.newBufferedWriter(out)) {
            results.store(writer, "memory harness");
        }
    }

    /** The ROM as a dock mounts it at start, from the flash, rather than as the replace left it. */
    private static void remountRom(Dock dock) {
        dock.stop(Mount.ROM_BUNDLE);
        dock.start(Mount.ROM_BUNDLE, Partitions.ROM);
    }

    private static void perKey(Properties results, String name, Object store, int keys, long base) {
        KEEP.add(store);
        long used = usedHeap() - base;
        results.setProperty("memory." + name + ".keys", Integer.toString(keys));
        results.setProperty("memory." + name + ".heap", Long.toString(used));
        results.setProperty("memory." + name + ".perKey", String.format(java.util.Locale.ROOT, "%.1f", (double) used / keys));
        System.out.printf("%s: %d keys, %d heap bytes, %.1f per key%n", name, keys, used, (double) used / keys);
        KEEP.remove(store);
    }

    /**
     * Heap in use after full collections, once it has settled: three readings in a row within 64 KiB
     * of each other. The dock's figures are taken after {@link Dock#awaitEvents()}, so that no change
     * event of the last writes still waits in Event Admin's queue.
     */
    static long usedHeap() {
        long last = Long.MAX_VALUE;
        int stable = 0;
        for (int i = 0; i < 50; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            stable = Math.abs(used - last) < 64 * 1024 ? stable + 1 : 0;
            last = used;
            if (stable == 2) {
                return used;
            }
        }
        return last;
    }
}
