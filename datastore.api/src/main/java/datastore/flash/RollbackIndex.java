package datastore.flash;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The device's rollback index: the highest signed generation of a ROM image the dock has accepted,
 * kept on the flash outside every partition, so that whoever can rewrite a partition cannot lower it.
 * It never decreases, and a power cut while it is advanced leaves the old or the new value. The
 * device bundle registers one service when its flash has room for it; a partition that refuses
 * older images binds to it.
 */
@ProviderType
public interface RollbackIndex {

    /** The highest generation accepted so far; 0 on a fresh flash. */
    long highest() throws IOException;

    /**
     * Raises the index to {@code generation}, durably, before returning; a generation at or below the
     * current value changes nothing (the index never decreases).
     *
     * @throws IllegalArgumentException if {@code generation} is negative
     * @throws IOException if the flash fails; the index is then the old or the new value
     */
    void advance(long generation) throws IOException;
}
