package datastore.logstore;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The mount's checks of names and values against their CRCs (FORMAT.md), read from the mapped
 * region through one reused checksum, name buffer and view: one instance per mounting thread.
 */
final class RegionChecks {
    private final ByteBuffer map;
    private final ByteBuffer window;
    private final CRC32C checksum = new CRC32C();
    private final byte[] name = new byte[256];

    RegionChecks(ByteBuffer map) {
        this.map = map;
        this.window = map.duplicate();
    }

    /** The CRC32C of a namespace code and the name at {@code at}; the name stays in the buffer for {@link #lastNameHash}. */
    int nameCrc(int namespaceCode, int at, int length) {
        map.get(at, name, 0, length);
        checksum.reset();
        checksum.update(namespaceCode);
        checksum.update(name, 0, length);
        return (int) checksum.getValue();
    }

    /** The index's hash ({@link NameHash}) of the name the last {@link #nameCrc} read. */
    int lastNameHash(int namespaceCode, int length) {
        return NameHash.hash(namespaceCode, name, length);
    }

    /** The CRC32C of the value at {@code at}. */
    int valueCrc(long at, int length) {
        checksum.reset();
        window.limit((int) at + length).position((int) at);
        checksum.update(window);
        return (int) checksum.getValue();
    }
}
