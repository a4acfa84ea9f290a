package datastore.spi;

import java.nio.ByteBuffer;

import datastore.Namespace;

/**
 * One put or removal in an atomic {@link PartitionStore#apply(java.util.List)}. The caller has
 * validated the name and the value size; the partition still refuses what does not fit.
 *
 * @param namespace the namespace
 * @param name the entry's name
 * @param format a byte (0-255) stored with the value: the image type code for images, 0 otherwise
 * @param data the value, from its position to its limit, which the partition copies and never
 *        modifies; {@code null} for a removal
 */
public record Change(Namespace namespace, String name, int format, ByteBuffer data) {

    /** A put of {@code data}. */
    public static Change put(Namespace namespace, String name, int format, ByteBuffer data) {
        return new Change(namespace, name, format, data);
    }

    /** A removal. */
    public static Change remove(Namespace namespace, String name) {
        return new Change(namespace, name, 0, null);
    }

    /** Whether this change removes the entry. */
    public boolean isRemoval() {
        return data == null;
    }
}
