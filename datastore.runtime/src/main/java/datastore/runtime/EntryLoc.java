package datastore.runtime;

import java.util.concurrent.atomic.AtomicBoolean;

import datastore.Namespace;

/**
 * Where one stored version of an entry lives on flash. Everything is immutable except what checking
 * the value found, which readers and the writer share through the volatile flags.
 */
final class EntryLoc {
    final Namespace namespace;
    /** The name, or null when its stored bytes are damaged and no known name matches their CRC. */
    final String name;
    final EntryKey key;
    final int nameLength;
    final long revision;
    final int format;
    final boolean removal;
    final int valueLength;
    final int valueCrc;
    /** Region offset of the first value byte; the value is contiguous. */
    final long valueOffset;
    final RecordRef ref;

    /**
     * The value's bytes on flash matched its CRC. Set at mount (which checks every value) or by the
     * first open after a write; the bytes cannot change afterwards while the record is pinned or
     * reachable, so later opens skip the check.
     */
    volatile boolean verified;
    /** The value failed its CRC; reads report it as corrupted. */
    volatile boolean damaged;
    /** A durable newer write marked this version superseded, but it is no longer readable. */
    volatile boolean superseded;
    /** The entry's index in its record, which names its superseded marker bit. */
    int slot;
    /** Whether the damage has been reported in problems(), so it is reported once. */
    final AtomicBoolean reported = new AtomicBoolean();

    EntryLoc(Namespace namespace, String name, int nameLength, long revision, int format, boolean removal,
            int valueLength, int valueCrc, long valueOffset, RecordRef ref) {
        this.namespace = namespace;
        this.name = name;
        this.key = name == null ? null : new EntryKey(namespace, name);
        this.nameLength = nameLength;
        this.revision = revision;
        this.format = format;
        this.removal = removal;
        this.valueLength = valueLength;
        this.valueCrc = valueCrc;
        this.valueOffset = valueOffset;
        this.ref = ref;
    }

    long payload() {
        return removal ? 0 : (long) nameLength + valueLength;
    }
}
