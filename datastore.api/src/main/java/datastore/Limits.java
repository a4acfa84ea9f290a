package datastore;

/**
 * The limits every partition enforces on names. Value limits are per namespace
 * ({@link Namespace#maxValueBytes()}); capacity is per partition and counts payload bytes only:
 * the UTF-8 bytes of each name plus the bytes of its value.
 *
 * <p>A valid name (key, tag) is non-empty, at most {@link #MAX_NAME_BYTES} bytes in UTF-8, is
 * well-formed UTF-16 (no unpaired surrogate) and contains no control character (Unicode category
 * Cc) and no invisible format character (category Cf, bidirectional controls included): the rules
 * and their one exception are {@link Names#check}. Anything else is refused with
 * {@link InvalidNameException}.
 */
public final class Limits {
    /** The longest name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 255;

    private Limits() {
    }
}
