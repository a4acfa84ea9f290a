package datastore.logstore;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.Change;

/**
 * Not a test: an indicative look at the full runtime partition's mount, run by hand. Fills the shipped
 * geometry (80 MiB of 64 KiB blocks, 16-byte programs) with 100k entries of 100-byte values, then
 * prints the heap the mounted engine keeps per key (heap in use after full collections, before and after
 * mounting, with the engine kept reachable) and the time of a mount (best of several). Usage:
 * {@code java -cp <test classpath> datastore.logstore.MountProbe [keys] [valueBytes] [keysPerWrite]}.
 */
public final class MountProbe {
    private MountProbe() {
    }

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int perWrite = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        long size = 80L * 1024 * 1024;
        FlashRegion region = NorFlash.inMemory(size, 65536, 16).region("runtime", 0, size);
        long capacity = RuntimePromise.DEFAULT_CAPACITY;
        LogStore writer = Stores.mount(region, capacity);
        List<Change> batch = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            batch.add(Stores.put(String.format("run-%06d", i), Stores.value(i, valueBytes)));
            if (batch.size() == perWrite || i == keys - 1) {
                writer.apply(batch);
                batch = new ArrayList<>();
            }
        }
        writer = null;
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 15; round++) {
            long start = System.nanoTime();
            LogStore store = Stores.mount(region, capacity);
            best = Math.min(best, System.nanoTime() - start);
            if (store.usage().entries().values().stream().mapToInt(Integer::intValue).sum() != keys) {
                throw new IllegalStateException("mounted " + store.usage() + ", not " + keys + " entries");
            }
        }
        long before = usedHeap();
        LogStore mounted = Stores.mount(region, capacity);
        long after = usedHeap();
        if (!mounted.problems().isEmpty()) {
            throw new IllegalStateException(mounted.problems().toString());
        }
        System.out.printf("%d keys of %d-byte values, %d a write: mount %.1f ms (best of 15), heap %d bytes, %.1f per key%n",
                keys, valueBytes, perWrite, best / 1e6, after - before, (double) (after - before) / keys);
        System.out.println(mounted.usage().used() > 0 ? "" : "empty");
    }

    private static long usedHeap() {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(last - used) < 64 * 1024) {
                return used;
            }
            last = used;
        }
        return last;
    }
}
