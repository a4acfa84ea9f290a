package datastore.rom;

/**
 * Bytes that are not a sound ROM image: a bad magic, an unknown format version, a header or index
 * that fails its checksum or digest, an index pointing outside the image, or a signature that does
 * not verify. The message says which check failed and with what numbers.
 */
public class RomImageException extends Exception {
    private static final long serialVersionUID = 1L;

    public RomImageException(String message) {
        super(message);
    }
}
