package datastore.image;

/**
 * Image types: the dock SDK's constants {@code NONE}, {@code PNG} and {@code BMP}, plus {@code JPEG},
 * which the development REST API also accepts. Each has a stable storage code (never the ordinal).
 */
public enum ImageType {
    /** No image: what a lookup of a missing tag answers. Never stored. */
    NONE(0, "application/octet-stream"),
    PNG(1, "image/png"),
    BMP(2, "image/bmp"),
    JPEG(3, "image/jpeg");

    private final int code;
    private final String mediaType;

    ImageType(int code, String mediaType) {
        this.code = code;
        this.mediaType = mediaType;
    }

    /** The stable code of this type in storage formats. */
    public int code() {
        return code;
    }

    /** The IANA media type, for HTTP. */
    public String mediaType() {
        return mediaType;
    }

    /**
     * The type with the given storage code.
     *
     * @throws IllegalArgumentException if no type has that code
     */
    public static ImageType ofCode(int code) {
        for (ImageType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown image type code " + code);
    }
}
