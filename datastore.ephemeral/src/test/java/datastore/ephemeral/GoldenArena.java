package datastore.ephemeral;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import datastore.Namespace;
import datastore.spi.Change;

/**
 * The golden arena fixtures under {@code src/test/resources/datastore/ephemeral}: what each holds, and
 * how the one of the current format was written. A fixture is never rewritten once committed: a new
 * format version adds a fixture of its own, and every older one must stay readable (see
 * {@link ArenaFormatTest}).
 */
final class GoldenArena {
    /** The launch identity the fixtures were written under; opening them with it is a bundle update. */
    static final String LAUNCH = "golden-fixture-launch";
    static final long CAPACITY = 64 * 1024;

    private GoldenArena() {
    }

    /** Every entry the fixtures hold, by namespace and name; a name removed while writing is absent. */
    static Map<Namespace, Map<String, byte[]>> entries() {
        Map<Namespace, Map<String, byte[]>> entries = new LinkedHashMap<>();
        for (Namespace namespace : Namespace.values()) {
            entries.put(namespace, new LinkedHashMap<>());
        }
        entries.get(Namespace.KV).put("greeting", utf8("hello, dock"));
        entries.get(Namespace.KV).put("unicode-ключ-鍵", utf8("ünïcödé ✓"));
        entries.get(Namespace.KV).put("overwritten", utf8("new"));
        entries.get(Namespace.KV).put("empty-value", new byte[0]);
        entries.get(Namespace.KV).put("batch-1", utf8("one"));
        entries.get(Namespace.KV).put("batch-2", utf8("two"));
        entries.get(Namespace.IMAGE).put("splash", sequence(5000, 31, 7));
        entries.get(Namespace.CODE).put("main.py", utf8("print('golden')\n"));
        entries.get(Namespace.FONT).put("dock-sans", sequence(777, 13, 1));
        return entries;
    }

    /** How the format-1 fixture was written (with the build of its commit); kept as its record. */
    static void writeFormat1(Path file) {
        try (Arena arena = new Arena(file, CAPACITY, LAUNCH)) {
            put(arena, Namespace.KV, "greeting", utf8("hello, dock"));
            put(arena, Namespace.KV, "unicode-ключ-鍵", utf8("ünïcödé ✓"));
            put(arena, Namespace.KV, "overwritten", utf8("old"));
            put(arena, Namespace.KV, "removed", utf8("gone"));
            put(arena, Namespace.IMAGE, "splash", sequence(5000, 31, 7));
            put(arena, Namespace.KV, "overwritten", utf8("new"));
            arena.apply(List.of(Change.remove(Namespace.KV, "removed")));
            put(arena, Namespace.KV, "empty-value", new byte[0]);
            arena.apply(List.of(
                    Change.put(Namespace.KV, "batch-1", 0, ByteBuffer.wrap(utf8("one"))),
                    Change.put(Namespace.KV, "batch-2", 0, ByteBuffer.wrap(utf8("two"))),
                    Change.put(Namespace.CODE, "main.py", 0, ByteBuffer.wrap(utf8("print('golden')\n"))),
                    Change.put(Namespace.FONT, "dock-sans", 0, ByteBuffer.wrap(sequence(777, 13, 1)))));
        }
    }

    private static void put(Arena arena, Namespace namespace, String name, byte[] value) {
        arena.apply(List.of(Change.put(namespace, name, 0, ByteBuffer.wrap(value))));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code (i * factor + offset) mod 256} for i from 0: a value anyone can recompute. */
    static byte[] sequence(int length, int factor, int offset) {
        byte[] value = new byte[length];
        for (int i = 0; i < length; i++) {
            value[i] = (byte) (i * factor + offset);
        }
        return value;
    }

    /** Writes the format-1 fixture: {@code java ... datastore.ephemeral.GoldenArena <file>}. */
    public static void main(String[] args) {
        writeFormat1(Path.of(args[0]));
    }
}
