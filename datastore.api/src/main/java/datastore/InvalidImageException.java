package datastore;

import datastore.image.ImageType;

/** Bytes that are not a valid image of the stated type; the reason says what is wrong and where. */
public class InvalidImageException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    private final ImageType type;
    private final String reason;

    public InvalidImageException(String tag, ImageType type, String reason) {
        super((tag == null ? "" : "image \"" + tag + "\": ") + "not a valid " + type + ": " + reason, null, tag);
        this.type = type;
        this.reason = reason;
    }

    /** The type the bytes were claimed to be. */
    public ImageType type() {
        return type;
    }

    /** What is wrong with the bytes, without the tag. */
    public String reason() {
        return reason;
    }
}
