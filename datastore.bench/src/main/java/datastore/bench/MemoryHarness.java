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

/**
 * Memory: the heap each store keeps per indexed key (heap in use after full collections, before and
 * after loading 100k small keys, divided by the keys), and the heap of the dock's store with all three
 * partitions full: the ROM slot, the runtime partition's 13 MiB and the ephemeral partition's 128 MiB,
 * all in 100-byte values (the most keys, so the most index). Runs in a JVM of its own.
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
        int limit = Dock.runtimeEntryLimit();

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

        try (Dock dock = Dock.create(null)) {
            base = usedHeap();
            Dock.fill(dock.openEphemeral(), Data.keys("eph", Data.KEYS), values, 1000);
            perKey(results, "ephemeral", dock.ephemeral, Data.KEYS, base);
            base = usedHeap();
            int runtimeKeys = Math.min(Data.KEYS, limit);
            String[] names = Data.keys("run", runtimeKeys);
            Dock.fill(dock.mountRuntime(), names, Dock.values(names, Data.VALUE_BYTES), 1000);
            names = null;
            perKey(results, "runtime", dock.runtime, runtimeKeys, base);
            int romKeys = Dock.romKeysThatFit(Data.KEYS, Data.VALUE_BYTES);
            String[] rom = Data.keys("rom", romKeys);
            dock.flashRom(Dock.kvContent(rom, Dock.values(rom, Data.VALUE_BYTES)), null);
            rom = null;
            base = usedHeap();
            dock.mountRom(null);
            perKey(results, "rom", dock.rom, romKeys, base);
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

        // The dock's store with every partition full of small entries.
        base = usedHeap();
        try (Dock dock = Dock.create(null)) {
            int romKeys = Dock.romKeysThatFit(Data.KEYS, Data.VALUE_BYTES);
            String[] rom = Data.keys("rom", romKeys);
            dock.flashRom(Dock.kvContent(rom, Dock.values(rom, Data.VALUE_BYTES)), null);
            rom = null;
            dock.mountRom(null);
            int runtimeKeys = Math.min(Data.KEYS, limit);
            String[] run = Data.keys("run", runtimeKeys);
            int runtimeValue = (int) (Dock.RUNTIME_CAPACITY / runtimeKeys) - 10;
            Dock.fill(dock.mountRuntime(), run, Dock.values(run, runtimeValue), 1000);
            run = null;
            int ephemeralKeys = (int) (Dock.EPHEMERAL_CAPACITY / (10 + Data.VALUE_BYTES));
            dock.openEphemeral();
            String value = Data.value(1, Data.VALUE_BYTES);
            String[] batchKeys = new String[1000];
            String[] batchValues = new String[1000];
            java.util.Arrays.fill(batchValues, value);
            for (int i = 0; i < ephemeralKeys; i += 1000) {
                int n = Math.min(1000, ephemeralKeys - i);
                for (int j = 0; j < n; j++) {
                    batchKeys[j] = String.format("eph%07d", i + j);
                }
                Dock.fill(dock.ephemeral, java.util.Arrays.copyOf(batchKeys, n), java.util.Arrays.copyOf(batchValues, n), n);
            }
            KvStore kv = dock.store().kv();
            if (kv.get("eph0000000").isEmpty() || kv.get("rom-000000").isEmpty() || kv.get("run-000000").isEmpty()) {
                throw new IllegalStateException("the full dock does not answer");
            }
            long heap = usedHeap() - base;
            results.setProperty("memory.dockFull.heap", Long.toString(heap));
            results.setProperty("memory.dockFull.keys", Long.toString((long) romKeys + runtimeKeys + ephemeralKeys));
            results.setProperty("memory.dockFull.romKeys", Integer.toString(romKeys));
            results.setProperty("memory.dockFull.runtimeKeys", Integer.toString(runtimeKeys));
            results.setProperty("memory.dockFull.ephemeralKeys", Integer.toString(ephemeralKeys));
            results.setProperty("memory.dockFull.ephemeralUsed", Long.toString(dock.ephemeral.usage().used()));
            results.setProperty("memory.dockFull.runtimeUsed", Long.toString(dock.runtime.usage().used()));
            results.setProperty("memory.dockFull.romUsed", Long.toString(dock.rom.usage().used()));
            System.out.printf("dock full: %d keys, %.1f MiB heap%n", romKeys + runtimeKeys + ephemeralKeys, heap / 1048576.0);
        }
        results.setProperty("memory.jvm.maxHeap", Long.toString(Runtime.getRuntime().maxMemory()));
        try (var writer = Files.newBufferedWriter(out)) {
            results.store(writer, "memory harness");
        }
    }

    private static void perKey(Properties results, String name, Object store, int keys, long base) {
        KEEP.add(store);
        long used = usedHeap() - base;
        results.setProperty("memory." + name + ".keys", Integer.toString(keys));
        results.setProperty("memory." + name + ".heap", Long.toString(used));
        results.setProperty("memory." + name + ".perKey", String.format("%.1f", (double) used / keys));
        System.out.printf("%s: %d keys, %d heap bytes, %.1f per key%n", name, keys, used, (double) used / keys);
        KEEP.remove(store);
    }

    /** Heap in use after full collections, once it has settled. */
    static long usedHeap() {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(used - last) < 64 * 1024) {
                return used;
            }
            last = used;
        }
        return last;
    }
}
