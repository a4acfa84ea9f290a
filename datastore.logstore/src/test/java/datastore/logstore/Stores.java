package datastore.logstore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import datastore.Namespace;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;

/** Small helpers shared by the engine's tests. */
final class Stores {
    private Stores() {
    }

    static LogStore mount(FlashRegion region, long capacity) {
        LogStore store = new LogStore(region, capacity, 200);
        try {
            store.mount();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RefusedRegionException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return store;
    }

    static Change put(String name, byte[] value) {
        return Change.put(Namespace.KV, name, 0, ByteBuffer.wrap(value));
    }

    static Change put(Namespace namespace, String name, byte[] value) {
        return Change.put(namespace, name, 0, ByteBuffer.wrap(value));
    }

    static Change remove(String name) {
        return Change.remove(Namespace.KV, name);
    }

    static void apply(LogStore store, Change... changes) {
        store.apply(List.of(changes));
    }

    /** The value of a KV entry, or null when absent. */
    static byte[] get(LogStore store, String name) {
        return get(store, Namespace.KV, name);
    }

    static byte[] get(LogStore store, Namespace namespace, String name) {
        Optional<EntryView> view = store.open(namespace, name);
        if (view.isEmpty()) {
            return null;
        }
        try (EntryView v = view.get()) {
            ByteBuffer data = v.data();
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            return bytes;
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Deterministic pseudo-random bytes, so a value identifies its writer. */
    static byte[] value(long seed, int length) {
        byte[] bytes = new byte[length];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            bytes[i] = (byte) x;
        }
        return bytes;
    }

    /** A distinct name of three printable ASCII characters for each {@code i} below 830,584 (94 cubed). */
    static String shortKey(int i) {
        char[] c = {(char) ('!' + i % 94), (char) ('!' + i / 94 % 94), (char) ('!' + i / (94 * 94))};
        return new String(c);
    }
}
