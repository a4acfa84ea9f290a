package datastore.spi;

import java.nio.ByteBuffer;

import datastore.Namespace;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open entry of a partition: its value as a read-only view of the partition's storage (no copy).
 * While the view is open the partition keeps those bytes as they are, even if the entry is replaced
 * or removed meanwhile; it reuses the space only after {@link #close()}.
 */
@ProviderType
public interface EntryView extends AutoCloseable {

    Namespace namespace();

    String name();

    /** The format byte stored with the value (see {@link Change#format()}). */
    int format();

    /**
     * The entry's revision: a number that changes (increases) every time this name in this
     * namespace of this partition is written, and is never reused for other bytes while the
     * partition's contents persist.
     */
    long revision();

    /** The value; read-only, position 0, limit its size. Each call returns a new duplicate. */
    ByteBuffer data();

    /** Releases the view. Idempotent. */
    @Override
    void close();
}
