package datastore.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import datastore.KvStore;
import datastore.Partitions;
import datastore.flash.FlashRegion;

/**
 * Space: fills each store with what fills the runtime partition's capacity (13 MiB over 100k keys, names,
 * values and entry charges, the runtime partition's default configuration), the dock's through the running product's {@code KvStore}, then overwrites every key again and again until
 * {@code passes} times the capacity has been written, 1,000 keys per durable transaction. The runtime
 * partition must stay in its fixed flash region and keep accepting writes; for each peer the harness
 * reports how far its files grew on the same workload. Results go to a properties file.
 */
public final class SpaceHarness {
    static final int BATCH = 1000;

    private SpaceHarness() {
    }

    /** Arguments: the output properties file, the number of passes, the most seconds one store may take. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int passes = Integer.parseInt(args[1]);
        long maxSeconds = Long.parseLong(args[2]);
        Properties results = new Properties();
        int keys = Data.KEYS;
        int valueBytes = Dock.runtimeValueBytes(keys);
        String[] names = Data.keys("key", keys);
        String[][] values = {Dock.values(names, valueBytes), Dock.values(Data.keys("alt", keys), valueBytes)};
        results.setProperty("space.keys", Integer.toString(keys));
        results.setProperty("space.valueBytes", Integer.toString(valueBytes));
        results.setProperty("space.passesWanted", Integer.toString(passes));
        results.setProperty("space.payload", Long.toString((long) keys * (10 + valueBytes)));

        try (Dock dock = Dock.create(null)) {
            KvStore kv = dock.kv();
            Path file = dock.dir.resolve("flash.img");
            long fileBefore = Files.size(file);
            long start = System.nanoTime();
            int done = 0;
            String failure = "";
            try {
                for (int pass = 0; pass <= passes; pass++) {
                    Dock.fill(kv, Partitions.RUNTIME, names, values[pass % 2], BATCH);
                    done = pass;
                    if (System.nanoTime() - start > maxSeconds * 1_000_000_000L) {
                        break;
                    }
                }
            } catch (RuntimeException e) {
                failure = e.toString();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            FlashRegion region = dock.region(Partitions.RUNTIME);
            long maxErase = 0;
            long totalErase = 0;
            for (int b = 0; b < region.geometry().blocks(); b++) {
                long count = region.eraseCount(b);
                maxErase = Math.max(maxErase, count);
                totalErase += count;
            }
            put(results, "runtime", "passes", done);
            put(results, "runtime", "seconds", seconds);
            put(results, "runtime", "regionBytes", region.geometry().size());
            put(results, "runtime", "fileBefore", fileBefore);
            put(results, "runtime", "fileAfter", Files.size(file));
            put(results, "runtime", "used", dock.partition(Partitions.RUNTIME).usage().used());
            put(results, "runtime", "maxErase", maxErase);
            put(results, "runtime", "meanErase", (double) totalErase / region.geometry().blocks());
            put(results, "runtime", "failure", failure);
            System.out.printf("runtime: %d passes in %.1f s, region %d bytes, erase counts max %d%n", done, seconds,
                    region.geometry().size(), maxErase);
        }

        for (String name : Peer.DURABLE) {
            try (Peer peer = Peer.open(name, null, keys)) {
                long start = System.nanoTime();
                long afterFill = 0;
                long peak = 0;
                int done = 0;
                String failure = "";
                try {
                    for (int pass = 0; pass <= passes; pass++) {
                        Map<String, String> batch = new LinkedHashMap<>();
                        for (int i = 0; i < keys; i++) {
                            batch.put(names[i], values[pass % 2][i]);
                            if (batch.size() == BATCH || i == keys - 1) {
                                peer.putAll(batch);
                                batch.clear();
                            }
                        }
                        long size = peer.diskBytes();
                        peak = Math.max(peak, size);
                        if (pass == 0) {
                            afterFill = size;
                        }
                        done = pass;
                        if (System.nanoTime() - start > maxSeconds * 1_000_000_000L) {
                            break;
                        }
                    }
                } catch (RuntimeException e) {
                    failure = e.toString();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                put(results, name, "passes", done);
                put(results, name, "seconds", seconds);
                put(results, name, "afterFill", afterFill);
                put(results, name, "afterOverwrites", peer.diskBytes());
                put(results, name, "peak", peak);
                put(results, name, "failure", failure);
                System.out.printf("%s: %d passes in %.1f s, %d bytes after the fill, %d after the overwrites, peak %d%n",
                        name, done, seconds, afterFill, peer.diskBytes(), peak);
            }
        }
        try (var writer = Files.newBufferedWriter(out)) {
            results.store(writer, "space harness");
        }
    }

    static void put(Properties results, String store, String what, Object value) {
        results.setProperty("space." + store + "." + what, String.valueOf(value));
    }
}
