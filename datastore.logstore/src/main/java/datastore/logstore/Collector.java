package datastore.logstore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import datastore.DatastoreException;

/**
 * Garbage collection at the ring's tail: copies the live entries of the oldest records to the head
 * (keeping their revisions and stored CRCs), writes the new tail to the anchor and a tail record, and
 * erases the blocks behind it, or leaves those held by views until they are released. Free space is
 * thus always one run and every ring block wears alike.
 */
final class Collector {
    /** A collection pass moves the tail by at least this fraction of the ring. */
    static final int PASSES_PER_LAP = 16;

    private final RingLayout layout;
    private final RingSpace space;
    private final AnchorSlots anchors;
    private final CurrentVersions current;
    private final LiveIndex index;
    private final DamageLog damage;
    private final GroupCommit group;
    /** Records the tail passed whose ids the index may still name until the next publication. */
    private final List<RecordRef> unnamed = new ArrayList<>();
    private long passes;

    Collector(RingLayout layout, RingSpace space, AnchorSlots anchors, CurrentVersions current, LiveIndex index,
            DamageLog damage, GroupCommit group) {
        this.layout = layout;
        this.space = space;
        this.anchors = anchors;
        this.current = current;
        this.index = index;
        this.damage = damage;
        this.group = group;
    }

    /**
     * Collects until a record of {@code length} and, after it, the largest record the collector may
     * have to copy both fit; waits up to the view wait for views holding blocks it needs.
     */
    void ensureSpace(long length) throws IOException {
        long reserve = (long) layout.maxRecord + layout.blockSize + layout.programSize;
        if (space.fits(length, reserve)) {
            return;
        }
        group.flushGroup();
        long pass = ++passes;
        long deadline = 0;
        while (!space.fits(length, reserve)) {
            boolean progressed = passSome(pass);
            commit();
            if (progressed || space.fits(length, reserve)) {
                continue;
            }
            int held = space.heldBlocks();
            if (held == 0) {
                throw new DatastoreException("the runtime partition cannot reclaim flash space for a record of " + length
                        + " bytes", LogStore.PARTITION, null);
            }
            long now = System.currentTimeMillis();
            if (deadline == 0) {
                deadline = now + layout.viewWaitMillis;
            } else if (now >= deadline) {
                throw new DatastoreException("the runtime partition cannot reclaim flash space while views are open on "
                        + held + " blocks (waited " + layout.viewWaitMillis + " ms)", LogStore.PARTITION, null);
            }
            try {
                index.awaitUnpin(Math.max(1, Math.min(50, deadline - now)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DatastoreException("interrupted while waiting for open views to close", LogStore.PARTITION,
                        null, e);
            }
        }
    }

    /**
     * Moves the tail over about a sixteenth of the ring (at least one record), copying live entries
     * to the head. Stops early where a copy does not fit before the next commit frees space, and at
     * records this collection wrote itself.
     */
    private boolean passSome(long pass) throws IOException {
        long goal = space.tail() + Math.max(layout.ringSize / PASSES_PER_LAP, layout.blockSize);
        boolean moved = false;
        while (!space.ring.isEmpty()) {
            RecordRef r = space.ring.peekFirst();
            if (r.writtenBy(pass) || moved && r.start >= goal) {
                break;
            }
            if (r.isRun()) {
                // The pass stops among a run's records where it would stop among single records.
                int stop = 1;
                while (stop < r.count() && r.recordStart(layout, stop) < goal) {
                    stop++;
                }
                if (stop < r.count()) {
                    splitAt(r, stop);
                }
            }
            if (!relocateAll(r, pass)) {
                break;
            }
            space.ring.pollFirst();
            passOver(r);
            space.passed.addLast(r);
            moved = true;
        }
        return moved;
    }

    /**
     * Leaves a run's slots from {@code from} on to a new run after it in the ring ({@link RecordRef#split}),
     * pointing the index at their new locations, so that the tail can pass the slots before them as the
     * records they stand for. The run keeps describing every slot until its block is erased.
     */
    private void splitAt(RecordRef r, int from) {
        RecordRef rest = r.split(layout, from);
        EntryTable table = current.table;
        table.register(rest);
        for (int s = from; s < r.count(); s++) {
            if (current.isCurrent(r, s)) {
                current.replace(new EntryKey(r.namespace(s), table.name(r, s)), rest.loc(s - from));
            }
        }
        space.ring.pollFirst();
        space.ring.addFirst(rest);
        space.ring.addFirst(r);
    }

    /**
     * Copies a record's live entries to the head: as one record, or, for a run, each as the single
     * record it was, so that damage to a copy costs what damage to the original would have. False if
     * a copy does not fit yet; a run's entries copied by then are current at their copies, so the next
     * try copies the rest. (The tail then waits at the run's start, where among single records it
     * would have waited at the record whose copy did not fit: in the same block, so nothing is
     * released or written differently, but the next pass's goal is counted from there.)
     */
    private boolean relocateAll(RecordRef r, long pass) throws IOException {
        int[] survivors = survivors(r);
        if (!r.isRun()) {
            return survivors.length == 0 || relocate(r, survivors, pass);
        }
        for (int slot : survivors) {
            if (!relocate(r, new int[] {slot}, pass)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Entries the tail must copy: the current versions (all published, see
     * {@link GroupCommit#flushGroup()}), and removals whose superseding write was lost, so that the
     * report survives the collection.
     */
    private int[] survivors(RecordRef r) {
        int[] survivors = new int[r.count()];
        int n = 0;
        for (int i = 0; i < r.count(); i++) {
            if (r.is(i, RecordRef.NAMED) && (!r.is(i, RecordRef.REMOVAL) || r.is(i, RecordRef.SUPERSEDED))
                    && current.isCurrent(r, i)) {
                survivors[n++] = i;
            }
        }
        return java.util.Arrays.copyOf(survivors, n);
    }

    /** Forgets what a passed record held: its tombstones and its damaged names are no longer on flash. */
    private void passOver(RecordRef r) {
        EntryTable table = current.table;
        for (int i = 0; i < r.count(); i++) {
            if (!r.is(i, RecordRef.NAMED)) {
                Long id = damage.orphans.remove(r.loc(i));
                if (id != null) {
                    damage.damagedNames.remove(id, r.revision(i));
                }
                continue;
            }
            if (r.is(i, RecordRef.REMOVAL) && current.isCurrent(r, i)) {
                EntryKey key = new EntryKey(r.namespace(i), table.name(r, i));
                current.drop(key);
                damage.lostNewer.remove(key, r.revision(i));
            }
        }
        if (r.id != 0) {
            unnamed.add(r);
        }
    }

    /** Copies entries to the head as one record with their revisions and stored CRCs; false if it does not fit yet. */
    private boolean relocate(RecordRef r, int[] survivors, long pass) throws IOException {
        EntryTable table = current.table;
        RecordCodec.EncodedEntry[] entries = new RecordCodec.EncodedEntry[survivors.length];
        String[] names = new String[survivors.length];
        for (int i = 0; i < entries.length; i++) {
            int slot = survivors[i];
            names[i] = table.name(r, slot);
            boolean removal = r.is(slot, RecordRef.REMOVAL);
            entries[i] = new RecordCodec.EncodedEntry(r.namespaceCode(slot), r.format(slot),
                    names[i].getBytes(StandardCharsets.UTF_8),
                    removal ? null : space.map.slice(r.valueAt(slot), r.valueLength(slot)), r.valueCrc(slot),
                    r.revision(slot));
        }
        int length = RecordCodec.encodedLength(entries, layout.programSize);
        if (!space.fits(length)) {
            return false;
        }
        long at = space.place(length);
        RecordCodec.Encoded record = RecordCodec.encode(entries, layout.lap16(at), LogFormat.FLAG_RELOCATED,
                layout.programSize, layout.identity);
        // A single copy joins the run of this pass's copies at the head where it may.
        RecordRef ref = GroupCommit.appendRecord(space, table, layout, at, record, entries, pass);
        int first = ref.count() - entries.length;
        for (int i = 0; i < entries.length; i++) {
            int slot = survivors[i];
            int copy = first + i;
            if (r.is(slot, RecordRef.SUPERSEDED)) {
                ref.set(copy, RecordRef.SUPERSEDED);
                // The copy keeps the mark, or a later mount would serve it as the current version.
                space.pendingMarks.add(new RingSpace.Mark(ref, copy));
            }
            if (r.is(slot, RecordRef.REMOVAL)) {
                ref.set(copy, RecordRef.VERIFIED);
            } else if (r.is(slot, RecordRef.DAMAGED)) {
                ref.set(copy, RecordRef.DAMAGED | (r.is(slot, RecordRef.REPORTED) ? RecordRef.REPORTED : 0));
            } else if (Checksums.crc(record.bytes(), (int) record.valueAt()[i], r.valueLength(slot)) == r.valueCrc(slot)) {
                // Checked while copying, so the copy needs no check at its first open.
                ref.set(copy, RecordRef.VERIFIED);
            } else {
                damage.damage(ref, copy, names[i], "its value failed its checksum when garbage collection copied it");
            }
            current.replace(new EntryKey(r.namespace(slot), names[i]), ref.loc(copy));
        }
        return true;
    }

    /**
     * Ends a collection pass: makes the copies durable, points readers at them, writes the new tail
     * to the anchor, and erases the blocks behind it (or leaves those held by views for later).
     */
    private void commit() throws IOException {
        if (space.unsynced) {
            space.syncNow();
        }
        space.programMarks();
        if (current.hasPending()) {
            index.publish(current);
        }
        // The index names none of the passed records now: their ids (and names kept aside) may go.
        for (RecordRef r : unnamed) {
            for (int i = 0; i < r.count(); i++) {
                if (r.is(i, RecordRef.RENAMED)) {
                    current.table.renamed.remove(r.loc(i));
                }
            }
            current.table.unregister(r);
        }
        unnamed.clear();
        long newReleased = layout.blockStart(space.tail());
        if (newReleased <= space.released) {
            return;
        }
        anchors.write();
        space.writeTail();
        space.syncNow();
        for (long b = space.released; b < newReleased; b += layout.blockSize) {
            release(b);
        }
        space.released = newReleased;
        while (!space.passed.isEmpty() && space.passed.peekFirst().end() <= space.released) {
            space.passed.pollFirst();
        }
    }

    /** Erases a block the tail has left behind, unless a view still holds a record in it. */
    private void release(long blockStartV) throws IOException {
        // Blocks are released in order, so records ending before this one were handled with theirs.
        while (!space.passed.isEmpty() && space.passed.peekFirst().end() <= blockStartV) {
            space.passed.pollFirst();
        }
        int block = layout.blockAt(blockStartV);
        List<RecordRef> held = new ArrayList<>();
        if (space.deferred[block] != null) {
            for (RecordRef ref : space.deferred[block]) {
                if (!ref.seal()) {
                    held.add(ref);
                }
            }
        }
        for (Iterator<RecordRef> it = space.passed.iterator(); it.hasNext();) {
            RecordRef ref = it.next();
            if (ref.start >= blockStartV + layout.blockSize) {
                break;
            }
            if (ref.end() > blockStartV && !ref.seal()) {
                held.add(ref);
            }
        }
        if (held.isEmpty()) {
            space.deferred[block] = null;
            if (!space.erased(block)) {
                space.eraseBlock(block);
            }
        } else {
            space.deferred[block] = held;
        }
    }
}
