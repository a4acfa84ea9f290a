package datastore.runtime;

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
    /** Copies whose originals readers may hold in the index: (original, copy). */
    private final List<EntryLoc[]> pendingPublish = new ArrayList<>();
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
        long reserve = (long) layout.maxRecord + layout.blockSize;
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
            if (r.pass == pass || moved && r.start >= goal) {
                break;
            }
            List<EntryLoc> survivors = survivors(r);
            if (!survivors.isEmpty() && !relocate(survivors, pass)) {
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
     * Entries the tail must copy: the current versions (all published, see
     * {@link GroupCommit#flushGroup()}), and removals whose superseding write was lost, so that the
     * report survives the collection.
     */
    private List<EntryLoc> survivors(RecordRef r) {
        List<EntryLoc> survivors = new ArrayList<>();
        for (EntryLoc loc : r.entries) {
            if (loc.key != null && current.get(loc.key) == loc && (!loc.removal || loc.superseded)) {
                survivors.add(loc);
            }
        }
        return survivors;
    }

    /** Forgets what a passed record held: its tombstones and its damaged names are no longer on flash. */
    private void passOver(RecordRef r) {
        for (EntryLoc loc : r.entries) {
            if (loc.key == null) {
                Long id = damage.orphans.remove(loc);
                if (id != null) {
                    damage.damagedNames.remove(id, loc.revision);
                }
                continue;
            }
            if (loc.removal && current.get(loc.key) == loc) {
                current.keys.remove(loc.key);
                damage.lostNewer.remove(loc.key, loc.revision);
            }
        }
    }

    /** Copies entries to the head as one record with their revisions and stored CRCs; false if it does not fit yet. */
    private boolean relocate(List<EntryLoc> survivors, long pass) throws IOException {
        LogFormat.EncodedEntry[] entries = new LogFormat.EncodedEntry[survivors.size()];
        for (int i = 0; i < entries.length; i++) {
            EntryLoc loc = survivors.get(i);
            entries[i] = new LogFormat.EncodedEntry(loc.namespace.code(), loc.format,
                    loc.name.getBytes(StandardCharsets.UTF_8),
                    loc.removal ? null : space.map.slice((int) loc.valueOffset, loc.valueLength), loc.valueCrc,
                    loc.revision);
        }
        int length = LogFormat.encodedLength(entries, layout.programSize);
        if (!space.fits(length)) {
            return false;
        }
        long at = space.place(length);
        LogFormat.Encoded record = LogFormat.encode(entries, layout.lap16(at), LogFormat.FLAG_RELOCATED,
                layout.programSize, layout.identity);
        RecordRef ref = space.append(at, record.bytes(), length,
                entries.length == 1 ? LogFormat.KIND_SINGLE : LogFormat.KIND_BATCH, pass);
        EntryLoc[] locs = new EntryLoc[entries.length];
        long base = layout.phys(at);
        for (int i = 0; i < entries.length; i++) {
            EntryLoc old = survivors.get(i);
            EntryLoc moved = new EntryLoc(old.namespace, old.name, old.nameLength, old.revision, old.format, old.removal,
                    old.valueLength, old.valueCrc, base + record.valueAt()[i], ref);
            moved.slot = i;
            moved.superseded = old.superseded;
            if (old.superseded) {
                // The copy keeps the mark, or a later mount would serve it as the current version.
                space.pendingMarks.add(moved);
            }
            if (old.removal) {
                moved.verified = true;
            } else if (old.damaged) {
                moved.damaged = true;
                moved.reported.set(old.reported.get());
            } else if (LogFormat.crc(record.bytes(), (int) record.valueAt()[i], old.valueLength) == old.valueCrc) {
                // Checked while copying, so the copy needs no check at its first open.
                moved.verified = true;
            } else {
                damage.damage(moved, "its value failed its checksum when garbage collection copied it");
            }
            locs[i] = moved;
            current.keys.put(old.key, moved);
            pendingPublish.add(new EntryLoc[] {old, moved});
        }
        ref.entries = locs;
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
        if (!pendingPublish.isEmpty()) {
            index.publishCopies(pendingPublish);
            pendingPublish.clear();
        }
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
        while (!space.passed.isEmpty() && space.passed.peekFirst().end <= space.released) {
            space.passed.pollFirst();
        }
    }

    /** Erases a block the tail has left behind, unless a view still holds a record in it. */
    private void release(long blockStartV) throws IOException {
        // Blocks are released in order, so records ending before this one were handled with theirs.
        while (!space.passed.isEmpty() && space.passed.peekFirst().end <= blockStartV) {
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
            if (ref.end > blockStartV && !ref.seal()) {
                held.add(ref);
            }
        }
        if (held.isEmpty()) {
            space.deferred[block] = null;
            if (!space.erased[block]) {
                space.eraseBlock(block);
            }
        } else {
            space.deferred[block] = held;
        }
    }
}
