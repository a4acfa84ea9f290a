package datastore;

/**
 * The separate namespaces every partition holds. The same name may exist in several namespaces
 * without conflict. Each namespace has a stable one-byte code (used by storage formats, never the
 * ordinal) and a limit on the size of one value. New namespaces get new codes without a format
 * change.
 */
public enum Namespace {
    /** Key-value settings: UTF-8 string values of at most 64 KiB. */
    KV(1, "kv", 64 * 1024),
    /** Encoded images (PNG, BMP, JPEG) of at most 12 MiB. */
    IMAGE(2, "image", 12 * 1024 * 1024),
    /** The application's code, at most 4 MiB; reachable only through {@link datastore.system.ApplicationCodeStore}. */
    CODE(3, "code", 4 * 1024 * 1024),
    /** Fonts, at most 4 MiB; reserved, no API reads it yet. */
    FONT(4, "font", 4 * 1024 * 1024);

    private final int code;
    private final String id;
    private final int maxValueBytes;

    Namespace(int code, String id, int maxValueBytes) {
        this.code = code;
        this.id = id;
        this.maxValueBytes = maxValueBytes;
    }

    /** The stable code of this namespace in storage formats, 1 to 255. */
    public int code() {
        return code;
    }

    /** The lower-case identifier used in event topics, REST paths and configuration. */
    public String id() {
        return id;
    }

    /** The largest value, in bytes, that one entry of this namespace may hold. */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /**
     * The namespace with the given storage code.
     *
     * @throws IllegalArgumentException if no namespace has that code
     */
    public static Namespace ofCode(int code) {
        for (Namespace namespace : values()) {
            if (namespace.code == code) {
                return namespace;
            }
        }
        throw new IllegalArgumentException("unknown namespace code " + code);
    }
}
