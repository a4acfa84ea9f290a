package datastore.romformat;

/**
 * Bytes that are not a sound ROM image: a bad magic, an unknown format version, a header or index
 * that fails its checksum or digest, an index pointing outside the image, or a signature that does
 * not verify. The message says which check failed and with what numbers.
 */
public class RomImageException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int newerVersion;

    public RomImageException(String message) {
        this(message, 0);
    }

    /** @param newerVersion the format version found, when it is newer than this code; else 0 */
    public RomImageException(String message, int newerVersion) {
        super(message);
        this.newerVersion = newerVersion;
    }

    /** The format version found when it is newer than this code reads (the bytes are not damage); else 0. */
    public int newerVersion() {
        return newerVersion;
    }
}
