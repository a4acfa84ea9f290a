package datastore.runtime;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.zip.CRC32C;

import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.InvalidNameException;
import datastore.Limits;
import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.Partitions;
import datastore.ValueTooLargeException;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * The runtime partition's log-structured engine over one flash region (format in {@link LogFormat}).
 *
 * <p>The region is a ring: every {@link #apply(List)} appends one record at the head, so a batch is
 * committed wholly or not at all, and records lie back to back across erase blocks, so every value,
 * whatever its size, is one contiguous range of the region and is served as a read-only slice of
 * {@link FlashRegion#map()}. Garbage collection works at the tail: it copies the live entries of the
 * oldest records to the head (keeping their revisions), writes the new tail to the anchor blocks and
 * erases the blocks behind it, so free space is always one run and every ring block wears alike.
 * Concurrent writers share one {@link FlashRegion#sync()} per group (the first waiting thread leads
 * and writes everyone's records), and a group's changes reach the index inside one seqlock window, so
 * a reader sees a batch wholly or not at all. Readers look up without locks and pin the record under
 * a value while a view is open: the collector copies a pinned record's live entries like any other
 * but leaves its blocks unerased, and the head skips them with a pad record until they are released.
 *
 * <p>Mounting reads the anchor (refusing a region whose recorded geometry or identity differs, foreign
 * bytes and unknown formats before writing anything: {@link RefusedRegionException}), parses the ring
 * from the tail (a later tail record replaces a lost anchor; damaged headers are repaired or skipped
 * to the next real record), checks every value's CRC, rebuilds the index from revisions (copies left
 * by an interrupted collection share a revision; the later wins), reports instead of serving a
 * version whose superseded marker is set but whose successor is unreadable, discards records whose
 * commit word is missing, and records damage in {@link #problems()} instead of failing. A value
 * written after mount is checked by its first open and the result is kept: the
 * record cannot change on flash until its blocks are erased, which an open view prevents.
 *
 * <p>The space a region needs is checked at construction ({@link #requiredBlocks}).
 */
final class LogStore {
    static final String PARTITION = Partitions.RUNTIME;
    static final int ANCHOR_BLOCKS = 2;
    /** A collection pass moves the tail by at least this fraction of the ring. */
    static final int PASSES_PER_LAP = 16;
    /** The most writes one sync covers, so a stream of writers cannot keep a leader from returning. */
    static final int MAX_GROUP = 256;

    private static final System.Logger LOG = System.getLogger(LogStore.class.getName());
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();
    private static final EntryLoc[] NO_ENTRIES = new EntryLoc[0];

    /** A record in the ring: its virtual extent, its entries and the views pinning it. */
    static final class RecordRef {
        final long start;
        final long end;
        final int kind;
        /** The collection that wrote it, or 0. */
        final long pass;
        /** Open views; -1 once sealed for erasing, after which it can never be pinned again. */
        final AtomicInteger pins = new AtomicInteger();
        EntryLoc[] entries = NO_ENTRIES;
        /** Region offset of the record's superseded markers (one bit per entry, cleared when superseded); -1: none. */
        long markerAt = -1;

        RecordRef(long start, long end, int kind, long pass) {
            this.start = start;
            this.end = end;
            this.kind = kind;
            this.pass = pass;
        }
    }

    record Key(Namespace namespace, String name) {
    }

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

    private final FlashRegion region;
    private final int blockSize;
    private final int programSize;
    private final int padSize;
    private final long ringStart;
    private final long ringSize;
    private final long capacity;
    private final int maxEntries;
    private final int maxRecord;
    private final long viewWaitMillis;
    private final int anchorStride;
    private final int anchorSlots;
    private final int legacyAnchorStride;
    /** What every record's header CRC covers first: partition id, version, geometry (see LogFormat#identity). */
    private final byte[] identity;
    /** Records of format 2 may lie before this virtual position (a migrated log); 0 when none. */
    private long legacyEnd;
    /** The anchor must be (re)written before the next record: a fresh, migrated or anchorless region. */
    private boolean anchorPending;
    /** Where legacy records are accepted during the current scan. */
    private long scanLegacyEnd;
    /** Old versions whose superseding write is durable, waiting for their markers to be programmed. */
    private final List<EntryLoc> pendingMarks = new ArrayList<>();
    /** Names whose newest readable version was superseded by a write no longer readable: reads report them. */
    private final ConcurrentHashMap<Key, Long> lostNewer = new ConcurrentHashMap<>();
    private ByteBuffer map;

    // Reader side.
    private final Map<Namespace, ConcurrentHashMap<String, EntryLoc>> live = new EnumMap<>(Namespace.class);
    /** Odd while the writer publishes a group; readers retry a lookup that saw it change. */
    private volatile long version;
    private final ReentrantLock publishLock = new ReentrantLock();
    /** Damaged names that matched no known name: (namespace code, name CRC) to revision. */
    private final ConcurrentHashMap<Long, Long> damagedNames = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private volatile long usedPublished;
    /**
     * Every name in {@link #live} is in it, from before the name becomes visible: replaced (never
     * emptied in place) only inside a publication window, so {@link #mayContain} never says no to a
     * name a read would find.
     */
    private volatile PresenceFilter presence = new PresenceFilter(0);

    // Writer state, touched only by the group leader (or during mount).
    private final HashMap<Key, EntryLoc> keys = new HashMap<>();
    private long used;
    private int entryCount;
    private long nextSeq = 1;
    private final ArrayDeque<RecordRef> ring = new ArrayDeque<>();
    /** Records the tail has passed whose blocks are not all released yet. */
    private final ArrayDeque<RecordRef> passed = new ArrayDeque<>();
    /** Copies made by the collector whose originals readers may hold in the index: (original, copy). */
    private final List<EntryLoc[]> pendingPublish = new ArrayList<>();
    /** Names the current group changed that readers do not see yet. */
    private Set<Key> groupTouched = new LinkedHashSet<>();
    private boolean groupCleared;
    /** Entries whose damaged name matched no known name, with their damagedNames key. */
    private final Map<EntryLoc, Long> orphans = new java.util.IdentityHashMap<>();
    private long head;
    /** Blocks before this virtual position are released (erased, or waiting for their views). */
    private long released;
    private final boolean[] erased;
    private final List<RecordRef>[] deferred;
    private final long[] eraseCounts;
    private long anchorSeq = 1;
    private int anchorBlock;
    private int anchorSlot;
    private boolean unsynced;
    private long passes;
    private volatile DatastoreException failed;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition groupDone = lock.newCondition();
    private final ArrayDeque<Batch> queue = new ArrayDeque<>();
    private boolean leading;
    private final Object pinMonitor = new Object();
    private volatile int pinWaiters;

    /**
     * Creates an engine over {@code region}; call {@link #mount()} before use.
     *
     * @throws IllegalArgumentException if the region is too small for the capacity and entry limit,
     *         naming the numbers
     */
    @SuppressWarnings("unchecked")
    LogStore(FlashRegion region, long capacity, int maxEntries, long viewWaitMillis) {
        this.region = region;
        FlashGeometry geometry = region.geometry();
        this.blockSize = geometry.eraseBlockSize();
        this.programSize = geometry.programSize();
        this.padSize = LogFormat.padSize(programSize);
        this.capacity = capacity;
        this.maxEntries = maxEntries;
        this.viewWaitMillis = viewWaitMillis;
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " is negative");
        }
        if (maxEntries < 1 || maxEntries > LogFormat.MAX_ENTRIES_PER_RECORD) {
            throw new IllegalArgumentException("entry limit " + maxEntries + " is outside 1.." + LogFormat.MAX_ENTRIES_PER_RECORD);
        }
        if (Integer.bitCount(blockSize) != 1 || Integer.bitCount(programSize) != 1) {
            throw new IllegalArgumentException("the runtime log needs power-of-two erase blocks and program units, not "
                    + blockSize + " and " + programSize);
        }
        if (blockSize < 8 * padSize || blockSize < 2 * LogFormat.ANCHOR * 2) {
            throw new IllegalArgumentException("erase block of " + blockSize + " bytes is too small for the runtime log");
        }
        long required = requiredBlocks(capacity, maxEntries, geometry);
        if (geometry.blocks() < required) {
            throw new IllegalArgumentException("runtime region \"" + region.name() + "\" of " + geometry.size() + " bytes ("
                    + geometry.blocks() + " blocks of " + blockSize + ") is too small for a capacity of " + capacity
                    + " payload bytes and " + maxEntries + " entries: it needs at least " + required + " blocks ("
                    + required * blockSize + " bytes)");
        }
        this.maxRecord = maxRecord(capacity, maxEntries, programSize);
        this.ringStart = (long) ANCHOR_BLOCKS * blockSize;
        this.ringSize = geometry.size() - ringStart;
        this.anchorStride = LogFormat.anchorStride(blockSize, programSize, LogFormat.ANCHOR);
        this.legacyAnchorStride = LogFormat.anchorStride(blockSize, programSize, LogFormat.LEGACY_ANCHOR);
        this.identity = LogFormat.identity(region.deviceOffset(), geometry.size(), blockSize, programSize);
        this.anchorSlots = blockSize / anchorStride;
        this.erased = new boolean[geometry.blocks()];
        this.deferred = new List[geometry.blocks()];
        this.eraseCounts = new long[geometry.blocks()];
        for (Namespace namespace : Namespace.values()) {
            live.put(namespace, new ConcurrentHashMap<>());
        }
    }

    /**
     * The longest record one write may produce: every entry of the limit in one batch carrying the
     * whole capacity. The collector's copies of a record are never longer than the record.
     */
    static int maxRecord(long capacity, int maxEntries, int programSize) {
        long length = LogFormat.batchLength(maxEntries, 1, 0, capacity) + LogFormat.markerSize(maxEntries, programSize);
        if (length > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("a capacity of " + capacity + " bytes in " + maxEntries
                    + " entries is more than one region can hold");
        }
        return LogFormat.align(length, programSize);
    }

    /**
     * The blocks a region needs so that {@code capacity} payload bytes in up to {@code maxEntries}
     * entries always fit, whatever the history of writes. The ring must hold: the live entries as the
     * collector leaves them (every entry in a record of its own at worst: capacity plus 72 bytes,
     * program-size padding and one program unit of superseded markers per entry, or a pair of copies
     * sharing a record); the largest write (one
     * batch replacing everything, {@link #maxRecord}); room for the collector to copy the largest
     * record; and, once per lap, the end of the ring a record did not fit into (at most another
     * largest record) - together three largest records; plus the partly used blocks at head and tail
     * and their pads. Two more blocks hold the anchor.
     */
    static long requiredBlocks(long capacity, int maxEntries, FlashGeometry geometry) {
        int program = geometry.programSize();
        long block = geometry.eraseBlockSize();
        long single = LogFormat.singleLength(0, 0) + program - 1 + LogFormat.markerSize(1, program);
        long pair = (LogFormat.batchLength(2, 2, 0, 0) + program - 1 + LogFormat.markerSize(2, program) + 1) / 2;
        long perEntry = Math.max(single, pair);
        long live = capacity + (long) maxEntries * perEntry;
        long record = maxRecord(capacity, maxEntries, program);
        long ring = live + 3 * record + 4 * block + 4L * LogFormat.padSize(program);
        return ANCHOR_BLOCKS + (ring + block - 1) / block;
    }

    // ------------------------------------------------------------------------------------------
    // Positions: virtual positions count bytes over all laps of the ring.

    private long phys(long v) {
        return ringStart + Math.floorMod(v, ringSize);
    }

    private long lapOf(long v) {
        return Math.floorDiv(v, ringSize);
    }

    private long ringEndAfter(long v) {
        return (lapOf(v) + 1) * ringSize;
    }

    private long blockStart(long v) {
        return v - Math.floorMod(v, blockSize);
    }

    private int blockAt(long v) {
        return (int) (phys(v) / blockSize);
    }

    private long tail() {
        return ring.isEmpty() ? head : ring.peekFirst().start;
    }

    // ------------------------------------------------------------------------------------------
    // Mount

    /** A record found by the mount scan. */
    private static final class Scanned {
        long pos;
        LogFormat.Header header;
        RecordRef ref;
        LogFormat.DirEntry[] dir;
        long[] revisions;
        boolean dirCopyDamaged;
        boolean trailerCopyDamaged;
        boolean complete;
    }

    /**
     * Reads the anchor, scans the ring and rebuilds the index. Damage never fails the mount; it is
     * recorded in {@link #problems()}.
     *
     * @throws IOException if the region cannot be read
     */
    void mount() throws IOException, RefusedRegionException {
        map = region.map();
        for (int b = 0; b < eraseCounts.length; b++) {
            eraseCounts[b] = region.eraseCount(b);
        }
        // Nothing is written until the region is known to be this partition's (or erased).
        LogFormat.Anchor anchor = readAnchor();
        long tail;
        long maxSeq;
        boolean fresh = false;
        boolean migrate;
        if (anchor != null) {
            tail = anchor.tail();
            maxSeq = Math.max(1, anchor.seqFloor());
            legacyEnd = anchor.legacyEnd();
            migrate = anchor.version() < LogFormat.VERSION;
        } else {
            refuseBlockFormat();
            long[] found = findTail();
            if (found == null) {
                if (!isErased(0, (int) region.geometry().size())) {
                    throw new RefusedRegionException(foreign());
                }
                fresh = true;
                tail = 0;
                maxSeq = 1;
            } else {
                tail = found[0];
                maxSeq = Math.max(1, found[1]);
                if (!isErased(0, 2 * blockSize)) {
                    problems.add("no readable anchor; the ring's tail was found by scanning the ring");
                }
            }
            legacyEnd = Long.MAX_VALUE;
            migrate = true;
        }
        Walk walk;
        while (true) {
            walk = walk(tail);
            if (walk.newerTail <= tail) {
                break;
            }
            tail = walk.newerTail;
        }
        problems.addAll(walk.problems);
        maxSeq = Math.max(maxSeq, walk.maxSeq);
        long limit = blockStart(tail) + ringSize;
        released = blockStart(tail);
        List<Scanned> scanned = walk.scanned;
        long pos = walk.end;
        if (!walk.sawLegacy) {
            legacyEnd = 0;
        }
        nextSeq = maxSeq;
        head = placeHead(Math.min(pos, limit), limit);
        for (Scanned s : scanned) {
            ring.addLast(s.ref);
        }
        markFreeBlocks();
        buildIndex(scanned);
        publishAll();
        if (migrate) {
            // Record the geometry and identity (a format-2 log keeps its records; new ones are format 3).
            if (legacyEnd != 0) {
                legacyEnd = head;
                LOG.log(System.Logger.Level.INFO, "runtime partition: format " + LogFormat.LEGACY_VERSION
                        + " log on region " + region.name() + " is read and migrates to format " + LogFormat.VERSION
                        + " with the first write: its records stay readable; new records and the anchor record "
                        + describe());
            }
            if (fresh) {
                anchorBlock = 0;
                anchorSlot = 0;
            }
            // Written with the first write's records and synced with them: mounting never writes.
            anchorPending = true;
        }
    }

    /** What one walk of the ring from a tail found. */
    private static final class Walk {
        final List<Scanned> scanned = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        long end;
        long maxSeq = 1;
        /** A tail record naming a later tail than the walk started from (the newest anchor was lost). */
        long newerTail = -1;
        boolean sawLegacy;
    }

    /** Parses the ring from {@code tail} to the head, resyncing over damage; stops at a later tail record. */
    private Walk walk(long tail) {
        Walk w = new Walk();
        long limit = blockStart(tail) + ringSize;
        long pos = tail;
        scanLegacyEnd = legacyEnd;
        while (pos + 2 * LogFormat.HEADER <= limit) {
            LogFormat.Header header = headerAt(pos, limit);
            if (header == null) {
                header = repairedHeaderAt(pos, limit);
                if (header != null) {
                    w.problems.add("record at ring offset " + (phys(pos) - ringStart) + " (revision " + header.seq()
                            + "): both copies of its header are damaged; repaired from them");
                }
            }
            if (header == null) {
                long resync = resync(pos + programSize, limit);
                if (resync < 0) {
                    break;
                }
                w.problems.add("ring offset " + (phys(pos) - ringStart) + ": " + (resync - pos)
                        + " unreadable bytes skipped");
                pos = resync;
                continue;
            }
            w.sawLegacy |= header.legacy();
            if (header.kind() == LogFormat.KIND_TAIL) {
                w.maxSeq = Math.max(w.maxSeq, header.floor());
                if (header.seq() > tail && header.seq() <= pos) {
                    w.newerTail = header.seq();
                    return w;
                }
            }
            Scanned s = scan(pos, header);
            w.scanned.add(s);
            if (header.kind() != LogFormat.KIND_PAD && header.kind() != LogFormat.KIND_TAIL) {
                long top = s.revisions == null ? header.seq() + Math.max(1, header.count()) : header.seq() + 1;
                if (s.revisions != null) {
                    for (long revision : s.revisions) {
                        top = Math.max(top, revision + 1);
                    }
                }
                w.maxSeq = Math.max(w.maxSeq, top);
            }
            pos = s.ref.end;
        }
        w.end = pos;
        return w;
    }

    /**
     * Without an anchor: where the ring's tail is, found from the tail records in it (the newest one
     * names the tail the lost anchor held), else the start of the oldest lap any record of this region
     * carries; with the revision floor. {@code null} if the ring holds no record of this region at all.
     */
    private long[] findTail() {
        long tail = -1;
        long floor = 1;
        int minLap = -1;
        byte[] both = new byte[2 * LogFormat.HEADER];
        for (long q = ringStart; q + 2 * LogFormat.HEADER <= region.geometry().size(); q += programSize) {
            int p = (int) q;
            if ((map.getShort(p) & 0xFFFF) != LogFormat.RECORD_MAGIC
                    && (map.getShort(p + LogFormat.HEADER) & 0xFFFF) != LogFormat.RECORD_MAGIC) {
                continue;
            }
            map.get(p, both);
            LogFormat.Header h = LogFormat.parseHeader(both, identity, true);
            if (h == null) {
                continue;
            }
            if (h.kind() == LogFormat.KIND_TAIL) {
                long lap = lapOf(h.seq());
                for (long l = lap; l <= lap + 1; l++) {
                    long at = l * ringSize + (q - ringStart);
                    if ((l & 0xFFFF) == h.lap() && at >= h.seq() && at - h.seq() < ringSize) {
                        tail = Math.max(tail, h.seq());
                        floor = Math.max(floor, h.floor());
                    }
                }
            } else if (h.kind() != LogFormat.KIND_PAD) {
                minLap = minLap < 0 ? h.lap() : Math.min(minLap, h.lap());
            }
        }
        if (tail >= 0) {
            return new long[] {tail, floor};
        }
        return minLap < 0 ? null : new long[] {minLap * ringSize, floor};
    }

    /** Refuses a region written by the block-header format (version 1), naming it. */
    private void refuseBlockFormat() throws RefusedRegionException {
        for (int b = 0; b < erased.length; b++) {
            if (LogFormat.blockFormatHeader(map, b * blockSize)) {
                throw new RefusedRegionException("region \"" + region.name() + "\" holds the runtime partition's format "
                        + LogFormat.BLOCK_FORMAT_VERSION + " (the block-header log; block " + b
                        + " starts with its header), which this build does not read (it reads formats "
                        + LogFormat.LEGACY_VERSION + " and " + LogFormat.VERSION
                        + "); the region is left untouched (format it to use it)");
            }
        }
    }

    /** This region's geometry and identity, as refusals name it. */
    String describe() {
        return "partition \"" + LogFormat.PARTITION_ID + "\" format " + LogFormat.VERSION + " at device offset "
                + region.deviceOffset() + ", " + region.geometry().size() + " bytes, erase blocks of " + blockSize
                + ", program unit " + programSize;
    }

    /** Why a region that is neither erased nor this partition's log is refused, with what it holds. */
    private String foreign() {
        int used = 0;
        int first = -1;
        for (int b = 0; b < erased.length; b++) {
            if (!isErased((long) b * blockSize, blockSize)) {
                used++;
                if (first < 0) {
                    first = b;
                }
            }
        }
        int at = first * blockSize;
        while (map.get(at) == (byte) 0xFF) {
            at++;
        }
        StringBuilder hex = new StringBuilder();
        for (int i = at; i < Math.min(at + 16, map.capacity()); i++) {
            hex.append(String.format("%02x", map.get(i) & 0xFF));
        }
        String other = "";
        byte[] both = new byte[2 * LogFormat.ANCHOR];
        for (int q = 0; q + both.length <= map.capacity(); q += programSize) {
            if (map.getInt(q) == LogFormat.ANCHOR_MAGIC) {
                map.get(q, both);
                LogFormat.Anchor a = LogFormat.parseAnchor(both);
                if (a != null) {
                    other = "; at region offset " + q + " it holds a runtime anchor written for " + a.describe();
                    break;
                }
            }
        }
        return "region \"" + region.name() + "\" (" + describe() + ") is neither erased nor a runtime log of this "
                + "geometry: " + used + " of " + erased.length + " blocks hold other bytes, the first at region offset "
                + at + " (" + hex + ")" + other + "; it is left untouched (format it to use it)";
    }

    /** A region the partition must not mount or write: another geometry or identity, foreign bytes, an unknown format. */
    static final class RefusedRegionException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedRegionException(String reason) {
            super(reason);
        }
    }

    /** The header of a record of this lap at {@code pos} whose extent fits, or {@code null}. */
    private LogFormat.Header headerAt(long pos, long limit) {
        byte[] both = headerBytes(pos);
        return both == null ? null : placed(pos, LogFormat.parseHeader(both, identity, pos < scanLegacyEnd), limit);
    }

    private byte[] headerBytes(long pos) {
        if (pos + 2 * LogFormat.HEADER > ringEndAfter(pos)) {
            return null;
        }
        byte[] both = new byte[2 * LogFormat.HEADER];
        map.get((int) phys(pos), both);
        return both;
    }

    /** {@code header} if it belongs to this lap at {@code pos} and its extent fits, else {@code null}. */
    private LogFormat.Header placed(long pos, LogFormat.Header header, long limit) {
        if (header == null || header.lap() != (int) (lapOf(pos) & 0xFFFF)) {
            return null;
        }
        boolean pad = header.kind() == LogFormat.KIND_PAD;
        long extent = extent(header);
        if (extent % programSize != 0 || !pad && pos + extent > ringEndAfter(pos) || pos + extent > limit) {
            return null;
        }
        return header;
    }

    /** The bytes a record takes in the ring: its padded length and its markers, or what a pad skips. */
    private long extent(LogFormat.Header header) {
        if (header.kind() == LogFormat.KIND_PAD) {
            return header.length();
        }
        if (header.kind() == LogFormat.KIND_TAIL) {
            return padSize;
        }
        return LogFormat.align(header.length(), programSize)
                + (header.legacy() ? 0 : LogFormat.markerSize(header.count(), programSize));
    }

    /** Records without a trailer: pads and tail records. */
    private static boolean headerOnly(LogFormat.Header header) {
        return header.kind() == LogFormat.KIND_PAD || header.kind() == LogFormat.KIND_TAIL;
    }

    /** Whether the record at {@code pos} has a commit word where its header says its trailer is. */
    private boolean committedAt(long pos, LogFormat.Header header) {
        byte[] trailer = new byte[LogFormat.TRAILER];
        map.get((int) (phys(pos) + header.length() - LogFormat.TRAILER), trailer);
        return LogFormat.committed(trailer, header.seq());
    }

    /**
     * The header at {@code pos} repaired from its two damaged copies, if a record is expected there
     * (the bytes are not erased) and the repair is confirmed by its lap, extent and commit word.
     */
    private LogFormat.Header repairedHeaderAt(long pos, long limit) {
        byte[] both = headerBytes(pos);
        if (both == null) {
            return null;
        }
        boolean erased = true;
        for (byte b : both) {
            erased &= b == (byte) 0xFF;
        }
        if (erased) {
            return null;
        }
        LogFormat.Header header = placed(pos, LogFormat.repairHeader(both, identity, pos < scanLegacyEnd), limit);
        if (header == null || !headerOnly(header) && !committedAt(pos, header)) {
            return null;
        }
        return header;
    }

    /**
     * The next position after {@code from} where a real record of the expected lap starts, or -1: how
     * the scan finds the records written after a torn header or a damaged one. A position counts only
     * if both header copies are valid and equal, or, with one valid copy, if the record's commit word
     * stands where that header puts its trailer: a lone second copy is otherwise indistinguishable
     * from the first copy of a record one header further on, and taking it would misplace every
     * record after it.
     */
    private long resync(long from, long limit) {
        byte[] both = new byte[2 * LogFormat.HEADER];
        for (long q = LogFormat.align(from, programSize); q + 2 * LogFormat.HEADER <= limit; q += programSize) {
            long ringEnd = ringEndAfter(q);
            if (q + 2 * LogFormat.HEADER > ringEnd) {
                q = ringEnd - programSize;
                continue;
            }
            int p = (int) phys(q);
            if ((map.getShort(p) & 0xFFFF) != LogFormat.RECORD_MAGIC
                    && (map.getShort(p + LogFormat.HEADER) & 0xFFFF) != LogFormat.RECORD_MAGIC) {
                continue;
            }
            map.get(p, both);
            boolean legacy = q < scanLegacyEnd;
            LogFormat.Header first = LogFormat.parseCopy(both, 0, identity, legacy);
            LogFormat.Header second = LogFormat.parseCopy(both, LogFormat.HEADER, identity, legacy);
            LogFormat.Header header = placed(q, first != null ? first : second, limit);
            if (header == null) {
                continue;
            }
            boolean twins = first != null && second != null
                    && java.util.Arrays.equals(both, 0, LogFormat.HEADER, both, LogFormat.HEADER, 2 * LogFormat.HEADER);
            if (twins || !headerOnly(header) && committedAt(q, header)) {
                return q;
            }
        }
        return -1;
    }

    /**
     * Where writing resumes after the scan ended at {@code pos}: there if the rest of its block is
     * erased (or the block holds nothing before it), else after the torn bytes, where the next scan's
     * resync will find what follows.
     */
    private long placeHead(long pos, long limit) {
        long start = blockStart(pos);
        if (pos == start || pos >= limit) {
            return pos;
        }
        long end = start + blockSize;
        long last = end;
        while (last > pos && map.get((int) phys(last - 1)) == (byte) 0xFF) {
            last--;
        }
        long head = Math.max(pos, LogFormat.align(last - start, programSize) + start);
        if (head >= end) {
            return end;
        }
        long ringEnd = ringEndAfter(head);
        if (ringEnd - head < padSize) {
            return ringEnd;
        }
        return head;
    }

    /** Marks which blocks of the free area are erased; the rest are erased before use. */
    private void markFreeBlocks() {
        long from = Math.floorMod(head, blockSize) == 0 ? head : blockStart(head) + blockSize;
        for (long v = from; v < released + ringSize; v += blockSize) {
            int b = blockAt(v);
            erased[b] = isErased((long) b * blockSize, blockSize);
        }
    }

    private boolean isErased(long at, int length) {
        int p = (int) at;
        int end = p + length;
        while (p + 8 <= end) {
            if (map.getLong(p) != -1L) {
                return false;
            }
            p += 8;
        }
        while (p < end) {
            if (map.get(p++) != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    private Scanned scan(long pos, LogFormat.Header header) {
        Scanned s = new Scanned();
        s.pos = pos;
        s.header = header;
        long extent = extent(header);
        s.ref = new RecordRef(pos, pos + extent, header.kind(), 0);
        if (headerOnly(header)) {
            return s;
        }
        if (!header.legacy() && header.count() > 0) {
            s.ref.markerAt = phys(pos) + LogFormat.align(header.length(), programSize);
        }
        byte[] trailer = new byte[LogFormat.TRAILER];
        map.get((int) (phys(pos) + header.length() - LogFormat.TRAILER), trailer);
        s.complete = LogFormat.committed(trailer, header.seq());
        s.trailerCopyDamaged = s.complete && !LogFormat.fullyCommitted(trailer, header.seq());
        switch (header.kind()) {
            case LogFormat.KIND_SINGLE:
                s.dir = new LogFormat.DirEntry[] {header.single()};
                s.revisions = new long[] {header.seq()};
                break;
            case LogFormat.KIND_BATCH: {
                byte[] meta = new byte[(int) LogFormat.metaSize(header.count(), header.runs())];
                map.get((int) phys(pos), meta);
                LogFormat.Directory directory = LogFormat.parseDirectory(meta, header);
                if (directory != null) {
                    long names = 0;
                    long values = 0;
                    for (LogFormat.DirEntry e : directory.entries()) {
                        names += e.nameLength();
                        values += e.valueLength() < 0 ? Integer.MAX_VALUE : e.valueLength();
                    }
                    if (LogFormat.batchLength(header.count(), header.runs(), names, values) == header.length()) {
                        s.dir = directory.entries();
                        s.revisions = directory.revisions();
                        s.dirCopyDamaged = directory.copyDamaged();
                    }
                }
                break;
            }
            default:
                break;
        }
        return s;
    }

    private void buildIndex(List<Scanned> scanned) {
        Map<Key, EntryLoc> best = new HashMap<>();
        Map<EntryLoc, Integer> damaged = new LinkedHashMap<>();
        Map<Key, Long> supersededUpTo = new HashMap<>();
        long clearSeq = 0;
        for (Scanned s : scanned) {
            LogFormat.Header h = s.header;
            if (headerOnly(h)) {
                continue;
            }
            if (h.kind() == LogFormat.KIND_CLEAR) {
                if (s.complete) {
                    clearSeq = Math.max(clearSeq, h.seq());
                }
                continue;
            }
            if (s.dir == null) {
                problems.add("record at ring offset " + (phys(s.pos) - ringStart) + " (revision " + h.seq() + ", "
                        + h.count() + " entries): both copies of its directory are damaged; skipped");
                continue;
            }
            if (!s.complete) {
                continue;
            }
            if (h.copyDamaged() || s.dirCopyDamaged || s.trailerCopyDamaged) {
                problems.add("record at ring offset " + (phys(s.pos) - ringStart) + " (revision " + h.seq()
                        + "): one copy of its " + (h.copyDamaged() ? "header" : s.dirCopyDamaged ? "directory" : "commit word")
                        + " is damaged; the other copy is used");
            }
            int count = s.dir.length;
            EntryLoc[] locs = new EntryLoc[count];
            byte[] markers = null;
            if (s.ref.markerAt >= 0) {
                markers = new byte[(count + 7) / 8];
                map.get((int) s.ref.markerAt, markers);
            }
            long nameAt = phys(s.pos) + h.namesAt();
            long valueAt = nameAt;
            for (LogFormat.DirEntry e : s.dir) {
                valueAt += e.nameLength();
            }
            for (int i = 0; i < count; i++) {
                LogFormat.DirEntry e = s.dir[i];
                Namespace namespace;
                try {
                    namespace = Namespace.ofCode(e.namespaceCode());
                } catch (IllegalArgumentException unknown) {
                    namespace = null;
                }
                byte[] name = new byte[e.nameLength()];
                map.get((int) nameAt, name);
                boolean nameOk = namespace != null && LogFormat.nameCrc(e.namespaceCode(), name) == e.nameCrc();
                boolean valueOk = e.removal() ? e.valueLength() == 0 : crc(valueAt, e.valueLength()) == e.valueCrc();
                EntryLoc loc = new EntryLoc(namespace == null ? Namespace.KV : namespace,
                        nameOk ? new String(name, StandardCharsets.UTF_8) : null, e.nameLength(), s.revisions[i],
                        e.format(), e.removal(), e.valueLength(), e.valueCrc(), valueAt, s.ref);
                loc.verified = valueOk;
                loc.damaged = !valueOk;
                loc.reported.set(true);
                loc.slot = i;
                boolean superseded = markers != null && (markers[i >> 3] & (1 << (i & 7))) == 0;
                if (superseded && nameOk) {
                    supersededUpTo.merge(loc.key, loc.revision, Math::max);
                }
                locs[i] = loc;
                if (nameOk) {
                    EntryLoc other = best.get(loc.key);
                    // Equal revisions are copies; the later one (the collector's) wins unless damaged.
                    if (other == null || loc.revision > other.revision
                            || loc.revision == other.revision && (!loc.damaged || other.damaged)) {
                        best.put(loc.key, loc);
                    }
                } else if (namespace != null) {
                    damaged.put(loc, e.nameCrc());
                } else {
                    problems.add("entry at revision " + loc.revision + " has an unknown namespace code "
                            + e.namespaceCode() + "; skipped");
                }
                nameAt += e.nameLength();
                valueAt += e.valueLength();
            }
            s.ref.entries = locs;
        }
        for (Scanned s : scanned) {
            if (s.dir != null && !s.complete && mattered(s, best)) {
                problems.add("incomplete record at ring offset " + (phys(s.pos) - ringStart) + " (revision "
                        + s.header.seq() + ", " + s.dir.length + " entries) discarded: a write interrupted by power loss");
            }
        }
        for (Map.Entry<EntryLoc, Integer> d : damaged.entrySet()) {
            EntryLoc loc = d.getKey();
            int nameCrc = d.getValue();
            if (loc.revision < clearSeq) {
                continue;
            }
            EntryLoc match = null;
            for (Map.Entry<Key, EntryLoc> candidate : best.entrySet()) {
                Key key = candidate.getKey();
                if (key.namespace() == loc.namespace && candidate.getValue().revision >= clearSeq
                        && LogFormat.nameCrc(key.namespace().code(), key.name()) == nameCrc) {
                    match = candidate.getValue();
                    break;
                }
            }
            if (match != null) {
                EntryLoc named = new EntryLoc(loc.namespace, match.name, loc.nameLength, loc.revision, loc.format,
                        loc.removal, loc.valueLength, loc.valueCrc, loc.valueOffset, loc.ref);
                named.verified = loc.verified;
                named.damaged = loc.damaged;
                named.reported.set(true);
                named.slot = loc.slot;
                EntryLoc[] entries = loc.ref.entries;
                for (int i = 0; i < entries.length; i++) {
                    if (entries[i] == loc) {
                        entries[i] = named;
                    }
                }
                if (named.revision > match.revision) {
                    best.put(named.key, named);
                }
                problems.add(named.namespace.id() + " entry \"" + named.name + "\" revision " + named.revision
                        + ": its stored name is damaged; identified by the name's checksum");
            } else {
                damagedNames.merge(damagedId(loc.namespace.code(), nameCrc), loc.revision, Math::max);
                orphans.put(loc, damagedId(loc.namespace.code(), nameCrc));
                problems.add(loc.namespace.id() + " entry at revision " + loc.revision
                        + " has a damaged name; reads of that name report it as corrupted");
            }
        }
        for (Map.Entry<Key, EntryLoc> e : best.entrySet()) {
            EntryLoc current = e.getValue();
            if (current.revision < clearSeq) {
                continue;
            }
            Long superseded = supersededUpTo.get(e.getKey());
            if (superseded != null && superseded >= current.revision) {
                // A newer write was durable (it marked this version) but is no longer readable: never serve the older one.
                current.superseded = true;
                problems.add(current.namespace.id() + " entry \"" + current.name + "\" revision " + current.revision
                        + " was superseded by a write that is no longer readable; reads report it as corrupted");
                if (current.removal) {
                    lostNewer.put(e.getKey(), current.revision);
                } else {
                    current.damaged = true;
                }
            }
            keys.put(e.getKey(), current);
            if (!current.removal) {
                used += current.payload();
                entryCount++;
                if (current.damaged) {
                    problems.add(current.namespace.id() + " entry \"" + current.name + "\" revision " + current.revision
                            + ": its value fails its checksum; reads report it as corrupted");
                }
                long id = damagedId(current.namespace.code(), LogFormat.nameCrc(current.namespace.code(), current.name));
                Long damagedRevision = damagedNames.get(id);
                if (damagedRevision != null && damagedRevision < current.revision) {
                    damagedNames.remove(id);
                }
            }
        }
        if (used > capacity) {
            problems.add("the partition holds " + used + " payload bytes, more than its configured capacity of " + capacity);
        }
        if (entryCount > maxEntries) {
            problems.add("the partition holds " + entryCount + " entries, more than its configured limit of " + maxEntries);
        }
    }

    /** Whether any entry of an incomplete record would have been the newest version of its name. */
    private boolean mattered(Scanned s, Map<Key, EntryLoc> best) {
        long at = phys(s.pos) + s.header.namesAt();
        for (int i = 0; i < s.dir.length; i++) {
            LogFormat.DirEntry e = s.dir[i];
            byte[] name = new byte[e.nameLength()];
            map.get((int) at, name);
            at += e.nameLength();
            if (LogFormat.nameCrc(e.namespaceCode(), name) != e.nameCrc()) {
                return true;
            }
            Namespace namespace;
            try {
                namespace = Namespace.ofCode(e.namespaceCode());
            } catch (IllegalArgumentException unknown) {
                return true;
            }
            EntryLoc newest = best.get(new Key(namespace, new String(name, StandardCharsets.UTF_8)));
            if (newest == null || newest.revision < s.revisions[i]) {
                return true;
            }
        }
        return false;
    }

    private int crc(long at, int length) {
        CRC32C crc = new CRC32C();
        crc.update(map.slice((int) at, length));
        return (int) crc.getValue();
    }

    private static long damagedId(int namespaceCode, int nameCrc) {
        return ((long) namespaceCode << 32) | (nameCrc & 0xFFFFFFFFL);
    }

    private void publishAll() {
        presence = rebuiltPresence();
        for (Map.Entry<Key, EntryLoc> e : keys.entrySet()) {
            if (!e.getValue().removal) {
                live.get(e.getKey().namespace()).put(e.getKey().name(), e.getValue());
            }
        }
        usedPublished = used;
    }

    /**
     * A presence filter of every name the writer's state holds, sized for twice as many, so that it
     * is rebuilt only after as many new names again; removed names are left out.
     */
    private PresenceFilter rebuiltPresence() {
        int names = 0;
        for (EntryLoc loc : keys.values()) {
            if (!loc.removal) {
                names++;
            }
        }
        PresenceFilter filter = new PresenceFilter(2 * names);
        for (Map.Entry<Key, EntryLoc> e : keys.entrySet()) {
            if (!e.getValue().removal) {
                filter.add(e.getKey().namespace(), e.getKey().name());
                filter.countAdded();
            }
        }
        return filter;
    }

    /** Erases the whole region and mounts it empty: the explicit act that replaces a refused region. */
    void format() throws IOException {
        map = region.map();
        for (int b = 0; b < erased.length; b++) {
            if (!isErased((long) b * blockSize, blockSize)) {
                region.erase(b);
            }
        }
        region.sync();
        try {
            mount();
        } catch (RefusedRegionException e) {
            throw new IllegalStateException("a freshly erased region was refused: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Anchor

    private LogFormat.Anchor readAnchor() throws RefusedRegionException {
        LogFormat.Anchor best = null;
        int bestBlock = 0;
        LogFormat.Anchor legacy = null;
        int legacyBlock = 0;
        byte[] both = new byte[2 * LogFormat.ANCHOR];
        byte[] old = new byte[2 * LogFormat.LEGACY_ANCHOR];
        for (int block = 0; block < ANCHOR_BLOCKS; block++) {
            for (int slot = 0; slot < anchorSlots; slot++) {
                map.get(block * blockSize + slot * anchorStride, both);
                int newer = LogFormat.newerVersion(both);
                if (newer != 0) {
                    throw new RefusedRegionException("region \"" + region.name() + "\" holds the runtime partition's format "
                            + newer + ", newer than this build's " + LogFormat.VERSION
                            + "; it is left untouched (use a build that reads it, or format the region)");
                }
                LogFormat.Anchor anchor = LogFormat.parseAnchor(both);
                if (anchor != null && (best == null || anchor.anchorSeq() > best.anchorSeq())) {
                    best = anchor;
                    bestBlock = block;
                }
            }
            for (int slot = 0; slot < blockSize / legacyAnchorStride; slot++) {
                map.get(block * blockSize + slot * legacyAnchorStride, old);
                LogFormat.Anchor anchor = LogFormat.parseLegacyAnchor(old);
                if (anchor != null && (legacy == null || anchor.anchorSeq() > legacy.anchorSeq())) {
                    legacy = anchor;
                    legacyBlock = block;
                }
            }
        }
        if (best != null) {
            if (!best.partition().equals(LogFormat.PARTITION_ID) || best.deviceOffset() != region.deviceOffset()
                    || best.regionSize() != region.geometry().size() || best.blockSize() != blockSize
                    || best.programSize() != programSize) {
                throw new RefusedRegionException("region \"" + region.name() + "\" is configured as " + describe()
                        + ", but its anchor was written for " + best.describe()
                        + " (a changed partition table?); it is left untouched (restore the table, or format the region)");
            }
        } else if (legacy != null) {
            // A format-2 log: the next anchor (the migration's) goes to a freshly erased block.
            if (legacy.copyDamaged()) {
                problems.add("one copy of the newest anchor is damaged; the other copy is used");
            }
            anchorBlock = legacyBlock;
            anchorSlot = anchorSlots;
            anchorSeq = legacy.anchorSeq() + 1;
            return legacy;
        }
        if (best == null) {
            if (isErased(0, blockSize) && isErased(blockSize, blockSize)) {
                anchorBlock = 0;
                anchorSlot = 0;
            } else {
                anchorBlock = 1;
                anchorSlot = anchorSlots;
            }
            return null;
        }
        if (best.copyDamaged()) {
            problems.add("one copy of the newest anchor is damaged; the other copy is used");
        }
        anchorBlock = bestBlock;
        anchorSlot = 0;
        for (int slot = anchorSlots - 1; slot >= 0; slot--) {
            if (!isErased((long) bestBlock * blockSize + (long) slot * anchorStride, anchorStride)) {
                anchorSlot = slot + 1;
                break;
            }
        }
        anchorSeq = best.anchorSeq() + 1;
        return best;
    }

    private void writeAnchor() throws IOException {
        if (anchorSlot >= anchorSlots) {
            int other = anchorBlock ^ 1;
            eraseBlock(other);
            anchorBlock = other;
            anchorSlot = 0;
        }
        if (legacyEnd != 0 && tail() >= legacyEnd) {
            legacyEnd = 0;
        }
        byte[] entry = LogFormat.anchor(anchorSeq++, tail(), nextSeq, legacyEnd, region.deviceOffset(),
                region.geometry().size(), blockSize, programSize);
        region.program((long) anchorBlock * blockSize + (long) anchorSlot * anchorStride, ByteBuffer.wrap(entry));
        anchorSlot++;
        unsynced = true;
    }

    /**
     * Repeats the anchor's tail and revision floor as a record at the head, so a scan finds the tail
     * when the anchor is lost. Skipped (the anchor still holds it) when the ring has no room for it.
     */
    private void writeTail() throws IOException {
        if (!fits(padSize)) {
            return;
        }
        long at = place(padSize);
        program(at, LogFormat.tail((int) (lapOf(at) & 0xFFFF), tail(), nextSeq, programSize, identity));
        ring.addLast(new RecordRef(at, at + padSize, LogFormat.KIND_TAIL, 0));
        head = at + padSize;
    }

    // ------------------------------------------------------------------------------------------
    // Reads

    /** Damage found at mount and later, oldest first; unmodifiable snapshot. */
    List<String> problems() {
        return List.copyOf(problems);
    }

    /**
     * The index's entry for {@code name}, or null, as of one publication: read between two equal,
     * even values of {@code version} (an odd one means a change is being published).
     */
    private EntryLoc indexed(ConcurrentHashMap<String, EntryLoc> names, String name) {
        int spins = 0;
        while (true) {
            long seen = version;
            if ((seen & 1) == 0) {
                EntryLoc loc = names.get(name);
                if (version == seen) {
                    return loc;
                }
            }
            spins = backOff(spins);
        }
    }

    Optional<EntryView> open(Namespace namespace, String name) {
        ConcurrentHashMap<String, EntryLoc> names = live.get(namespace);
        int spins = 0;
        while (true) {
            EntryLoc loc = indexed(names, name);
            if (loc == null) {
                if (!lostNewer.isEmpty()) {
                    Long revision = lostNewer.get(new Key(namespace, name));
                    if (revision != null) {
                        throw new CorruptedEntryException(PARTITION, namespace, name, "its removal at revision " + revision
                                + " was superseded by a write that is no longer readable");
                    }
                }
                if (!damagedNames.isEmpty()) {
                    Long revision = damagedNames.get(damagedId(namespace.code(), LogFormat.nameCrc(namespace.code(), name)));
                    if (revision != null) {
                        throw new CorruptedEntryException(PARTITION, namespace, name,
                                "the record holding revision " + revision + " has a damaged name");
                    }
                }
                return Optional.empty();
            }
            if (loc.damaged) {
                throw new CorruptedEntryException(PARTITION, namespace, name, "revision " + loc.revision
                        + (loc.superseded ? " was superseded by a write that is no longer readable" : " fails its CRC32C"));
            }
            if (loc.valueLength == 0) {
                return Optional.of(new LogEntryView(loc, EMPTY, null));
            }
            RecordRef ref = loc.ref;
            if (!pin(ref)) {
                // Collected meanwhile: the index already names the copy.
                spins = backOff(spins);
                continue;
            }
            ByteBuffer slice = map.slice((int) loc.valueOffset, loc.valueLength);
            if (!loc.verified) {
                CRC32C crc = new CRC32C();
                crc.update(slice.duplicate());
                if ((int) crc.getValue() != loc.valueCrc) {
                    unpin(ref);
                    damage(loc, "its value fails its checksum when first read after being written");
                    throw new CorruptedEntryException(PARTITION, namespace, name, "revision " + loc.revision
                            + " fails its CRC32C");
                }
                loc.verified = true;
            }
            return Optional.of(new LogEntryView(loc, slice, () -> unpin(ref)));
        }
    }

    /**
     * Decodes the entry's value straight from the mapped region, with no view and no pin: the decoder
     * runs on a slice of the record, and its result is kept only if the record was not sealed for
     * erasing meanwhile (every erase of a ring block seals all records on it first), so a value decoded
     * from bytes being erased is dropped and read again. A decoder's exception counts likewise: thrown
     * on from a record still sealed off from erasing, else read again. Misses with damage on record,
     * values not yet checked since written, damaged and empty values take {@link #open}'s path.
     */
    <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        Objects.requireNonNull(decoder, "decoder");
        ConcurrentHashMap<String, EntryLoc> names = live.get(namespace);
        int spins = 0;
        while (true) {
            EntryLoc loc = indexed(names, name);
            if (loc == null) {
                if (lostNewer.isEmpty() && damagedNames.isEmpty()) {
                    return Optional.empty();
                }
                break;
            }
            if (!loc.verified || loc.damaged || loc.valueLength == 0) {
                break;
            }
            RecordRef ref = loc.ref;
            if (ref.pins.get() < 0) {
                // Collected meanwhile: the index already names the copy.
                spins = backOff(spins);
                continue;
            }
            T value;
            try {
                value = decoder.apply(map.slice((int) loc.valueOffset, loc.valueLength));
            } catch (RuntimeException e) {
                VarHandle.acquireFence();
                if (ref.pins.get() < 0) {
                    spins = backOff(spins);
                    continue;
                }
                throw e;
            }
            VarHandle.acquireFence(); // every byte the decoder read is read before the seal is checked
            if (ref.pins.get() < 0) {
                spins = backOff(spins);
                continue;
            }
            return Optional.of(Objects.requireNonNull(value, "the decoder returned null"));
        }
        Optional<EntryView> view = open(namespace, name);
        if (view.isEmpty()) {
            return Optional.empty();
        }
        try (EntryView entry = view.get()) {
            return Optional.of(Objects.requireNonNull(decoder.apply(entry.data()), "the decoder returned null"));
        }
    }

    /**
     * Whether a read may find the entry: false only if, as of one publication during this call, the
     * index has no such name and no damage is on record that a read could report under it (a
     * removal superseded by a lost write, a record whose name is damaged).
     */
    boolean mayContain(Namespace namespace, String name) {
        int spins = 0;
        while (true) {
            long seen = version;
            if ((seen & 1) != 0) {
                spins = backOff(spins);
                continue;
            }
            boolean may = presence.mayContain(namespace, name);
            VarHandle.acquireFence(); // the test happens before the second read of the sequence
            if (version != seen) {
                spins = backOff(spins);
                continue;
            }
            // Damage on record is rare and named by what a filter cannot hold: let the read report it.
            return may || !lostNewer.isEmpty() || !damagedNames.isEmpty();
        }
    }

    private static int backOff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return spins + 1;
    }

    /** Marks a value damaged and reports it once in problems() and the log. */
    private void damage(EntryLoc loc, String detail) {
        loc.damaged = true;
        if (loc.reported.compareAndSet(false, true)) {
            String problem = loc.namespace.id() + " entry \"" + loc.name + "\" revision " + loc.revision + ": " + detail
                    + "; reads report it as corrupted";
            problems.add(problem);
            LOG.log(System.Logger.Level.WARNING, "runtime partition: {0}", problem);
        }
    }

    private static boolean pin(RecordRef ref) {
        while (true) {
            int pins = ref.pins.get();
            if (pins < 0) {
                return false;
            }
            if (ref.pins.compareAndSet(pins, pins + 1)) {
                return true;
            }
        }
    }

    private void unpin(RecordRef ref) {
        if (ref.pins.decrementAndGet() == 0 && pinWaiters > 0) {
            synchronized (pinMonitor) {
                pinMonitor.notifyAll();
            }
        }
    }

    private static boolean seal(RecordRef ref) {
        return ref.pins.compareAndSet(0, -1) || ref.pins.get() < 0;
    }

    /** Open views on records overlapping a region block, for tests; call while no write runs. */
    int pins(int block) {
        int pins = 0;
        Set<RecordRef> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<RecordRef> all = new ArrayList<>(ring);
        all.addAll(passed);
        for (List<RecordRef> refs : deferred) {
            if (refs != null) {
                all.addAll(refs);
            }
        }
        for (RecordRef ref : all) {
            if (seen.add(ref) && ref.pins.get() > 0 && blockAt(ref.start) <= block && block <= blockAt(ref.end - 1)) {
                pins += ref.pins.get();
            }
        }
        return pins;
    }

    List<String> names(Namespace namespace) {
        List<String> names;
        publishLock.lock();
        try {
            names = new ArrayList<>(live.get(namespace).keySet());
        } finally {
            publishLock.unlock();
        }
        Collections.sort(names);
        return Collections.unmodifiableList(names);
    }

    PartitionUsage usage() {
        Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
        publishLock.lock();
        try {
            for (Namespace namespace : Namespace.values()) {
                entries.put(namespace, live.get(namespace).size());
            }
            return new PartitionUsage(PARTITION, capacity, usedPublished, entries);
        } finally {
            publishLock.unlock();
        }
    }

    /** The publication counter: even and unchanged around a read means no group was published meanwhile; for tests. */
    long version() {
        return version;
    }

    long capacity() {
        return capacity;
    }

    int maxEntries() {
        return maxEntries;
    }

    /** For tests: region offset, extent and kind of every record in the ring, oldest first; call while no write runs. */
    List<long[]> recordExtents() {
        List<long[]> extents = new ArrayList<>();
        for (RecordRef r : ring) {
            extents.add(new long[] {phys(r.start), r.end - r.start, r.kind});
        }
        return extents;
    }

    /**
     * For tests: region offset and extent of the record holding the current version of a name
     * (a removal included), or null when the log holds none; call while no write runs.
     */
    long[] currentExtent(Namespace namespace, String name) {
        EntryLoc loc = keys.get(new Key(namespace, name));
        return loc == null ? null : new long[] {phys(loc.ref.start), loc.ref.end - loc.ref.start};
    }

    /** For tests: the region offset of the newest anchor slot, or -1 if none was written. */
    long newestAnchorAt() {
        return anchorSlot == 0 ? -1 : (long) anchorBlock * blockSize + (long) (anchorSlot - 1) * anchorStride;
    }

    /** For tests: the distance between anchor slots. */
    int anchorStride() {
        return anchorStride;
    }

    /** Erase counts per region block, for wear statistics; call while no write runs. */
    long[] eraseCounts() {
        return eraseCounts.clone();
    }

    // ------------------------------------------------------------------------------------------
    // Writes

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
        LinkedHashMap<Key, Change> last = new LinkedHashMap<>();
        for (Change change : changes) {
            if (change == null || change.namespace() == null) {
                throw new NullPointerException("a change or its namespace is null");
            }
            checkName(change.name());
            if (change.format() < 0 || change.format() > 255) {
                throw new IllegalArgumentException("format " + change.format() + " of \"" + change.name()
                        + "\" is outside 0..255");
            }
            if (!change.isRemoval() && change.data().remaining() > change.namespace().maxValueBytes()) {
                throw new ValueTooLargeException(change.namespace(), change.name(), change.data().remaining(),
                        change.namespace().maxValueBytes());
            }
            Key key = new Key(change.namespace(), change.name());
            last.remove(key);
            last.put(key, change.isRemoval() ? change
                    : Change.put(change.namespace(), change.name(), change.format(), change.data().duplicate()));
        }
        List<Change> unique = new ArrayList<>(last.values());
        byte[][] names = new byte[unique.size()][];
        int[] crcs = new int[unique.size()];
        for (int i = 0; i < unique.size(); i++) {
            names[i] = unique.get(i).name().getBytes(StandardCharsets.UTF_8);
            crcs[i] = LogFormat.valueCrc(unique.get(i).data());
        }
        return new Batch(unique, names, crcs, false);
    }

    static void checkName(String name) {
        if (name == null) {
            throw new InvalidNameException(null, "a name is required");
        }
        if (name.isEmpty()) {
            throw new InvalidNameException(name, "a name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= name.length() || !Character.isLowSurrogate(name.charAt(i + 1))) {
                    throw new InvalidNameException(name, "unpaired surrogate at index " + i);
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw new InvalidNameException(name, "unpaired surrogate at index " + i);
            } else if (Character.getType(c) == Character.CONTROL) {
                throw new InvalidNameException(name, "control character U+" + String.format("%04X", (int) c)
                        + " at index " + i);
            }
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Limits.MAX_NAME_BYTES) {
            throw new InvalidNameException(name, bytes + " UTF-8 bytes, more than the limit of " + Limits.MAX_NAME_BYTES);
        }
    }

    private void writeGroup(List<Batch> group) {
        resetGroup();
        try {
            if (anchorPending && failed == null) {
                writeAnchor();
                anchorPending = false;
            }
            for (int i = 0; i < group.size(); i++) {
                Batch batch = group.get(i);
                if (i == group.size() - 1) {
                    // Writers that queued while this group was being written share its sync.
                    takeQueued(group);
                }
                if (failed != null) {
                    batch.error = failed;
                    continue;
                }
                try {
                    if (batch.clear) {
                        writeClear();
                        resetGroup();
                        groupCleared = true;
                    } else {
                        writeBatch(batch, groupTouched);
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
                    batch.error = failed;
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
    private void flushGroup() throws IOException {
        if (unsynced) {
            syncNow();
        }
        programMarks();
        if (groupCleared || !groupTouched.isEmpty()) {
            publish(groupTouched, groupCleared);
        }
        resetGroup();
    }

    private void resetGroup() {
        // A new set rather than clear(): clearing costs the table's size, which a large batch grew.
        if (!groupTouched.isEmpty()) {
            groupTouched = new LinkedHashSet<>();
        }
        groupCleared = false;
    }

    /** Makes changes visible to readers at once. */
    private void publish(Set<Key> touched, boolean cleared) {
        publishLock.lock();
        try {
            version++;
            if (cleared) {
                // The names left after a clear are the group's later writes: a filter of those only.
                presence = rebuiltPresence();
                for (ConcurrentHashMap<String, EntryLoc> names : live.values()) {
                    names.clear();
                }
                for (Map.Entry<Key, EntryLoc> e : keys.entrySet()) {
                    if (!e.getValue().removal) {
                        live.get(e.getKey().namespace()).put(e.getKey().name(), e.getValue());
                    }
                }
            } else {
                PresenceFilter filter = presence;
                boolean full = false;
                for (Key key : touched) {
                    EntryLoc current = keys.get(key);
                    ConcurrentHashMap<String, EntryLoc> names = live.get(key.namespace());
                    if (current == null || current.removal) {
                        names.remove(key.name());
                    } else {
                        // In the filter before it is in the index, though no reader looks before the window closes.
                        filter.add(key.namespace(), key.name());
                        if (names.put(key.name(), current) == null) {
                            full |= filter.countAdded();
                        }
                    }
                }
                if (full) {
                    presence = rebuiltPresence();
                }
            }
            usedPublished = used;
        } finally {
            version++;
            publishLock.unlock();
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
        pendingMarks.clear();
        if (failed == null) {
            failed = new DatastoreException("the runtime partition's flash failed (" + cause
                    + "); it refuses writes until it is mounted again", PARTITION, null, cause);
        }
    }

    /** Writes one batch as one record. Capacity errors change nothing. */
    private void writeBatch(Batch batch, Set<Key> touched) throws IOException {
        List<Change> changes = batch.changes;
        List<LogFormat.EncodedEntry> encoded = new ArrayList<>();
        List<Key> encodedKeys = new ArrayList<>();
        long newUsed = used;
        long newEntries = entryCount;
        long carried = 0;
        String firstName = changes.get(0).name();
        for (int i = 0; i < changes.size(); i++) {
            Change change = changes.get(i);
            Key key = new Key(change.namespace(), change.name());
            EntryLoc state = keys.get(key);
            boolean present = state != null && !state.removal;
            if (change.isRemoval()) {
                boolean damagedHere = damagedNames.containsKey(damagedId(change.namespace().code(),
                        LogFormat.nameCrc(change.namespace().code(), batch.names[i]))) || lostNewer.containsKey(key)
                        || state != null && state.damaged;
                if (!present && !damagedHere) {
                    continue;
                }
            }
            if (present) {
                newUsed -= state.payload();
                newEntries--;
            }
            carried += batch.names[i].length;
            if (!change.isRemoval()) {
                newUsed += batch.names[i].length + change.data().remaining();
                newEntries++;
                carried += change.data().remaining();
            }
            encoded.add(new LogFormat.EncodedEntry(change.namespace().code(), change.format(), batch.names[i],
                    change.data(), batch.valueCrcs[i], 0));
            encodedKeys.add(key);
        }
        if (encoded.isEmpty()) {
            return;
        }
        if (newUsed > capacity && newUsed > used) {
            throw new PartitionFullException(PARTITION, firstName, newUsed, capacity);
        }
        if (newEntries > maxEntries && newEntries > entryCount) {
            throw new EntryLimitException(firstName, newUsed, capacity, newEntries, maxEntries);
        }
        if (carried > capacity || encoded.size() > maxEntries) {
            throw new WriteTooLargeException(firstName, carried, encoded.size(), capacity, maxEntries);
        }
        LogFormat.EncodedEntry[] entries = new LogFormat.EncodedEntry[encoded.size()];
        long seq = nextSeq;
        for (int i = 0; i < entries.length; i++) {
            LogFormat.EncodedEntry e = encoded.get(i);
            entries[i] = new LogFormat.EncodedEntry(e.namespaceCode(), e.format(), e.name(), e.value(), e.valueCrc(),
                    seq + i);
        }
        int length = LogFormat.encodedLength(entries, programSize);
        long at = reserve(length);
        nextSeq = seq + entries.length;
        LogFormat.Encoded record = LogFormat.encode(entries, (int) (lapOf(at) & 0xFFFF), 0, programSize, identity);
        RecordRef ref = append(at, record.bytes(), length,
                entries.length == 1 ? LogFormat.KIND_SINGLE : LogFormat.KIND_BATCH, 0);
        EntryLoc[] locs = new EntryLoc[entries.length];
        long base = phys(at);
        for (int i = 0; i < entries.length; i++) {
            LogFormat.EncodedEntry e = entries[i];
            locs[i] = new EntryLoc(Namespace.ofCode(e.namespaceCode()), new String(e.name(), StandardCharsets.UTF_8),
                    e.name().length, e.revision(), e.format(), e.value() == null, e.valueLength(), e.valueCrc(),
                    base + record.valueAt()[i], ref);
            locs[i].verified = e.value() == null;
            locs[i].slot = i;
        }
        ref.entries = locs;
        for (int i = 0; i < locs.length; i++) {
            EntryLoc old = keys.get(encodedKeys.get(i));
            if (old != null) {
                pendingMarks.add(old);
            }
            lostNewer.remove(encodedKeys.get(i));
            install(encodedKeys.get(i), locs[i]);
            touched.add(encodedKeys.get(i));
            damagedNames.computeIfPresent(damagedId(locs[i].namespace.code(),
                    LogFormat.nameCrc(locs[i].namespace.code(), locs[i].name)), (k, r) -> r < seq + locs.length ? null : r);
        }
    }

    private void writeClear() throws IOException {
        long seq = nextSeq;
        int length = LogFormat.clear(seq, 0, programSize, identity).length;
        long at = reserve(length);
        nextSeq = seq + 1;
        byte[] clear = LogFormat.clear(seq, (int) (lapOf(at) & 0xFFFF), programSize, identity);
        append(at, clear, clear.length, LogFormat.KIND_CLEAR, 0);
        pendingMarks.addAll(keys.values());
        lostNewer.clear();
        keys.clear();
        used = 0;
        entryCount = 0;
        damagedNames.clear();
    }

    /** Makes {@code loc} the newest version of its name in the writer's state. */
    private void install(Key key, EntryLoc loc) {
        EntryLoc old = keys.put(key, loc);
        if (old != null && !old.removal) {
            used -= old.payload();
            entryCount--;
        }
        if (!loc.removal) {
            used += loc.payload();
            entryCount++;
        }
    }

    /** Programs a record at {@code at} (reserved by {@link #reserve}) and appends it to the ring. */
    private RecordRef append(long at, byte[] bytes, int extent, int kind, long pass) throws IOException {
        program(at, bytes);
        RecordRef ref = new RecordRef(at, at + extent, kind, pass);
        if (extent > bytes.length) {
            // The markers follow the record, left erased until a newer write supersedes an entry.
            ref.markerAt = phys(at) + bytes.length;
        }
        ring.addLast(ref);
        head = at + extent;
        return ref;
    }

    /**
     * Clears the superseded bit of every version a durable newer write replaced (called only after
     * the sync that made those writes durable, so a marker is never premature; a marker lost to a
     * power cut only narrows what a later mount can report). Records sharing a marker unit are
     * programmed once; NOR programming only clears bits, so earlier marks stay.
     */
    private void programMarks() throws IOException {
        if (pendingMarks.isEmpty() || failed != null) {
            pendingMarks.clear();
            return;
        }
        Map<RecordRef, byte[]> byRecord = new java.util.IdentityHashMap<>();
        for (EntryLoc loc : pendingMarks) {
            RecordRef ref = loc.ref;
            if (ref.markerAt < 0 || ref.pins.get() < 0) {
                continue;
            }
            byte[] bits = byRecord.computeIfAbsent(ref, r -> {
                byte[] b = new byte[LogFormat.markerSize(r.entries.length, programSize)];
                java.util.Arrays.fill(b, (byte) 0xFF);
                return b;
            });
            bits[loc.slot >> 3] &= (byte) ~(1 << (loc.slot & 7));
        }
        pendingMarks.clear();
        for (Map.Entry<RecordRef, byte[]> e : byRecord.entrySet()) {
            region.program(e.getKey().markerAt, ByteBuffer.wrap(e.getValue()));
            unsynced = true;
        }
    }

    /** Programs bytes block by block, as a NOR chip takes them. */
    private void program(long at, byte[] bytes) throws IOException {
        long p = phys(at);
        int offset = 0;
        while (offset < bytes.length) {
            long here = p + offset;
            int n = (int) Math.min(bytes.length - offset, blockSize - here % blockSize);
            erased[(int) (here / blockSize)] = false;
            region.program(here, ByteBuffer.wrap(bytes, offset, n));
            unsynced = true;
            offset += n;
        }
    }

    private void syncNow() throws IOException {
        region.sync();
        unsynced = false;
    }

    private void eraseBlock(int block) throws IOException {
        region.erase(block);
        unsynced = true;
        eraseCounts[block]++;
        erased[block] = true;
    }

    // ------------------------------------------------------------------------------------------
    // Placement

    private static final int PLACE = 0;
    private static final int PAD = 1;
    private static final int FULL = 2;

    /** What to do at {@code v} to place {@code length} bytes: place there, pad to {@link #padTo}, or give up. */
    private int step(long v, long length) {
        long limit = released + ringSize;
        long ringEnd = ringEndAfter(v);
        long cap = Math.min(limit, ringEnd);
        long end = Math.floorMod(v, blockSize) == 0 ? v : blockStart(v) + blockSize;
        long wanted = v + length + padSize;
        while (end < cap && end < wanted && usable(blockAt(end))) {
            end += blockSize;
        }
        end = Math.min(end, cap);
        // Always leave room for a pad after a record, so the head can skip whatever follows it.
        if (v + length + padSize <= end) {
            return PLACE;
        }
        if (end >= limit) {
            return FULL;
        }
        // Skip to the ring's end and over blocks held by views, which may lie on either side of it: a
        // pad has no body, so it may cross the end.
        long over = end;
        while (over < limit && !usable(blockAt(over))) {
            over += blockSize;
        }
        if (over >= limit) {
            return FULL;
        }
        padTo = over;
        return PAD;
    }

    private long padTo;

    /** Whether a free block can be written: not held by a view. */
    private boolean usable(int block) {
        List<RecordRef> refs = deferred[block];
        if (refs == null) {
            return true;
        }
        for (RecordRef ref : refs) {
            if (ref.pins.get() > 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether records of these lengths can be placed one after the other from the head now. */
    private boolean fits(long... lengths) {
        long v = head;
        for (long length : lengths) {
            while (true) {
                int step = step(v, length);
                if (step == FULL) {
                    return false;
                }
                if (step == PAD) {
                    v = padTo;
                    continue;
                }
                v += length;
                break;
            }
        }
        return true;
    }

    /** Makes room for a record (collecting garbage as needed) and returns where it goes. */
    private long reserve(int length) throws IOException {
        ensureSpace(length);
        return place(length);
    }

    /**
     * Returns the head once a record of {@code length} can be written there: writes pad records over
     * the ring's end or over blocks held by views, and erases the blocks the record (and the room a
     * later pad needs after it) will use.
     */
    private long place(long length) throws IOException {
        while (true) {
            int step = step(head, length);
            if (step == FULL) {
                throw new IllegalStateException("no room for a record of " + length + " bytes in the runtime ring");
            }
            if (step == PAD) {
                long to = padTo;
                if (!prepare(to, padSize)) {
                    continue; // a view took the block after the pad meanwhile
                }
                if (!prepare(head, padSize)) {
                    throw new IllegalStateException("no room for a pad record at ring offset " + (phys(head) - ringStart));
                }
                program(head, LogFormat.pad((int) (lapOf(head) & 0xFFFF), nextSeq, to - head, programSize, identity));
                ring.addLast(new RecordRef(head, to, LogFormat.KIND_PAD, 0));
                head = to;
                continue;
            }
            long room = Math.min(length + padSize, ringEndAfter(head) - head);
            if (prepare(head, room)) {
                return head;
            }
        }
    }

    /** Seals and erases the free blocks of [v, v + length); false if a view still holds one. */
    private boolean prepare(long v, long length) throws IOException {
        long from = Math.floorMod(v, blockSize) == 0 ? v : blockStart(v) + blockSize;
        for (long b = from; b < v + length; b += blockSize) {
            int block = blockAt(b);
            List<RecordRef> refs = deferred[block];
            if (refs != null) {
                for (RecordRef ref : refs) {
                    if (!seal(ref)) {
                        return false;
                    }
                }
                deferred[block] = null;
            }
            if (!erased[block]) {
                eraseBlock(block);
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // Garbage collection

    /**
     * Collects until a record of {@code length} and, after it, the largest record the collector may
     * have to copy both fit; waits up to the view wait for views holding blocks it needs.
     */
    private void ensureSpace(long length) throws IOException {
        long reserve = (long) maxRecord + blockSize;
        if (fits(length, reserve)) {
            return;
        }
        flushGroup();
        long pass = ++passes;
        long deadline = 0;
        while (!fits(length, reserve)) {
            boolean progressed = passSome(pass);
            commit();
            if (progressed || fits(length, reserve)) {
                continue;
            }
            int held = heldBlocks();
            if (held == 0) {
                throw new DatastoreException("the runtime partition cannot reclaim flash space for a record of " + length
                        + " bytes", PARTITION, null);
            }
            long now = System.currentTimeMillis();
            if (deadline == 0) {
                deadline = now + viewWaitMillis;
            } else if (now >= deadline) {
                throw new DatastoreException("the runtime partition cannot reclaim flash space while views are open on "
                        + held + " blocks (waited " + viewWaitMillis + " ms)", PARTITION, null);
            }
            synchronized (pinMonitor) {
                pinWaiters++;
                try {
                    pinMonitor.wait(Math.max(1, Math.min(50, deadline - now)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DatastoreException("interrupted while waiting for open views to close", PARTITION, null, e);
                } finally {
                    pinWaiters--;
                }
            }
        }
    }

    private int heldBlocks() {
        int held = 0;
        for (int b = ANCHOR_BLOCKS; b < deferred.length; b++) {
            if (!usable(b)) {
                held++;
            }
        }
        return held;
    }

    /**
     * Moves the tail over about a sixteenth of the ring (at least one record), copying live entries
     * to the head. Stops early where a copy does not fit before the next commit frees space, and at
     * records this collection wrote itself.
     */
    private boolean passSome(long pass) throws IOException {
        long goal = tail() + Math.max(ringSize / PASSES_PER_LAP, blockSize);
        boolean moved = false;
        while (!ring.isEmpty()) {
            RecordRef r = ring.peekFirst();
            if (r.pass == pass || moved && r.start >= goal) {
                break;
            }
            List<EntryLoc> survivors = survivors(r);
            if (!survivors.isEmpty() && !relocate(survivors, pass)) {
                break;
            }
            ring.pollFirst();
            passOver(r);
            passed.addLast(r);
            moved = true;
        }
        return moved;
    }

    /**
     * Entries the tail must copy: the current versions (all published, see {@link #flushGroup()}),
     * and removals whose superseding write was lost, so that the report survives the collection.
     */
    private List<EntryLoc> survivors(RecordRef r) {
        List<EntryLoc> survivors = new ArrayList<>();
        for (EntryLoc loc : r.entries) {
            if (loc.key != null && keys.get(loc.key) == loc && (!loc.removal || loc.superseded)) {
                survivors.add(loc);
            }
        }
        return survivors;
    }

    /** Forgets what a passed record held: its tombstones and its damaged names are no longer on flash. */
    private void passOver(RecordRef r) {
        for (EntryLoc loc : r.entries) {
            if (loc.key == null) {
                Long id = orphans.remove(loc);
                if (id != null) {
                    damagedNames.remove(id, loc.revision);
                }
                continue;
            }
            if (loc.removal && keys.get(loc.key) == loc) {
                keys.remove(loc.key);
                lostNewer.remove(loc.key, loc.revision);
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
                    loc.removal ? null : map.slice((int) loc.valueOffset, loc.valueLength), loc.valueCrc, loc.revision);
        }
        int length = LogFormat.encodedLength(entries, programSize);
        if (!fits(length)) {
            return false;
        }
        long at = place(length);
        LogFormat.Encoded record = LogFormat.encode(entries, (int) (lapOf(at) & 0xFFFF), LogFormat.FLAG_RELOCATED,
                programSize, identity);
        RecordRef ref = append(at, record.bytes(), length,
                entries.length == 1 ? LogFormat.KIND_SINGLE : LogFormat.KIND_BATCH, pass);
        EntryLoc[] locs = new EntryLoc[entries.length];
        long base = phys(at);
        for (int i = 0; i < entries.length; i++) {
            EntryLoc old = survivors.get(i);
            EntryLoc moved = new EntryLoc(old.namespace, old.name, old.nameLength, old.revision, old.format, old.removal,
                    old.valueLength, old.valueCrc, base + record.valueAt()[i], ref);
            moved.slot = i;
            moved.superseded = old.superseded;
            if (old.superseded) {
                // The copy keeps the mark, or a later mount would serve it as the current version.
                pendingMarks.add(moved);
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
                damage(moved, "its value failed its checksum when garbage collection copied it");
            }
            locs[i] = moved;
            keys.put(old.key, moved);
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
        if (unsynced) {
            syncNow();
        }
        programMarks();
        if (!pendingPublish.isEmpty()) {
            publishLock.lock();
            try {
                version++;
                for (EntryLoc[] pair : pendingPublish) {
                    live.get(pair[0].namespace).replace(pair[0].name, pair[0], pair[1]);
                }
            } finally {
                version++;
                publishLock.unlock();
            }
            pendingPublish.clear();
        }
        long newReleased = blockStart(tail());
        if (newReleased <= released) {
            return;
        }
        writeAnchor();
        writeTail();
        syncNow();
        for (long b = released; b < newReleased; b += blockSize) {
            release(b);
        }
        released = newReleased;
        while (!passed.isEmpty() && passed.peekFirst().end <= released) {
            passed.pollFirst();
        }
    }

    /** Erases a block the tail has left behind, unless a view still holds a record in it. */
    private void release(long blockStartV) throws IOException {
        // Blocks are released in order, so records ending before this one were handled with theirs.
        while (!passed.isEmpty() && passed.peekFirst().end <= blockStartV) {
            passed.pollFirst();
        }
        int block = blockAt(blockStartV);
        List<RecordRef> held = new ArrayList<>();
        if (deferred[block] != null) {
            for (RecordRef ref : deferred[block]) {
                if (!seal(ref)) {
                    held.add(ref);
                }
            }
        }
        for (Iterator<RecordRef> it = passed.iterator(); it.hasNext();) {
            RecordRef ref = it.next();
            if (ref.start >= blockStartV + blockSize) {
                break;
            }
            if (ref.end > blockStartV && !seal(ref)) {
                held.add(ref);
            }
        }
        if (held.isEmpty()) {
            deferred[block] = null;
            if (!erased[block]) {
                eraseBlock(block);
            }
        } else {
            deferred[block] = held;
        }
    }

    /** Thrown when a write would exceed the entry limit; a full partition as far as callers care. */
    static final class EntryLimitException extends PartitionFullException {
        private static final long serialVersionUID = 1L;
        private final long entries;
        private final long limit;

        EntryLimitException(String name, long required, long available, long entries, long limit) {
            super(PARTITION, name, required, available);
            this.entries = entries;
            this.limit = limit;
        }

        @Override
        public String getMessage() {
            return "partition " + PARTITION + " is full: the write needs " + entries + " entries of a limit of " + limit;
        }
    }

    /**
     * Thrown when one write carries more than the capacity in names and values (names of removed
     * entries included) or more entries than the entry limit: the largest record the region is sized
     * for. Such a write must be split.
     */
    static final class WriteTooLargeException extends PartitionFullException {
        private static final long serialVersionUID = 1L;
        private final long carried;
        private final int entries;
        private final int limit;

        WriteTooLargeException(String name, long carried, int entries, long capacity, int limit) {
            super(PARTITION, name, carried, capacity);
            this.carried = carried;
            this.entries = entries;
            this.limit = limit;
        }

        @Override
        public String getMessage() {
            return "partition " + PARTITION + " refuses a single write of " + carried + " bytes of names and values in "
                    + entries + " entries: one write carries at most " + available() + " bytes (names of removed "
                    + "entries included) in at most " + limit + " entries";
        }
    }
}
