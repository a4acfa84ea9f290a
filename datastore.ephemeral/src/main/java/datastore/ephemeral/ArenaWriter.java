package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.CRC_START;
import static datastore.ephemeral.ArenaFormat.H_COMMITTED_REVISION;
import static datastore.ephemeral.ArenaFormat.H_FLOOR_REVISION;
import static datastore.ephemeral.ArenaFormat.H_NEXT_REVISION;
import static datastore.ephemeral.ArenaFormat.H_TOP;
import static datastore.ephemeral.ArenaFormat.KIND_PUT;
import static datastore.ephemeral.ArenaFormat.KIND_TOMBSTONE;
import static datastore.ephemeral.ArenaFormat.RECORD_HEADER;
import static datastore.ephemeral.ArenaFormat.RECORD_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_CRC;
import static datastore.ephemeral.ArenaFormat.R_FLAGS;
import static datastore.ephemeral.ArenaFormat.R_FORMAT;
import static datastore.ephemeral.ArenaFormat.R_KIND;
import static datastore.ephemeral.ArenaFormat.R_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_NAMESPACE;
import static datastore.ephemeral.ArenaFormat.R_NAME_LENGTH;
import static datastore.ephemeral.ArenaFormat.R_PINS;
import static datastore.ephemeral.ArenaFormat.R_REVISION;
import static datastore.ephemeral.ArenaFormat.R_SPAN;
import static datastore.ephemeral.ArenaFormat.R_VALUE_LENGTH;
import static datastore.ephemeral.ArenaFormat.markDead;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;

import datastore.Names;
import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.ValueTooLargeException;
import datastore.spi.Change;

/**
 * The arena's writes: a batch's records placed and written, committed by one 8-byte store of its last
 * revision, then published to the index at once (FORMAT.md, "Atomicity"). Runs under the arena's
 * write lock, except the validation of the changes.
 */
final class ArenaWriter {

    /** A change after validation, with its name encoded once. */
    record Prepared(Namespace namespace, String name, byte[] nameBytes, int format, ByteBuffer value) {
        boolean isRemoval() {
            return value == null;
        }

        int valueLength() {
            return value == null ? 0 : value.remaining();
        }

        int span() {
            return ArenaFormat.recordSpan(nameBytes.length, valueLength());
        }
    }

    private record Key(Namespace namespace, String name) {
    }

    private final Arena arena;
    private final ArenaIndex index;
    private final ArenaSpace space;
    // Guarded by the write lock:
    private long nextRevision;
    private long committedRevision;
    private long floorRevision;

    ArenaWriter(Arena arena, ArenaIndex index, ArenaSpace space) {
        this.arena = arena;
        this.index = index;
        this.space = space;
    }

    /** Reads the revision counters from the header at mount. */
    void mount(MappedByteBuffer map) {
        nextRevision = map.getLong(H_NEXT_REVISION);
        committedRevision = map.getLong(H_COMMITTED_REVISION);
        floorRevision = map.getLong(H_FLOOR_REVISION);
    }

    long committedRevision() {
        return committedRevision;
    }

    long floorRevision() {
        return floorRevision;
    }

    /** Validates a change before the lock is taken; see {@link Arena#apply} for what is refused. */
    static Prepared prepare(Change change) {
        Objects.requireNonNull(change, "change");
        Namespace namespace = Objects.requireNonNull(change.namespace(), "namespace");
        String name = Objects.requireNonNull(change.name(), "name");
        // Names checks what the format needs too: well-formed UTF-16, at most 255 bytes of UTF-8.
        byte[] nameBytes = Names.check(name).getBytes(StandardCharsets.UTF_8);
        if (change.isRemoval()) {
            return new Prepared(namespace, name, nameBytes, 0, null);
        }
        if (change.format() < 0 || change.format() > 255) {
            throw new IllegalArgumentException("format " + change.format() + " of \"" + Names.display(name)
                    + "\" is not a byte (0-255)");
        }
        ByteBuffer value = change.data().duplicate();
        if (value.remaining() > namespace.maxValueBytes()) {
            throw new ValueTooLargeException(namespace, name, value.remaining(), namespace.maxValueBytes());
        }
        return new Prepared(namespace, name, nameBytes, change.format(), value);
    }

    void write(List<Prepared> changes) {
        // Payload check against the state after the whole batch; nothing is touched before it passes.
        Map<Key, Long> pending = new HashMap<>();
        List<Prepared> effective = new ArrayList<>(changes.size());
        long used = index.used;
        long payload = used;
        String grower = null;
        long batchSpan = 0;
        ByteBuffer current = space.mapping().rw();
        for (Prepared change : changes) {
            Key key = new Key(change.namespace(), change.name());
            Long before = pending.get(key);
            if (before == null) {
                int bucket = findForWrite(current, change.namespace(), change.name());
                before = bucket < 0 ? -1L : payload(current, ArenaIndex.position(index.entry(bucket)), change.namespace());
            }
            if (change.isRemoval()) {
                if (before < 0) {
                    continue; // absent: nothing to remove, no record needed
                }
                payload -= before;
                pending.put(key, -1L);
            } else {
                long after = (long) change.nameBytes().length + change.valueLength();
                payload += after - Math.max(before, 0);
                if (after > Math.max(before, 0)) {
                    grower = change.name();
                }
                pending.put(key, after);
            }
            effective.add(change);
            batchSpan += change.span();
        }
        // A write that does not grow the payload passes even above the capacity (lowered by configuration).
        if (payload > arena.capacity() && payload > used) {
            throw new PartitionFullException(arena.name(), grower, payload, arena.capacity());
        }
        if (effective.isEmpty()) {
            return;
        }
        int[] spans = new int[effective.size()];
        for (int i = 0; i < spans.length; i++) {
            spans[i] = effective.get(i).span();
        }
        ArenaSpace.Placement plan = space.makeRoom(spans, batchSpan, () -> ArenaCompaction.compact(space, index));

        MappedByteBuffer map = space.mapping().rw();
        long first = nextRevision;
        nextRevision += effective.size();
        // Reserve the revisions before writing: a torn write never hands its numbers to other bytes.
        map.putLong(H_NEXT_REVISION, nextRevision);
        int[] positions = plan.positions();
        try {
            // Shrunk gaps get their filler first: until a record's header lands, the old filler still spans it.
            for (long[] gap : plan.gaps()) {
                ArenaFormat.writeFiller(map, (int) gap[0], (int) (gap[1] - gap[0]));
            }
            for (int i = 0; i < effective.size(); i++) {
                writeRecord(map, positions[i], effective.get(i), first + i);
            }
            space.gaps = plan.gaps();
            space.top = plan.top();
            map.putLong(H_TOP, space.top);
            if (arena.beforeCommit != null) {
                arena.beforeCommit.run();
            }
        } catch (RuntimeException | Error stopped) {
            // Abandoned before its commit point. The next commit stores a higher revision, which would
            // make these records count at the next scan: flag them dead now (positions not yet written
            // are free bytes, where the flag is harmless).
            for (int position : positions) {
                markDead(map, position);
            }
            throw stopped;
        }
        committedRevision = first + effective.size() - 1;
        map.putLong(H_COMMITTED_REVISION, committedRevision); // the commit point
        index.committedRevision = committedRevision;

        long stamp = index.beginPublication();
        try {
            for (int i = 0; i < effective.size(); i++) {
                Prepared change = effective.get(i);
                Namespace namespace = change.namespace();
                int nameLength = change.nameBytes().length;
                int bucket = findForWrite(map, namespace, change.name());
                int old = bucket < 0 ? -1 : ArenaIndex.position(index.entry(bucket));
                int oldNameLength = old < 0 ? 0 : map.get(old + R_NAME_LENGTH) & 0xFF;
                int oldValueLength = old < 0 ? 0 : valueLength(map, old, namespace);
                if (change.isRemoval()) {
                    if (bucket >= 0) {
                        index.remove(namespace, bucket);
                    }
                    markDead(map, positions[i]);
                } else {
                    long hash = ArenaIndex.hash(namespace, change.name());
                    long entry = ArenaIndex.entry(hash, first + i, positions[i]);
                    if (bucket >= 0) {
                        index.replace(bucket, entry);
                    } else {
                        index.insert(map, namespace, hash, entry);
                    }
                    index.used += nameLength + change.valueLength();
                    space.liveSpan += change.span();
                }
                if (old >= 0) {
                    index.used -= oldNameLength + oldValueLength;
                    int oldSpan = ArenaFormat.recordSpan(oldNameLength, oldValueLength);
                    space.liveSpan -= oldSpan;
                    discard(map, old, oldSpan);
                }
            }
        } finally {
            index.endPublication(stamp);
        }
    }

    /**
     * The bucket of a name's entry, under the lock. A record whose tag matches but whose name bytes do
     * not, and which fails its checksum, is taken for this name's with its name damaged (readers report
     * it as such): the write replaces or removes it, rather than leave it indexed beside the new one.
     */
    private int findForWrite(ByteBuffer map, Namespace namespace, String name) {
        int found = index.find(map, namespace, name);
        if (found > ArenaIndex.ABSENT_AFTER_COMPARE) {
            return found;
        }
        int bucket = ArenaIndex.mismatched(found);
        long entry = index.entry(bucket);
        int integrity = ArenaIndex.integrity(entry);
        if (integrity == ArenaIndex.INTACT) {
            return ArenaIndex.ABSENT;
        }
        int at = ArenaIndex.position(entry);
        int span = map.getInt(at + R_SPAN);
        boolean intact = integrity == ArenaIndex.UNVERIFIED && ArenaFormat.saneSpan(at, span, RECORD_HEADER, space.top)
                && ArenaFormat.validRecord(map, at, span);
        return intact ? ArenaIndex.ABSENT : bucket;
    }

    /** The payload of a live record: its name and value lengths as its header gives them. */
    private static long payload(ByteBuffer map, int at, Namespace namespace) {
        return (map.get(at + R_NAME_LENGTH) & 0xFF) + valueLength(map, at, namespace);
    }

    /**
     * The value length in a live record's header. Only another process could have changed it since
     * it was written; the bound keeps such damage from skewing the accounting beyond one value.
     */
    private static int valueLength(ByteBuffer map, int at, Namespace namespace) {
        return Math.max(0, Math.min(map.getInt(at + R_VALUE_LENGTH), namespace.maxValueBytes()));
    }

    /**
     * Writes a record. Its CRC32C is computed from the source bytes, not read back from the mapping, so
     * that it describes what the writer meant: the first open then verifies the copy in shared memory.
     */
    private static void writeRecord(MappedByteBuffer map, int at, Prepared change, long revision) {
        int nameLength = change.nameBytes().length;
        int valueLength = change.valueLength();
        ByteBuffer covered = ByteBuffer.allocate(RECORD_HEADER - CRC_START).order(ByteOrder.LITTLE_ENDIAN);
        covered.put(R_KIND - CRC_START, (byte) (change.isRemoval() ? KIND_TOMBSTONE : KIND_PUT));
        covered.put(R_NAMESPACE - CRC_START, (byte) change.namespace().code());
        covered.put(R_FORMAT - CRC_START, (byte) change.format());
        covered.put(R_NAME_LENGTH - CRC_START, (byte) nameLength);
        covered.putLong(R_REVISION - CRC_START, revision);
        covered.putInt(R_VALUE_LENGTH - CRC_START, valueLength);
        CRC32C crc = new CRC32C();
        crc.update(covered.array());
        crc.update(change.nameBytes());
        if (valueLength > 0) {
            crc.update(change.value().duplicate());
        }
        map.putInt(at + R_MAGIC, RECORD_MAGIC);
        map.putInt(at + R_SPAN, change.span());
        map.putInt(at + R_PINS, 0);
        map.putInt(at + R_FLAGS, 0);
        map.putInt(at + R_CRC, (int) crc.getValue());
        map.put(at + CRC_START, covered, 0, covered.capacity());
        map.put(at + RECORD_HEADER, change.nameBytes());
        if (valueLength > 0) {
            ByteBuffer value = change.value();
            map.put(at + RECORD_HEADER + nameLength, value, value.position(), valueLength);
        }
    }

    /**
     * Flags a record that left the index dead; its bytes are free at once, unless a view pins them
     * (a reader that pins them later fails its check of the publication sequence).
     */
    private void discard(MappedByteBuffer map, int at, int span) {
        markDead(map, at);
        if (Pin.pinned(index.pins, at)) {
            index.pinnedGarbage.put(at, span);
        }
    }

    /** Removes every entry: one store of the clear floor commits it, then the space is reclaimed. */
    void clear() {
        MappedByteBuffer map = space.mapping().rw();
        floorRevision = nextRevision;
        map.putLong(H_FLOOR_REVISION, floorRevision);
        long stamp = index.beginPublication();
        try {
            for (int at : index.removeAll()) {
                Namespace namespace = ArenaFormat.namespace(map.get(at + R_NAMESPACE));
                int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
                discard(map, at, ArenaFormat.recordSpan(nameLength, namespace == null ? 0
                        : valueLength(map, at, namespace)));
            }
            index.used = 0;
            space.liveSpan = 0;
        } finally {
            index.endPublication(stamp);
        }
        ArenaCompaction.compact(space, index);
    }
}
