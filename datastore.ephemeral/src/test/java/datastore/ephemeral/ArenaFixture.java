package datastore.ephemeral;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

import datastore.Namespace;
import datastore.spi.Change;
import datastore.spi.EntryView;

/** Small helpers shared by the arena tests: puts, reads and self-checking values. */
final class ArenaFixture {
    private ArenaFixture() {
    }

    static void put(Arena arena, Namespace namespace, String name, byte[] value) {
        arena.apply(List.of(Change.put(namespace, name, 0, ByteBuffer.wrap(value))));
    }

    static void remove(Arena arena, Namespace namespace, String name) {
        arena.apply(List.of(Change.remove(namespace, name)));
    }

    /** The value as a copy, or null when absent. */
    static byte[] get(Arena arena, Namespace namespace, String name) {
        Optional<EntryView> view = arena.open(namespace, name);
        if (view.isEmpty()) {
            return null;
        }
        try (EntryView open = view.get()) {
            return copy(open.data());
        }
    }

    static long revision(Arena arena, Namespace namespace, String name) {
        try (EntryView view = arena.open(namespace, name).orElseThrow()) {
            return view.revision();
        }
    }

    static byte[] copy(ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        return bytes;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] filled(int length, int seed) {
        byte[] value = new byte[length];
        new SplittableRandom(seed).nextBytes(value);
        return value;
    }

    /**
     * A value that proves its own integrity and owner: the seed, the owner's hash, then bytes derived
     * from both. At least 12 bytes.
     */
    static byte[] selfChecking(String owner, long seed, int length) {
        ByteBuffer value = ByteBuffer.allocate(Math.max(12, length));
        value.putLong(seed).putInt(owner.hashCode());
        SplittableRandom random = new SplittableRandom(seed ^ owner.hashCode());
        while (value.hasRemaining()) {
            value.put((byte) random.nextInt());
        }
        return value.array();
    }

    /** Whether {@code data} is a whole value made by {@link #selfChecking} for {@code owner}. */
    static boolean isSelfChecking(String owner, ByteBuffer data) {
        ByteBuffer value = data.duplicate();
        if (value.remaining() < 12) {
            return false;
        }
        long seed = value.getLong();
        if (value.getInt() != owner.hashCode()) {
            return false;
        }
        SplittableRandom random = new SplittableRandom(seed ^ owner.hashCode());
        while (value.hasRemaining()) {
            if (value.get() != (byte) random.nextInt()) {
                return false;
            }
        }
        return true;
    }
}
