package datastore.romformat;

import datastore.DatastoreException;
import datastore.Partitions;

/**
 * A ROM replace that could not be carried out although the content was valid: the slot it would
 * overwrite is still read through open views, the dock accepts only signed images, or the flash
 * failed while writing. The message says which; the ROM serves what it served before.
 */
public class RomReplaceException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public RomReplaceException(String message) {
        super(message, Partitions.ROM, null);
    }

    public RomReplaceException(String message, Throwable cause) {
        super(message, Partitions.ROM, null, cause);
    }
}
