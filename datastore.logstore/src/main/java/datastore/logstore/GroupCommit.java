package datastore.logstore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import datastore.DatastoreException;
import datastore.Names;
import datastore.PartitionFullException;
import datastore.ValueTooLargeException;
import datastore.spi.Change;

/**
 * The write path: every {@code apply} or {@code clear} is one record; concurrent writers share one
 * {@code sync} per group (the first waiting thread leads and writes everyone's records), and a group's
 * changes reach readers inside one publication window. A superseded version's marker is programmed
 * only after the sync that made its successor durable. Capacity errors change nothing.
 */
final class GroupCommit {
    /** The most writes one sync covers, so a stream of writers cannot keep a leader from returning. */
    static final int MAX_GROUP = 256;

    /** One prepared apply() or clear() waiting for the group leader. */
    private static final class Batch {
        final List<Change> changes;
        final byte[][] names;
        final int[] valueCrcs;
        final boolean clear;
        boolean done;
        RuntimeException error;

        Batch(List<Change> changes, byte[][] names, int[] valueCrcs, boolean clear) {
            this.changes = changes;
            this.names = names;
            this.valueCrcs = valueCrcs;
            this.clear = clear;
        }
    }

    private final RingLayout layout;
    private final RingSpace space;
    private final AnchorSlots anchors;
    private final CurrentVersions current;
    private final LiveIndex index;
    private final DamageLog damage;
    private Collector collector;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition groupDone = lock.newCondition();
    private final ArrayDeque<Batch> queue = new ArrayDeque<>();
    private boolean leading;

    GroupCommit(RingLayout layout, RingSpace space, AnchorSlots anchors, CurrentVersions current, LiveIndex index,
            DamageLog damage) {
        this.layout = layout;
        this.space = space;
        this.anchors = anchors;
        this.current = current;
        this.index = index;
        this.damage = damage;
    }

    void collector(Collector collector) {
        this.collector = collector;
    }

    /** Removes every entry at once: one clear record. */
    void clear() {
        submit(new Batch(null, null, null, true));
    }

    void apply(List<Change> changes) {
        if (changes == null) {
            throw new NullPointerException("changes");
        }
        if (changes.isEmpty()) {
            return;
        }
        submit(prepare(changes));
    }

    private void submit(Batch batch) {
        lock.lock();
        try {
            queue.add(batch);
            while (!batch.done) {
                if (!leading) {
                    leading = true;
                    List<Batch> group = new ArrayList<>(queue);
                    queue.clear();
                    lock.unlock();
                    try {
                        writeGroup(group);
                    } finally {
                        lock.lock();
                        leading = false;
                        for (Batch b : group) {
                            b.done = true;
                        }
                        groupDone.signalAll();
                    }
                } else {
                    groupDone.awaitUninterruptibly();
                }
            }
        } finally {
            lock.unlock();
        }
        if (batch.error != null) {
            throw batch.error;
        }
    }

    /** Validates a batch and does the per-value work (CRCs) on the caller's thread. */
    private Batch prepare(List<Change> changes) {
        // Later changes to the same name win; only the last is stored.
        LinkedHashMap<EntryKey, Change> last = new LinkedHashMap<>();
        for (Change change : changes) {
            if (change == null || change.namespace() == null) {
                throw new NullPointerException("a change or its namespace is null");
            }
            Names.check(change.name());
            if (change.format() < 0 || change.format() > 255) {
                throw new IllegalArgumentException("format " + change.format() + " of \"" + Names.display(change.name())
                        + "\" is outside 0..255");
            }
            if (!change.isRemoval() && change.data().remaining() > change.namespace().maxValueBytes()) {
                throw new ValueTooLargeException(change.namespace(), change.name(), change.data().remaining(),
                        change.namespace().maxValueBytes());
            }
            EntryKey key = new EntryKey(change.namespace(), change.name());
            last.remove(key);
            last.put(key, change.isRemoval() ? change
                    : Change.put(change.namespace(), change.name(), change.format(), change.data().duplicate()));
        }
        List<Change> unique = new ArrayList<>(last.values());
        byte[][] names = new byte[unique.size()][];
        int[] crcs = new int[unique.size()];
        for (int i = 0; i < unique.size(); i++) {
            names[i] = unique.get(i).name().getBytes(StandardCharsets.UTF_8);
            crcs[i] = Checksums.valueCrc(unique.get(i).data());
        }
        return new Batch(unique, names, crcs, false);
    }

    private void writeGroup(List<Batch> group) {
        try {
            if (anchors.pending && space.failed == null) {
                anchors.write();
                anchors.pending = false;
            }
            for (int i = 0; i < group.size(); i++) {
                Batch batch = group.get(i);
                if (i == group.size() - 1) {
                    // Writers that queued while this group was being written share its sync.
                    takeQueued(group);
                }
                if (space.failed != null) {
                    batch.error = space.failed;
                    continue;
                }
                try {
                    if (batch.clear) {
                        writeClear();
                    } else {
                        writeBatch(batch);
                    }
                } catch (DatastoreException e) {
                    batch.error = e;
                }
            }
            flushGroup();
        } catch (IOException | RuntimeException | Error e) {
            // Nothing of this group is known to be durable: every write still pending fails.
            fail(e);
            for (Batch batch : group) {
                if (batch.error == null) {
                    batch.error = space.failed;
                }
            }
        }
    }

    /**
     * Makes what the group wrote so far durable and visible. Runs at the end of a group, and before
     * garbage collection, so that the collector never meets a version readers still see although a
     * newer one is written: it only ever copies current versions, and a collected tombstone can
     * never uncover an older copy.
     */
    void flushGroup() throws IOException {
        if (space.unsynced) {
            space.syncNow();
        }
        space.programMarks();
        if (current.hasPending()) {
            index.publish(current);
        }
    }

    private void takeQueued(List<Batch> group) {
        lock.lock();
        try {
            while (!queue.isEmpty() && group.size() < MAX_GROUP) {
                group.add(queue.poll());
            }
        } finally {
            lock.unlock();
        }
    }

    private void fail(Throwable cause) {
        // A write of this group may be torn: marking what it superseded would be premature.
        space.pendingMarks.clear();
        if (space.failed == null) {
            space.failed = new DatastoreException("the runtime partition's flash failed (" + cause
                    + "); it refuses writes until it is mounted again", LogStore.PARTITION, null, cause);
        }
    }

    /** Makes room for a record (collecting garbage as needed) and returns where it goes. */
    private long reserve(int length) throws IOException {
        collector.ensureSpace(length);
        return space.place(length);
    }

    /** Writes one batch as one record. Capacity errors change nothing. */
    private void writeBatch(Batch batch) throws IOException {
        EntryTable table = current.table;
        List<Change> changes = batch.changes;
        List<RecordCodec.EncodedEntry> encoded = new ArrayList<>();
        List<EntryKey> encodedKeys = new ArrayList<>();
        long newUsed = current.used;
        long carried = 0;
        String firstName = changes.get(0).name();
        for (int i = 0; i < changes.size(); i++) {
            Change change = changes.get(i);
            EntryKey key = new EntryKey(change.namespace(), change.name());
            long state = current.get(key);
            RecordRef stateRef = state == 0 ? null : table.record(state);
            int stateSlot = EntryTable.slotOf(state);
            boolean present = stateRef != null && !stateRef.is(stateSlot, RecordRef.REMOVAL);
            if (change.isRemoval()) {
                boolean damagedHere = damage.damagedNames.containsKey(DamageLog.damagedId(change.namespace().code(),
                        Checksums.nameCrc(change.namespace().code(), batch.names[i])))
                        || damage.lostNewer.containsKey(key) || stateRef != null && stateRef.is(stateSlot, RecordRef.DAMAGED);
                if (!present && !damagedHere) {
                    continue;
                }
            }
            if (present) {
                newUsed -= stateRef.charge(stateSlot);
            }
            carried += batch.names[i].length + LogFormat.ENTRY_CHARGE;
            if (!change.isRemoval()) {
                newUsed += batch.names[i].length + change.data().remaining() + LogFormat.ENTRY_CHARGE;
                carried += change.data().remaining();
            }
            encoded.add(new RecordCodec.EncodedEntry(change.namespace().code(), change.format(), batch.names[i],
                    change.data(), batch.valueCrcs[i], 0));
            encodedKeys.add(key);
        }
        if (encoded.isEmpty()) {
            return;
        }
        if (newUsed > layout.capacity && newUsed > current.used) {
            throw new CapacityExceededException(firstName, newUsed, layout.capacity);
        }
        if (carried > layout.capacity || encoded.size() > layout.maxEntries) {
            throw new WriteTooLargeException(firstName, carried, encoded.size(), layout.capacity);
        }
        RecordCodec.EncodedEntry[] entries = new RecordCodec.EncodedEntry[encoded.size()];
        long seq = space.nextSeq;
        for (int i = 0; i < entries.length; i++) {
            RecordCodec.EncodedEntry e = encoded.get(i);
            entries[i] = new RecordCodec.EncodedEntry(e.namespaceCode(), e.format(), e.name(), e.value(), e.valueCrc(),
                    seq + i);
        }
        int length = RecordCodec.encodedLength(entries, layout.programSize);
        long at = reserve(length);
        space.nextSeq = seq + entries.length;
        RecordCodec.Encoded record = RecordCodec.encode(entries, layout.lap16(at), 0, layout.programSize, layout.identity);
        RecordRef ref = appendRecord(space, table, layout, at, record, entries, 0);
        int first = ref.count() - entries.length;
        for (int i = 0; i < entries.length; i++) {
            if (entries[i].value() == null) {
                ref.set(first + i, RecordRef.VERIFIED);
            }
        }
        for (int i = 0; i < entries.length; i++) {
            EntryKey key = encodedKeys.get(i);
            long old = current.get(key);
            if (old != 0) {
                space.pendingMarks.add(new RingSpace.Mark(table.record(old), EntryTable.slotOf(old)));
            }
            damage.lostNewer.remove(key);
            current.install(key, ref.loc(first + i));
            damage.damagedNames.computeIfPresent(DamageLog.damagedId(entries[i].namespaceCode(),
                    Checksums.nameCrc(entries[i].namespaceCode(), entries[i].name())),
                    (k, r) -> r < seq + entries.length ? null : r);
        }
    }

    /**
     * Programs an encoded record at {@code at} for a write (pass 0) or collection pass {@code pass}: a
     * single record joins the run at the head where it may ({@link RingSpace#appendToRun}), anything else
     * becomes a record of its own, registered in the table. Either way the entries' slots are the last
     * {@code entries.length} of the record returned.
     */
    static RecordRef appendRecord(RingSpace space, EntryTable table, RingLayout layout, long at,
            RecordCodec.Encoded record, RecordCodec.EncodedEntry[] entries, long pass) throws IOException {
        long base = layout.phys(at);
        if (entries.length == 1) {
            RecordRef run = space.appendToRun(at, record.bytes(), record.markersAt(), record.markersLength(),
                    entries[0].revision(), pass);
            if (run != null) {
                describe(run, run.count() - 1, entries[0], record, base);
                return run;
            }
        }
        RecordRef ref = space.append(at, record.bytes(), record.markersAt(), record.markersLength(),
                entries.length == 1 ? LogFormat.KIND_SINGLE : LogFormat.KIND_BATCH, pass);
        describe(ref, entries, record, base);
        table.register(ref);
        return ref;
    }

    /**
     * Fills a written record's columns: where each entry's name and value lie (names back to back
     * before the values in a batch, the name right before the value in a single record).
     */
    static void describe(RecordRef ref, RecordCodec.EncodedEntry[] entries, RecordCodec.Encoded record, long base) {
        ref.entries(entries.length);
        if (entries.length == 1) {
            describe(ref, 0, entries[0], record, base);
            return;
        }
        long names = 0;
        for (RecordCodec.EncodedEntry e : entries) {
            names += e.name().length;
        }
        long nameAt = base + record.valueAt()[0] - names;
        for (int i = 0; i < entries.length; i++) {
            RecordCodec.EncodedEntry e = entries[i];
            ref.entry(i, e.namespaceCode(), e.format(), nameAt, e.name().length, base + record.valueAt()[i],
                    e.valueLength(), e.revision(), e.valueCrc(),
                    RecordRef.NAMED | (e.value() == null ? RecordRef.REMOVAL : 0));
            nameAt += e.name().length;
        }
    }

    /** Fills {@code slot} of a record with the entry of the single record just written at region offset {@code base}. */
    static void describe(RecordRef ref, int slot, RecordCodec.EncodedEntry e, RecordCodec.Encoded record, long base) {
        long valueAt = base + record.valueAt()[0];
        ref.entry(slot, e.namespaceCode(), e.format(), valueAt - e.name().length, e.name().length, valueAt,
                e.valueLength(), e.revision(), e.valueCrc(), RecordRef.NAMED | (e.value() == null ? RecordRef.REMOVAL : 0));
    }

    private void writeClear() throws IOException {
        long seq = space.nextSeq;
        int length = RecordCodec.clear(seq, 0, layout.programSize, layout.identity).length;
        long at = reserve(length);
        space.nextSeq = seq + 1;
        byte[] clear = RecordCodec.clear(seq, layout.lap16(at), layout.programSize, layout.identity);
        space.append(at, clear, 0, 0, LogFormat.KIND_CLEAR, 0);
        EntryTable table = current.table;
        current.forEach(loc -> space.pendingMarks.add(new RingSpace.Mark(table.record(loc), EntryTable.slotOf(loc))));
        current.clear();
        damage.cleared();
    }
}
