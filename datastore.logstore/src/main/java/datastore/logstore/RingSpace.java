package datastore.logstore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import datastore.DatastoreException;
import datastore.flash.FlashRegion;

/**
 * The ring's records and free space: where the head is, which free blocks are erased, which blocks
 * views still hold, and the programming of records, pads, tail records and superseded markers. A
 * record always leaves room for a pad after it, so the head can skip the ring's end and blocks held by
 * views. Touched only by the group leader, or during mount.
 */
final class RingSpace {
    private static final int PLACE = 0;
    private static final int PAD = 1;
    private static final int FULL = 2;

    private final FlashRegion region;
    private final RingLayout layout;
    ByteBuffer map;
    /** The records from tail to head; replaced at mount by one sized for what the walk found. */
    ArrayDeque<RecordRef> ring = new ArrayDeque<>();
    /** Records the tail has passed whose blocks are not all released yet. */
    final ArrayDeque<RecordRef> passed = new ArrayDeque<>();
    long head;
    /** Blocks before this virtual position are released (erased, or waiting for their views). */
    long released;
    /** Per block: erased as far as the engine knows; meaningful only where {@link #checked} is set. */
    private final boolean[] erased;
    /** Per block: whether {@link #erased} was established (by a check, a program or an erase). */
    private final boolean[] checked;
    final List<RecordRef>[] deferred;
    final long[] eraseCounts;
    /** The next revision to hand out. */
    long nextSeq = 1;
    boolean unsynced;
    /** Old versions whose superseding write is durable, waiting for their markers to be programmed. */
    final List<Mark> pendingMarks = new ArrayList<>();
    /** Set when the flash failed: the engine refuses writes until it is mounted again. */
    volatile DatastoreException failed;
    private long padTo;

    /** An entry whose superseded marker is to be cleared. */
    record Mark(RecordRef ref, int slot) {
    }

    @SuppressWarnings("unchecked")
    RingSpace(RingLayout layout) {
        this.layout = layout;
        this.region = layout.region;
        this.erased = new boolean[layout.blocks];
        this.checked = new boolean[layout.blocks];
        this.deferred = new List[layout.blocks];
        this.eraseCounts = new long[layout.blocks];
    }

    long tail() {
        return ring.isEmpty() ? head : ring.peekFirst().start;
    }

    /** What to do at {@code v} to place {@code length} bytes: place there, pad to {@link #padTo}, or give up. */
    private int step(long v, long length) {
        long limit = released + layout.ringSize;
        long ringEnd = layout.ringEndAfter(v);
        long cap = Math.min(limit, ringEnd);
        long end = Math.floorMod(v, layout.blockSize) == 0 ? v : layout.blockStart(v) + layout.blockSize;
        long wanted = v + length + layout.padSize;
        while (end < cap && end < wanted && usable(layout.blockAt(end))) {
            end += layout.blockSize;
        }
        end = Math.min(end, cap);
        // Always leave room for a pad after a record, so the head can skip whatever follows it.
        if (v + length + layout.padSize <= end) {
            return PLACE;
        }
        if (end >= limit) {
            return FULL;
        }
        // Skip to the ring's end and over blocks held by views, which may lie on either side of it: a
        // pad has no body, so it may cross the end.
        long over = end;
        while (over < limit && !usable(layout.blockAt(over))) {
            over += layout.blockSize;
        }
        if (over >= limit) {
            return FULL;
        }
        padTo = over;
        return PAD;
    }

    /** Whether a free block can be written: not held by a view. */
    boolean usable(int block) {
        List<RecordRef> refs = deferred[block];
        if (refs == null) {
            return true;
        }
        for (RecordRef ref : refs) {
            if (ref.pinCount() > 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether records of these lengths can be placed one after the other from the head now. */
    boolean fits(long... lengths) {
        long v = head;
        for (long size : lengths) {
            if (size == 0) {
                continue;
            }
            while (true) {
                int step = step(v, size);
                if (step == FULL) {
                    return false;
                }
                if (step == PAD) {
                    v = padTo;
                    continue;
                }
                v += size;
                break;
            }
        }
        return true;
    }

    /**
     * Returns the head once a record of {@code length} can be written there: writes pad records over
     * the ring's end or over blocks held by views, and erases the blocks the record (and the room a
     * later pad needs after it) will use.
     */
    long place(long length) throws IOException {
        while (true) {
            int step = step(head, length);
            if (step == FULL) {
                throw new IllegalStateException("no room for a record of " + length + " bytes in the runtime ring");
            }
            if (step == PAD) {
                long to = padTo;
                if (!prepare(to, layout.padSize)) {
                    continue; // a view took the block after the pad meanwhile
                }
                if (!prepare(head, layout.padSize)) {
                    throw new IllegalStateException("no room for a pad record at ring offset " + layout.ringOffset(head));
                }
                program(head, HeaderCodec.pad(layout.lap16(head), nextSeq, to - head, layout.programSize, layout.identity));
                ring.addLast(new RecordRef(head, to, LogFormat.KIND_PAD, 0));
                head = to;
                continue;
            }
            long room = Math.min(length + layout.padSize, layout.ringEndAfter(head) - head);
            if (prepare(head, room)) {
                return head;
            }
        }
    }

    /** Seals and erases the free blocks of [v, v + length); false if a view still holds one. */
    private boolean prepare(long v, long length) throws IOException {
        long from = Math.floorMod(v, layout.blockSize) == 0 ? v : layout.blockStart(v) + layout.blockSize;
        for (long b = from; b < v + length; b += layout.blockSize) {
            int block = layout.blockAt(b);
            List<RecordRef> refs = deferred[block];
            if (refs != null) {
                for (RecordRef ref : refs) {
                    if (!ref.seal()) {
                        return false;
                    }
                }
                deferred[block] = null;
            }
            if (!erased(block)) {
                eraseBlock(block);
            }
        }
        return true;
    }

    /**
     * Programs a record at {@code at} (placed by {@link #place}) and appends it to the ring: all of
     * {@code bytes} but the {@code markersLength} bytes of markers from {@code markersAt}, which stay
     * erased until a newer write supersedes an entry (none for a clear).
     */
    RecordRef append(long at, byte[] bytes, int markersAt, int markersLength, int kind, long pass) throws IOException {
        programAround(at, bytes, markersAt, markersLength);
        RecordRef last = ring.peekLast();
        if (last != null && last.isRun()) {
            // The run at the head stops growing here.
            last.trim();
        }
        RecordRef ref = new RecordRef(at, at + bytes.length, kind, pass);
        if (markersLength > 0) {
            ref.markersLead();
        }
        ring.addLast(ref);
        head = at + bytes.length;
        return ref;
    }

    /**
     * Programs a single record of revision {@code revision} (format 4, its markers from
     * {@code markersAt} left erased), written by a write (pass 0) or by collection pass {@code pass}, at
     * {@code at} (placed by {@link #place}) as the next slot of the record at the ring's head, when it
     * may join it as a run ({@link RecordRef#canTake}, the mount's rule): returns that record, its new
     * slot the last, or null (nothing programmed) for {@link #append} to take it. So keys written one
     * by one cost the index a slot each, not an object.
     */
    RecordRef appendToRun(long at, byte[] bytes, int markersAt, int markersLength, long revision, long pass)
            throws IOException {
        RecordRef last = ring.peekLast();
        if (!layout.runs || last == null || markersLength == 0
                || !last.canTake(layout, at, bytes.length, revision, pass)) {
            return null;
        }
        programAround(at, bytes, markersAt, markersLength);
        last.grow(bytes.length);
        head = at + bytes.length;
        return last;
    }

    /** Programs {@code bytes} at {@code at} but the {@code skipLength} bytes from {@code skipAt}, which stay erased. */
    private void programAround(long at, byte[] bytes, int skipAt, int skipLength) throws IOException {
        if (skipLength == 0) {
            program(at, bytes, 0, bytes.length);
            return;
        }
        program(at, bytes, 0, skipAt);
        program(at, bytes, skipAt + skipLength, bytes.length);
    }

    /**
     * Repeats the anchor's tail and revision floor as a record at the head, so a scan finds the tail
     * when the anchor is lost. Skipped (the anchor still holds it) when the ring has no room for it.
     */
    void writeTail() throws IOException {
        if (!fits(layout.padSize)) {
            return;
        }
        long at = place(layout.padSize);
        program(at, HeaderCodec.tail(layout.lap16(at), tail(), nextSeq, layout.programSize, layout.identity));
        ring.addLast(new RecordRef(at, at + layout.padSize, LogFormat.KIND_TAIL, 0));
        head = at + layout.padSize;
    }

    /**
     * Clears the superseded bit of every version a durable newer write replaced (called only after
     * the sync that made those writes durable, so a marker is never premature; a marker lost to a
     * power cut only narrows what a later mount can report). The bits of one record's markers (or of
     * one single record's in a run) are programmed at once; NOR programming only clears bits, so
     * earlier marks stay.
     */
    void programMarks() throws IOException {
        if (pendingMarks.isEmpty() || failed != null) {
            pendingMarks.clear();
            return;
        }
        // By the region offset of the markers a bit lies in: a record's, or a run's slot's own.
        Map<Integer, byte[]> byMarkers = new TreeMap<>();
        for (Mark mark : pendingMarks) {
            RecordRef ref = mark.ref();
            int at = ref.markerAt(layout, mark.slot());
            if (at < 0 || ref.sealed()) {
                continue;
            }
            byte[] bits = byMarkers.computeIfAbsent(at, a -> {
                byte[] b = new byte[ref.markerBytes(layout.programSize)];
                Arrays.fill(b, (byte) 0xFF);
                return b;
            });
            int bit = ref.markerBit(mark.slot());
            bits[bit >> 3] &= (byte) ~(1 << (bit & 7));
        }
        pendingMarks.clear();
        for (Map.Entry<Integer, byte[]> e : byMarkers.entrySet()) {
            region.program(e.getKey(), ByteBuffer.wrap(e.getValue()));
            unsynced = true;
        }
    }

    /** Programs bytes block by block, as a NOR chip takes them. */
    private void program(long at, byte[] bytes) throws IOException {
        program(at, bytes, 0, bytes.length);
    }

    /** Programs {@code bytes[from, to)} at {@code at + from}, block by block. */
    private void program(long at, byte[] bytes, int from, int to) throws IOException {
        long p = layout.phys(at);
        int offset = from;
        while (offset < to) {
            long here = p + offset;
            int n = (int) Math.min(to - offset, layout.blockSize - here % layout.blockSize);
            int block = (int) (here / layout.blockSize);
            erased[block] = false;
            checked[block] = true;
            region.program(here, ByteBuffer.wrap(bytes, offset, n));
            unsynced = true;
            offset += n;
        }
    }

    void syncNow() throws IOException {
        region.sync();
        unsynced = false;
    }

    void eraseBlock(int block) throws IOException {
        region.erase(block);
        unsynced = true;
        eraseCounts[block]++;
        erased[block] = true;
        checked[block] = true;
    }

    /**
     * Whether a block is erased, checking its bytes the first time: the free area's blocks are checked
     * when first needed rather than all at mount, which keeps the mount from reading the free area.
     */
    boolean erased(int block) {
        if (!checked[block]) {
            erased[block] = isErased((long) block * layout.blockSize, layout.blockSize);
            checked[block] = true;
        }
        return erased[block];
    }

    boolean isErased(long at, int length) {
        return Erased.firstNotErased(map, (int) at, (int) at + length) == (int) at + length;
    }

    /** Ring blocks views still hold. */
    int heldBlocks() {
        int held = 0;
        for (int b = RingLayout.ANCHOR_BLOCKS; b < deferred.length; b++) {
            if (!usable(b)) {
                held++;
            }
        }
        return held;
    }

    /** Open views on records overlapping a region block, for tests; call while no write runs. */
    int pins(int block) {
        int pins = 0;
        Set<RecordRef> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<RecordRef> all = new ArrayList<>(ring);
        all.addAll(passed);
        for (List<RecordRef> refs : deferred) {
            if (refs != null) {
                all.addAll(refs);
            }
        }
        for (RecordRef ref : all) {
            if (seen.add(ref) && ref.pinCount() > 0 && layout.blockAt(ref.start) <= block
                    && block <= layout.blockAt(ref.end() - 1)) {
                pins += ref.pinCount();
            }
        }
        return pins;
    }

    /** For tests: region offset, extent and entry count of every object the ring keeps (a run counts once). */
    List<long[]> ringObjects() {
        List<long[]> objects = new ArrayList<>();
        for (RecordRef r : ring) {
            objects.add(new long[] {layout.phys(r.start), r.end() - r.start, r.count()});
        }
        return objects;
    }

    /** For tests: region offset, extent and kind of every record in the ring, oldest first. */
    List<long[]> recordExtents() {
        List<long[]> extents = new ArrayList<>();
        for (RecordRef r : ring) {
            // A run shows as the single records it stands for.
            for (int slot = 0; slot < (r.isRun() ? r.count() : 1); slot++) {
                extents.add(new long[] {r.recordAt(layout, slot), r.recordExtent(layout, slot), r.kind()});
            }
        }
        return extents;
    }
}
