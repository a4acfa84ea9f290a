package datastore.runtime;

import datastore.Namespace;

/**
 * Where one stored version of an entry lives on flash. Readers use the immutable fields to find the
 * value; the writer keeps its accounting in the two mutable fields, which readers never touch.
 */
final class EntryLoc {
    final Namespace namespace;
    final String name;
    final int nameLength;
    final long revision;
    final int format;
    final boolean removal;
    final int valueLength;
    final int valueCrc;
    /** Block and offset of the first value byte; the value runs on along the block chain. */
    final int block;
    final int offset;
    /** The block's erase generation when the value was written, so a recycled block is never read. */
    final int gen;
    /** The value failed its CRC at mount (and is copied as it is, so the damage stays detectable). */
    final boolean corrupt;
    final LogStore.RecordRef ref;
    /** Flash bytes a relocation of this entry costs. */
    final int cost;

    /** Writer only: whether this version counts in its record's live bytes. */
    boolean counted;
    /** Writer only: its name was damaged and matched no known name, so no key owns it. */
    boolean orphan;

    EntryLoc(Namespace namespace, String name, int nameLength, long revision, int format, boolean removal,
            int valueLength, int valueCrc, int block, int offset, int gen, boolean corrupt, LogStore.RecordRef ref,
            int cost) {
        this.namespace = namespace;
        this.name = name;
        this.nameLength = nameLength;
        this.revision = revision;
        this.format = format;
        this.removal = removal;
        this.valueLength = valueLength;
        this.valueCrc = valueCrc;
        this.block = block;
        this.offset = offset;
        this.gen = gen;
        this.corrupt = corrupt;
        this.ref = ref;
        this.cost = cost;
    }

    long payload() {
        return removal ? 0 : (long) nameLength + valueLength;
    }
}
