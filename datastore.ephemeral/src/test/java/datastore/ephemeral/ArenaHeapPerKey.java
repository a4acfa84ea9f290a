package datastore.ephemeral;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import datastore.Namespace;
import datastore.spi.Change;

/**
 * Heap that the arena's index takes per key: heap in use after full collections, before and after
 * loading 100k entries of 100-byte values in batches of 1000 (the shape of the benchmark's
 * {@code MemoryHarness}). The values are held by the harness throughout; each name is made for its
 * write and dropped, so a name the index keeps counts, as it does in the benchmark. Run with
 * {@code java -cp <test-classes>:<classes>:<datastore.api classes> datastore.ephemeral.ArenaHeapPerKey [keys]}.
 */
public final class ArenaHeapPerKey {
    private ArenaHeapPerKey() {
    }

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        ByteBuffer[] values = new ByteBuffer[keys];
        for (int i = 0; i < keys; i++) {
            byte[] value = new byte[100];
            java.util.Arrays.fill(value, (byte) ('a' + i % 26));
            values[i] = ByteBuffer.wrap(value);
        }
        Path directory = Files.createTempDirectory("arena-heap");
        Path file = directory.resolve("heap.arena");
        try (Arena arena = new Arena(file, 128L << 20, "heap-measurement")) {
            long before = heapAfterFullCollections();
            for (int i = 0; i < keys; i += 1000) {
                List<Change> batch = new ArrayList<>();
                for (int j = i; j < Math.min(keys, i + 1000); j++) {
                    batch.add(Change.put(Namespace.KV, "eph" + j, 0, values[j].duplicate()));
                }
                arena.apply(batch);
            }
            long after = heapAfterFullCollections();
            if (arena.usage().entries().get(Namespace.KV) != keys
                    || !arena.read(Namespace.KV, "eph" + (keys - 1), b -> StandardCharsets.ISO_8859_1.decode(b).toString())
                            .isPresent()) {
                throw new IllegalStateException("the arena does not hold the keys it was given");
            }
            System.out.printf("ephemeral arena: %d keys, %d heap bytes, %.1f B per key%n", keys, after - before,
                    (double) (after - before) / keys);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(ArenaLock.lockFile(file));
            Files.deleteIfExists(directory);
        }
        if (values.length != keys) {
            throw new AssertionError(); // keeps the values reachable to the end
        }
    }

    private static long heapAfterFullCollections() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            used = Math.min(used, now);
        }
        return used;
    }
}
