package datastore.logstore;

import java.nio.ByteBuffer;

/**
 * The hash and comparison of an entry's name as its namespace code and UTF-8 bytes, the same from a
 * {@code String} and from the name's bytes on flash, so {@link EntryTable} can find a name without
 * keeping it on the heap or encoding it.
 */
final class NameHash {
    private NameHash() {
    }

    static int hash(int namespaceCode, String name) {
        int h = 0x811C9DC5 ^ namespaceCode * 0x01000193;
        int n = name.length();
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (c < 0x80) {
                h = (h ^ c) * 0x01000193;
            } else if (c < 0x800) {
                h = (h ^ (0xC0 | c >> 6)) * 0x01000193;
                h = (h ^ (0x80 | c & 0x3F)) * 0x01000193;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(name.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, name.charAt(++i));
                h = (h ^ (0xF0 | cp >> 18)) * 0x01000193;
                h = (h ^ (0x80 | cp >> 12 & 0x3F)) * 0x01000193;
                h = (h ^ (0x80 | cp >> 6 & 0x3F)) * 0x01000193;
                h = (h ^ (0x80 | cp & 0x3F)) * 0x01000193;
            } else if (Character.isSurrogate(c)) {
                h = (h ^ '?') * 0x01000193; // as String.getBytes encodes it
            } else {
                h = (h ^ (0xE0 | c >> 12)) * 0x01000193;
                h = (h ^ (0x80 | c >> 6 & 0x3F)) * 0x01000193;
                h = (h ^ (0x80 | c & 0x3F)) * 0x01000193;
            }
        }
        return mix(h);
    }

    static int hash(int namespaceCode, ByteBuffer map, int at, int length) {
        byte[] bytes = new byte[length];
        map.get(at, bytes);
        return hash(namespaceCode, bytes, length);
    }

    static int hash(int namespaceCode, byte[] name, int length) {
        int h = 0x811C9DC5 ^ namespaceCode * 0x01000193;
        for (int i = 0; i < length; i++) {
            h = (h ^ (name[i] & 0xFF)) * 0x01000193;
        }
        return mix(h);
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ h >>> 16;
    }

    /** Whether the UTF-8 bytes at {@code at} are {@code name}'s, without allocating. */
    static boolean nameEquals(ByteBuffer map, int at, int length, String name) {
        int p = 0;
        int n = name.length();
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            int cp = c;
            int width;
            if (c < 0x80) {
                width = 1;
            } else if (c < 0x800) {
                width = 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(name.charAt(i + 1))) {
                cp = Character.toCodePoint(c, name.charAt(++i));
                width = 4;
            } else if (Character.isSurrogate(c)) {
                cp = '?';
                width = 1;
            } else {
                width = 3;
            }
            if (p + width > length) {
                return false;
            }
            switch (width) {
                case 1:
                    if (map.get(at + p) != (byte) cp) {
                        return false;
                    }
                    break;
                case 2:
                    if (map.get(at + p) != (byte) (0xC0 | cp >> 6) || map.get(at + p + 1) != (byte) (0x80 | cp & 0x3F)) {
                        return false;
                    }
                    break;
                case 3:
                    if (map.get(at + p) != (byte) (0xE0 | cp >> 12) || map.get(at + p + 1) != (byte) (0x80 | cp >> 6 & 0x3F)
                            || map.get(at + p + 2) != (byte) (0x80 | cp & 0x3F)) {
                        return false;
                    }
                    break;
                default:
                    if (map.get(at + p) != (byte) (0xF0 | cp >> 18) || map.get(at + p + 1) != (byte) (0x80 | cp >> 12 & 0x3F)
                            || map.get(at + p + 2) != (byte) (0x80 | cp >> 6 & 0x3F)
                            || map.get(at + p + 3) != (byte) (0x80 | cp & 0x3F)) {
                        return false;
                    }
                    break;
            }
            p += width;
        }
        return p == length;
    }
}
