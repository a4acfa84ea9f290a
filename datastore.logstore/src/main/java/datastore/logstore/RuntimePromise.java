package datastore.logstore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import datastore.Names;
import datastore.Namespace;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.flashtable.DefaultFlashLayout;
import datastore.spi.EntryView;

/**
 * The runtime partition's region arithmetic for manufacturing tools, and a read-only look at a region
 * of a device dump, without a framework: how many erase blocks a capacity needs, which capacity a region
 * keeps, and what a region holds. A capacity counts every entry's name and value bytes plus
 * {@link #ENTRY_CHARGE}; there is no limit on the number of entries, so any mix that fits the capacity
 * fits a region of {@link #requiredBlocks} blocks, and a dock reads the capacity back from the region's
 * size alone.
 */
public final class RuntimePromise {
    /** The runtime partition's default capacity, the default flash layout's: 13 MiB. */
    public static final long DEFAULT_CAPACITY = DefaultFlashLayout.RUNTIME_PAYLOAD;
    /**
     * Bytes each entry counts against the capacity beyond its name and value: its share of the records
     * that hold it on flash. 13 MiB holds, for example, 227,191 settings of 20 bytes (name and value).
     */
    public static final int ENTRY_CHARGE = LogFormat.ENTRY_CHARGE;

    private RuntimePromise() {
    }

    /**
     * The erase blocks a runtime region of {@code geometry}'s block and program size needs to keep a
     * capacity of {@code capacity} bytes, as activation checks it.
     *
     * @throws IllegalArgumentException if no region can hold that much
     */
    public static long requiredBlocks(long capacity, FlashGeometry geometry) {
        return RingLayout.requiredBlocks(capacity, geometry);
    }

    /** The largest capacity a region of {@code geometry} keeps; 0 if none. */
    public static long largestCapacity(FlashGeometry geometry) {
        long low = 0;
        long high = geometry.size();
        while (low < high) {
            long mid = low + (high - low + 1) / 2;
            boolean fits;
            try {
                fits = requiredBlocks(mid, geometry) <= geometry.blocks();
            } catch (IllegalArgumentException tooLarge) {
                fits = false;
            }
            if (fits) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /**
     * What a runtime region holds, read as the partition mounts it, which writes nothing.
     *
     * @param state "empty" (erased, never written), "mounted" or "refused: reason"
     * @param entries per namespace, name to value bytes, unmodifiable
     * @param problems damage the mount found
     */
    public record Contents(String state, long capacity, long used, Map<Namespace, Map<String, byte[]>> entries,
            List<String> problems) {
    }

    /**
     * Mounts {@code region} (which may refuse every write) with the promise it keeps and reads every entry.
     */
    public static Contents read(FlashRegion region) throws IOException {
        long capacity = largestCapacity(region.geometry());
        LogStore store = new LogStore(region, capacity, 0);
        try {
            store.mount();
        } catch (RefusedRegionException e) {
            return new Contents("refused: " + e.getMessage(), capacity, 0, Map.of(), List.of());
        }
        Map<Namespace, Map<String, byte[]>> entries = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>(store.problems());
        for (Namespace namespace : Namespace.values()) {
            Map<String, byte[]> values = new LinkedHashMap<>();
            for (String name : store.names(namespace)) {
                try {
                    Optional<EntryView> view = store.open(namespace, name);
                    if (view.isPresent()) {
                        try (EntryView v = view.get()) {
                            ByteBuffer data = v.data();
                            byte[] bytes = new byte[data.remaining()];
                            data.get(bytes);
                            values.put(name, bytes);
                        }
                    }
                } catch (RuntimeException e) {
                    problems.add(namespace.id() + " " + Names.display(name) + ": " + e.getMessage());
                }
            }
            entries.put(namespace, java.util.Collections.unmodifiableMap(values));
        }
        boolean empty = store.usage().used() == 0 && entries.values().stream().allMatch(Map::isEmpty);
        return new Contents(empty ? "empty" : "mounted", capacity, store.usage().used(),
                java.util.Collections.unmodifiableMap(entries), List.copyOf(problems));
    }
}
