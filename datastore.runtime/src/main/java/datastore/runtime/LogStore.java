package datastore.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
 * <p>Writes append records to a chain of erase blocks; each {@link #apply(List)} is one record, so
 * a batch is committed wholly or not at all. Concurrent writers share one {@link FlashRegion#sync()}
 * per group (the first waiting thread leads and writes everyone's records). An in-memory index maps
 * each name to its newest version; readers look it up without locks and pin the block under a value
 * while a view is open, so garbage collection never erases bytes someone is reading. Mounting scans
 * every block, rebuilds the index from revisions (duplicates left by an interrupted collection share
 * a revision), discards records whose commit word is missing, and records damage in
 * {@link #problems()} instead of failing.
 *
 * <p>Records larger than {@code largeRecordBlocks} blocks get blocks of their own, so collecting a
 * shared block never has to move more than about two such records; the space this needs is checked
 * against the region at construction ({@link #requiredBlocks}).
 */
final class LogStore {
    static final String PARTITION = Partitions.RUNTIME;

    static final int FREE = 0;
    static final int DIRTY = 1;
    static final int LOG = 2;

    /** One erase block: pin state for readers, layout and accounting for the writer. */
    static final class Block {
        final int index;
        /** Open views on this block; -1 while the block is being erased. */
        final AtomicInteger pins = new AtomicInteger();
        volatile int gen;
        volatile int next = -1;
        volatile int nextGen;
        int prev = -1;
        int state;
        long seq;
        long eraseCount;
        final List<RecordRef> starting = new ArrayList<>();
        final List<RecordRef> overlapping = new ArrayList<>();

        Block(int index) {
            this.index = index;
        }
    }

    /** A committed record on flash and how many of its bytes still matter. */
    static final class RecordRef {
        final int startBlock;
        final int startOffset;
        final long seq;
        EntryLoc[] entries;
        long liveBytes;

        RecordRef(int startBlock, int startOffset, long seq) {
            this.startBlock = startBlock;
            this.startOffset = startOffset;
            this.seq = seq;
        }
    }

    /** The writer's view of one name: its newest version and how many older copies are still on flash. */
    static final class KeyState {
        EntryLoc current;
        int stale;
    }

    record Key(Namespace namespace, String name) {
    }

    /** One prepared apply() waiting for the group leader. */
    private static final class Batch {
        final List<Change> changes;
        final byte[][] names;
        final int[] valueCrcs;
        boolean done;
        RuntimeException error;

        Batch(List<Change> changes, byte[][] names, int[] valueCrcs) {
            this.changes = changes;
            this.names = names;
            this.valueCrcs = valueCrcs;
        }
    }

    private final FlashRegion region;
    private final int blockSize;
    private final int programSize;
    private final int headerSize;
    private final int payloadPerBlock;
    private final long capacity;
    private final int maxEntries;
    private final int largeRecordBytes;
    private final int reserveBlocks;
    private final long viewWaitMillis;
    private final Block[] blocks;
    private ByteBuffer map;

    private final Map<Namespace, ConcurrentHashMap<String, EntryLoc>> live = new EnumMap<>(Namespace.class);
    /** Damaged names that matched no known name: (namespace code, name CRC) to revision. */
    private final ConcurrentHashMap<Long, Long> damagedNames = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();

    // Writer state, touched only by the group leader (or during mount).
    private final HashMap<Key, KeyState> keys = new HashMap<>();
    private long used;
    private int entryCount;
    private long nextSeq = 1;
    private long nextBlockSeq = 1;
    private int active = -1;
    private int activePos;
    private int freeBlocks;
    private boolean unsynced;
    private boolean collecting;
    private final Set<Key> relocated = new HashSet<>();
    private volatile long usedPublished;
    private volatile DatastoreException failed;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition groupDone = lock.newCondition();
    private final ArrayDeque<Batch> queue = new ArrayDeque<>();
    private boolean leading;
    private final Object pinMonitor = new Object();
    private long gcRuns;

    /**
     * Creates an engine over {@code region}; call {@link #mount()} before use.
     *
     * @throws IllegalArgumentException if the region is too small for the capacity and entry limit,
     *         naming the numbers
     */
    LogStore(FlashRegion region, long capacity, int maxEntries, int largeRecordBlocks, long viewWaitMillis) {
        this.region = region;
        FlashGeometry geometry = region.geometry();
        this.blockSize = geometry.eraseBlockSize();
        this.programSize = geometry.programSize();
        this.headerSize = LogFormat.blockHeaderSize(programSize);
        this.payloadPerBlock = blockSize - headerSize;
        this.capacity = capacity;
        this.maxEntries = maxEntries;
        this.viewWaitMillis = viewWaitMillis;
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " is negative");
        }
        if (maxEntries < 1 || maxEntries > LogFormat.MAX_ENTRIES_PER_RECORD) {
            throw new IllegalArgumentException("entry limit " + maxEntries + " is outside 1.." + LogFormat.MAX_ENTRIES_PER_RECORD);
        }
        if (largeRecordBlocks < 1) {
            throw new IllegalArgumentException("large record threshold of " + largeRecordBlocks + " blocks is below 1");
        }
        if (payloadPerBlock < 4 * LogFormat.metaSize(1)) {
            throw new IllegalArgumentException("erase block of " + blockSize + " bytes is too small for the runtime log");
        }
        this.largeRecordBytes = largeRecordBlocks * payloadPerBlock;
        this.reserveBlocks = gcReserveBlocks(largeRecordBytes, payloadPerBlock);
        long required = requiredBlocks(capacity, maxEntries, geometry, largeRecordBlocks);
        if (geometry.blocks() < required) {
            throw new IllegalArgumentException("runtime region \"" + region.name() + "\" of " + geometry.size() + " bytes ("
                    + geometry.blocks() + " blocks of " + blockSize + ") is too small for a capacity of " + capacity
                    + " payload bytes and " + maxEntries + " entries: it needs at least " + required + " blocks ("
                    + required * blockSize + " bytes)");
        }
        this.blocks = new Block[geometry.blocks()];
        for (int b = 0; b < blocks.length; b++) {
            blocks[b] = new Block(b);
        }
        for (Namespace namespace : Namespace.values()) {
            live.put(namespace, new ConcurrentHashMap<>());
        }
    }

    private static int gcReserveBlocks(long largeRecordBytes, int payloadPerBlock) {
        // Collecting a shared block moves at most what lies in it plus one record running in and
        // one running out, each no larger than the large-record threshold; plus the open block.
        return (int) ((2 * largeRecordBytes + payloadPerBlock + payloadPerBlock - 1) / payloadPerBlock) + 2;
    }

    /**
     * The blocks a region needs so that {@code capacity} payload bytes in up to {@code maxEntries}
     * entries always fit, whatever the history: the worst case holds every entry as its own record
     * while one batch replacing all of them is being written (so twice the data), plus the unused
     * tails of large records' own blocks, plus the collector's reserve.
     */
    static long requiredBlocks(long capacity, int maxEntries, FlashGeometry geometry, int largeRecordBlocks) {
        int header = LogFormat.blockHeaderSize(geometry.programSize());
        long perBlock = geometry.eraseBlockSize() - header;
        long large = largeRecordBlocks * perBlock;
        long singletonOverhead = LogFormat.recordLength(1, 0, 0) + geometry.programSize();
        long batchOverhead = 2L * LogFormat.DIR_ENTRY;
        long peak = 2 * capacity + (long) maxEntries * (singletonOverhead + batchOverhead) + LogFormat.metaSize(0)
                + geometry.programSize();
        long tails = (peak + large - 1) / large * geometry.eraseBlockSize();
        long data = (peak + tails + perBlock - 1) / perBlock;
        return data + gcReserveBlocks(large, (int) perBlock) + 1;
    }

    // ------------------------------------------------------------------------------------------
    // Mount

    /** A record found by the mount scan. */
    private static final class Scanned {
        int block;
        int pos;
        LogFormat.RecordHeader header;
        LogFormat.DirEntry[] dir;
        boolean dirCopyDamaged;
        boolean trailerCopyDamaged;
        /** Its directory runs into a block that garbage collection has already erased. */
        boolean cutShort;
        boolean complete;
        EntryLoc[] entries;
        boolean[] nameOk;
        List<Integer> spanned = new ArrayList<>();
    }

    /**
     * Scans the region and rebuilds the index. Damage never fails the mount; it is recorded in
     * {@link #problems()}.
     *
     * @throws IOException if the region cannot be read
     */
    void mount() throws IOException {
        map = region.map();
        Map<Long, Integer> bySeq = new HashMap<>();
        long maxFloor = 0;
        long maxBlockSeq = 0;
        LogFormat.BlockHeader[] headers = new LogFormat.BlockHeader[blocks.length];
        byte[] raw = new byte[2 * LogFormat.BLOCK_HEADER];
        for (Block block : blocks) {
            block.eraseCount = region.eraseCount(block.index);
            map.get((int) offsetOf(block.index, 0), raw, 0, raw.length);
            LogFormat.BlockHeader header = LogFormat.parseBlockHeader(raw);
            if (header != null && header.kind() == LogFormat.KIND_LOG && !bySeq.containsKey(header.blockSeq())) {
                headers[block.index] = header;
                if (header.copyDamaged()) {
                    problems.add("block " + block.index + ": one copy of its header is damaged; the other copy is used");
                }
                block.state = LOG;
                block.seq = header.blockSeq();
                bySeq.put(header.blockSeq(), block.index);
                maxFloor = Math.max(maxFloor, header.seqFloor());
                maxBlockSeq = Math.max(maxBlockSeq, header.blockSeq());
            } else {
                if (header == null && !erased(block.index, 0, blockSize)) {
                    if (!looksErasedHeader(raw)) {
                        problems.add("block " + block.index + " has no valid header and is not erased; it will be erased");
                    }
                }
                block.state = erased(block.index, 0, blockSize) ? FREE : DIRTY;
                freeBlocks++;
            }
        }
        for (Block block : blocks) {
            LogFormat.BlockHeader header = headers[block.index];
            if (header != null && header.contLength() > 0) {
                Integer prev = bySeq.get(header.prevBlockSeq());
                if (prev != null && blocks[prev].next < 0 && prev != block.index) {
                    blocks[prev].next = block.index;
                    blocks[prev].nextGen = block.gen;
                    block.prev = prev;
                }
            }
        }
        List<Scanned> scanned = new ArrayList<>();
        long maxSeq = 0;
        for (Block block : blocks) {
            LogFormat.BlockHeader header = headers[block.index];
            if (header == null) {
                continue;
            }
            int cont = header.contLength();
            if (cont < 0 || cont > payloadPerBlock) {
                problems.add("block " + block.index + " claims a continuation of " + cont + " bytes; its records are skipped");
                continue;
            }
            int pos = LogFormat.align(headerSize + cont, programSize);
            while (pos < blockSize) {
                Scanned record = scanRecord(block.index, pos);
                if (record == CUT_SHORT) {
                    break;
                }
                if (record == null) {
                    if (erased(block.index, pos, blockSize - pos)) {
                        break;
                    }
                    int resync = resync(block.index, pos + programSize);
                    problems.add("block " + block.index + " offset " + pos + ": unreadable bytes"
                            + (resync < 0 ? " up to the end of the block" : " up to offset " + resync) + " skipped");
                    if (resync < 0) {
                        break;
                    }
                    pos = resync;
                    continue;
                }
                scanned.add(record);
                maxSeq = Math.max(maxSeq, record.header.seq() + record.header.count());
                long end = pos + (long) LogFormat.align(record.header.totalLength(), programSize);
                if (end > blockSize) {
                    break;
                }
                pos = (int) end;
            }
        }
        nextSeq = Math.max(Math.max(maxSeq, maxFloor), 1);
        nextBlockSeq = maxBlockSeq + 1;
        buildIndex(scanned);
        publishAll();
    }

    private boolean looksErasedHeader(byte[] raw) {
        for (byte b : raw) {
            if (b != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    private long offsetOf(int block, int pos) {
        return (long) block * blockSize + pos;
    }

    private boolean erased(int block, int from, int length) {
        int at = (int) offsetOf(block, from);
        int end = at + length;
        while (at + 8 <= end) {
            if (map.getLong(at) != -1L) {
                return false;
            }
            at += 8;
        }
        while (at < end) {
            if (map.get(at++) != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    /** The next offset at or after {@code from} in the block where a valid record header starts, or -1. */
    private int resync(int block, int from) {
        for (int pos = LogFormat.align(from, programSize); pos + 2 <= blockSize; pos += programSize) {
            int magic = map.getShort((int) offsetOf(block, pos)) & 0xFFFF;
            boolean copyB = pos + LogFormat.RECORD_HEADER + 2 <= blockSize
                    && (map.getShort((int) offsetOf(block, pos + LogFormat.RECORD_HEADER)) & 0xFFFF) == LogFormat.RECORD_MAGIC;
            if (magic == LogFormat.RECORD_MAGIC || copyB) {
                byte[] header = new byte[2 * LogFormat.RECORD_HEADER];
                if (readChain(block, pos, header, 0, header.length) && LogFormat.parseRecordHeader(header) != null) {
                    return pos;
                }
            }
        }
        return -1;
    }

    /** Reads {@code length} bytes of the log starting at a block and offset, following the chain. */
    private boolean readChain(int block, int pos, byte[] dst, int offset, int length) {
        while (length > 0) {
            if (pos >= blockSize) {
                block = blocks[block].next;
                if (block < 0) {
                    return false;
                }
                pos = headerSize;
            }
            int n = Math.min(length, blockSize - pos);
            map.get((int) offsetOf(block, pos), dst, offset, n);
            offset += n;
            length -= n;
            pos += n;
        }
        return true;
    }

    /** Block and offset {@code distance} log bytes after a position, or {@code null} past the chain's end. */
    private int[] advance(int block, int pos, long distance, List<Integer> spanned) {
        while (true) {
            long room = blockSize - pos;
            if (distance < room) {
                return new int[] {block, (int) (pos + distance)};
            }
            distance -= room;
            block = blocks[block].next;
            if (block < 0) {
                return null;
            }
            if (spanned != null) {
                spanned.add(block);
            }
            pos = headerSize;
        }
    }

    private int crcChain(int block, int pos, long length) {
        CRC32C crc = new CRC32C();
        while (length > 0) {
            if (pos >= blockSize) {
                block = blocks[block].next;
                if (block < 0) {
                    return ~0;
                }
                pos = headerSize;
            }
            int n = (int) Math.min(length, blockSize - pos);
            crc.update(map.slice((int) offsetOf(block, pos), n));
            length -= n;
            pos += n;
        }
        return (int) crc.getValue();
    }

    private static final Scanned CUT_SHORT = new Scanned();

    private Scanned scanRecord(int block, int pos) {
        byte[] headerBytes = new byte[2 * LogFormat.RECORD_HEADER];
        if (!readChain(block, pos, headerBytes, 0, headerBytes.length)) {
            // The header runs into a block that is gone (collected) or was never written (a cut):
            // the rest of this block belongs to that record either way.
            return CUT_SHORT;
        }
        LogFormat.RecordHeader header = LogFormat.parseRecordHeader(headerBytes);
        if (header == null) {
            return null;
        }
        Scanned s = new Scanned();
        s.block = block;
        s.pos = pos;
        s.header = header;
        s.spanned.add(block);
        int count = header.count();
        int metaSize = LogFormat.metaSize(count);
        // Walk the record's extent first: it tells which blocks it spans and whether it is whole.
        int[] end = advance(block, pos, LogFormat.align(header.totalLength(), programSize) - 1, s.spanned);
        byte[] meta = new byte[metaSize];
        if (metaSize > header.totalLength()) {
            s.cutShort = false;
        } else if (!readChain(block, pos, meta, 0, metaSize)) {
            s.cutShort = true;
        } else {
            LogFormat.Directory directory = LogFormat.parseDirectory(meta, count);
            if (directory != null) {
                s.dir = directory.entries();
                s.dirCopyDamaged = directory.copyDamaged();
            }
        }
        if (end != null) {
            byte[] trailer = new byte[LogFormat.TRAILER];
            int[] at = advance(block, pos, header.totalLength() - LogFormat.TRAILER, null);
            s.complete = at != null && readChain(at[0], at[1], trailer, 0, trailer.length)
                    && LogFormat.committed(trailer, header.seq());
            s.trailerCopyDamaged = s.complete && !LogFormat.fullyCommitted(trailer, header.seq());
        }
        if (s.dir != null) {
            long names = 0;
            long values = 0;
            for (LogFormat.DirEntry e : s.dir) {
                names += e.nameLength();
                values += e.valueLength() < 0 ? Integer.MAX_VALUE : e.valueLength();
            }
            if (LogFormat.recordLength(count, names, values) != header.totalLength()) {
                s.dir = null;
                s.complete = false;
            }
        }
        return s;
    }

    private void buildIndex(List<Scanned> scanned) {
        Map<Key, EntryLoc> best = new HashMap<>();
        Map<EntryLoc, Integer> damaged = new LinkedHashMap<>();
        List<RecordRef> refs = new ArrayList<>();
        for (Scanned s : scanned) {
            if (s.dir == null && s.cutShort) {
                continue;
            }
            if (s.dir == null) {
                problems.add("record at block " + s.block + " offset " + s.pos + " (revisions " + s.header.seq() + ".."
                        + (s.header.seq() + s.header.count() - 1) + "): both copies of its directory are damaged; skipped");
                continue;
            }
            if (!s.complete) {
                continue;
            }
            if (s.header.copyDamaged() || s.dirCopyDamaged || s.trailerCopyDamaged) {
                problems.add("record at block " + s.block + " offset " + s.pos + " (revision " + s.header.seq()
                        + "): one copy of its " + (s.header.copyDamaged() ? "header" : s.dirCopyDamaged ? "directory" : "commit word")
                        + " is damaged; the other copy is used");
            }
            RecordRef ref = new RecordRef(s.block, s.pos, s.header.seq());
            int count = s.dir.length;
            ref.entries = new EntryLoc[count];
            s.nameOk = new boolean[count];
            long at = LogFormat.metaSize(count);
            long valuesAt = at;
            for (LogFormat.DirEntry e : s.dir) {
                valuesAt += e.nameLength();
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
                int[] namePos = advance(s.block, s.pos, at, null);
                boolean nameOk = namespace != null && namePos != null
                        && readChain(namePos[0], namePos[1], name, 0, name.length)
                        && LogFormat.nameCrc(e.namespaceCode(), name) == e.nameCrc();
                int[] valuePos = e.valueLength() == 0 ? new int[] {-1, 0} : advance(s.block, s.pos, valuesAt, null);
                boolean valueOk = e.removal() ? e.valueLength() == 0
                        : valuePos != null && (e.valueLength() == 0 ? e.valueCrc() == LogFormat.valueCrc(ByteBuffer.allocate(0))
                                : crcChain(valuePos[0], valuePos[1], e.valueLength()) == e.valueCrc());
                int valueBlock = valuePos == null ? -1 : valuePos[0];
                int valueOffset = valuePos == null ? 0 : valuePos[1];
                EntryLoc loc = new EntryLoc(namespace == null ? Namespace.KV : namespace,
                        nameOk ? new String(name, StandardCharsets.UTF_8) : null, e.nameLength(), s.header.seq() + i,
                        e.format(), e.removal(), e.valueLength(), e.valueCrc(), valueBlock, valueOffset,
                        valueBlock < 0 ? 0 : blocks[valueBlock].gen, !valueOk, ref,
                        LogFormat.singletonSize(e.nameLength(), e.valueLength(), programSize));
                ref.entries[i] = loc;
                s.nameOk[i] = nameOk;
                if (nameOk) {
                    Key key = new Key(loc.namespace, loc.name);
                    EntryLoc other = best.get(key);
                    if (other == null || loc.revision > other.revision
                            || (loc.revision == other.revision && other.corrupt && !loc.corrupt)) {
                        best.put(key, loc);
                    }
                } else if (namespace != null) {
                    damaged.put(loc, e.nameCrc());
                } else {
                    loc.orphan = true;
                    problems.add("entry at revision " + loc.revision + " has an unknown namespace code "
                            + e.namespaceCode() + "; skipped");
                }
                at += e.nameLength();
                valuesAt += e.valueLength();
            }
            refs.add(ref);
            for (int b : new HashSet<>(s.spanned)) {
                blocks[b].overlapping.add(ref);
            }
            blocks[s.block].starting.add(ref);
        }
        // Incomplete records are writes that never returned; report those that would have mattered.
        for (Scanned s : scanned) {
            if (s.dir != null && !s.complete && mattered(s, best)) {
                problems.add("incomplete record at block " + s.block + " offset " + s.pos + " (revision "
                        + s.header.seq() + ", " + s.dir.length + " entries) discarded: a write interrupted by power loss");
            }
        }
        for (Map.Entry<EntryLoc, Integer> d : damaged.entrySet()) {
            EntryLoc loc = d.getKey();
            int nameCrc = d.getValue();
            EntryLoc match = null;
            for (Map.Entry<Key, EntryLoc> candidate : best.entrySet()) {
                Key key = candidate.getKey();
                if (key.namespace() == loc.namespace
                        && LogFormat.nameCrc(key.namespace().code(), key.name()) == nameCrc) {
                    match = candidate.getValue();
                    break;
                }
            }
            if (match != null) {
                EntryLoc named = new EntryLoc(loc.namespace, match.name, loc.nameLength, loc.revision, loc.format,
                        loc.removal, loc.valueLength, loc.valueCrc, loc.block, loc.offset, loc.gen, loc.corrupt, loc.ref,
                        loc.cost);
                replaceInRef(loc, named);
                if (named.revision > match.revision) {
                    best.put(new Key(named.namespace, named.name), named);
                }
                problems.add(named.namespace.id() + " entry \"" + named.name + "\" revision " + named.revision
                        + ": its stored name is damaged; identified by the name's checksum");
            } else {
                loc.orphan = true;
                long id = damagedId(loc.namespace.code(), nameCrc);
                damagedNames.merge(id, loc.revision, Math::max);
                problems.add(loc.namespace.id() + " entry at revision " + loc.revision
                        + " has a damaged name; reads of that name report it as corrupted");
            }
        }
        for (Map.Entry<Key, EntryLoc> e : best.entrySet()) {
            KeyState state = new KeyState();
            state.current = e.getValue();
            keys.put(e.getKey(), state);
        }
        for (RecordRef ref : refs) {
            for (EntryLoc loc : ref.entries) {
                if (loc.orphan || loc.name == null) {
                    loc.orphan = true;
                    continue;
                }
                KeyState state = keys.get(new Key(loc.namespace, loc.name));
                if (state.current != loc) {
                    state.stale++;
                }
            }
        }
        for (Map.Entry<Key, KeyState> e : keys.entrySet()) {
            EntryLoc current = e.getValue().current;
            if (!current.removal) {
                used += current.payload();
                entryCount++;
                if (current.corrupt) {
                    problems.add(current.namespace.id() + " entry \"" + current.name + "\" revision " + current.revision
                            + ": its value fails its checksum; reads report it as corrupted");
                }
                Long damagedRevision = damagedNames.get(damagedId(current.namespace.code(),
                        LogFormat.nameCrc(current.namespace.code(), current.name)));
                if (damagedRevision != null && damagedRevision < current.revision) {
                    damagedNames.remove(damagedId(current.namespace.code(),
                            LogFormat.nameCrc(current.namespace.code(), current.name)));
                }
            }
            setCounted(current, !current.removal || e.getValue().stale > 0);
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
        long at = LogFormat.metaSize(s.dir.length);
        for (int i = 0; i < s.dir.length; i++) {
            LogFormat.DirEntry e = s.dir[i];
            byte[] name = new byte[e.nameLength()];
            int[] namePos = advance(s.block, s.pos, at, null);
            at += e.nameLength();
            if (namePos == null || !readChain(namePos[0], namePos[1], name, 0, name.length)
                    || LogFormat.nameCrc(e.namespaceCode(), name) != e.nameCrc()) {
                return true;
            }
            Namespace namespace;
            try {
                namespace = Namespace.ofCode(e.namespaceCode());
            } catch (IllegalArgumentException unknown) {
                return true;
            }
            EntryLoc newest = best.get(new Key(namespace, new String(name, StandardCharsets.UTF_8)));
            if (newest == null || newest.revision < s.header.seq() + i) {
                return true;
            }
        }
        return false;
    }

    private static void replaceInRef(EntryLoc old, EntryLoc replacement) {
        EntryLoc[] entries = old.ref.entries;
        for (int i = 0; i < entries.length; i++) {
            if (entries[i] == old) {
                entries[i] = replacement;
            }
        }
    }

    private static long damagedId(int namespaceCode, int nameCrc) {
        return ((long) namespaceCode << 32) | (nameCrc & 0xFFFFFFFFL);
    }

    private void publishAll() {
        for (Map.Entry<Key, KeyState> e : keys.entrySet()) {
            publish(e.getKey(), e.getValue());
        }
        usedPublished = used;
    }

    private void publish(Key key, KeyState state) {
        ConcurrentHashMap<String, EntryLoc> names = live.get(key.namespace());
        if (state == null || state.current.removal) {
            names.remove(key.name());
        } else {
            names.put(key.name(), state.current);
        }
    }

    private void setCounted(EntryLoc loc, boolean counted) {
        if (loc.counted != counted) {
            loc.counted = counted;
            loc.ref.liveBytes += counted ? loc.cost : -loc.cost;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reads

    /** Damage found at mount and later, oldest first; unmodifiable snapshot. */
    List<String> problems() {
        return List.copyOf(problems);
    }

    Optional<EntryView> open(Namespace namespace, String name) {
        ConcurrentHashMap<String, EntryLoc> names = live.get(namespace);
        while (true) {
            EntryLoc loc = names.get(name);
            if (loc == null) {
                if (!damagedNames.isEmpty()) {
                    Long revision = damagedNames.get(damagedId(namespace.code(), LogFormat.nameCrc(namespace.code(), name)));
                    if (revision != null) {
                        throw new CorruptedEntryException(PARTITION, namespace, name,
                                "the record holding revision " + revision + " has a damaged name");
                    }
                }
                return Optional.empty();
            }
            if (loc.corrupt) {
                throw new CorruptedEntryException(PARTITION, namespace, name,
                        "revision " + loc.revision + " fails its CRC32C");
            }
            if (loc.valueLength == 0) {
                return Optional.of(new LogEntryView(loc, ByteBuffer.allocate(0).asReadOnlyBuffer(), null));
            }
            Optional<EntryView> view = loc.offset + (long) loc.valueLength <= blockSize ? openContiguous(loc) : openSpanning(loc);
            if (view != null) {
                return view;
            }
            if (names.get(name) == loc) {
                // The index still names a version whose blocks are gone: never happens unless flash
                // changed under us; report rather than spin.
                throw new CorruptedEntryException(PARTITION, namespace, name,
                        "revision " + loc.revision + " is no longer readable on flash");
            }
        }
    }

    private Optional<EntryView> openContiguous(EntryLoc loc) {
        int block = loc.block;
        if (!pin(block, loc.gen)) {
            return null;
        }
        ByteBuffer slice = map.slice((int) offsetOf(block, loc.offset), loc.valueLength);
        CRC32C crc = new CRC32C();
        crc.update(slice.duplicate());
        if ((int) crc.getValue() != loc.valueCrc) {
            unpin(block);
            throw new CorruptedEntryException(PARTITION, loc.namespace, loc.name,
                    "revision " + loc.revision + " fails its CRC32C");
        }
        return Optional.of(new LogEntryView(loc, slice.asReadOnlyBuffer(), () -> unpin(block)));
    }

    private Optional<EntryView> openSpanning(EntryLoc loc) {
        byte[] copy = new byte[loc.valueLength];
        List<Integer> pinned = new ArrayList<>();
        try {
            int block = loc.block;
            int gen = loc.gen;
            int pos = loc.offset;
            int done = 0;
            while (true) {
                if (!pin(block, gen)) {
                    return null;
                }
                pinned.add(block);
                int n = Math.min(loc.valueLength - done, blockSize - pos);
                map.get((int) offsetOf(block, pos), copy, done, n);
                done += n;
                if (done == loc.valueLength) {
                    break;
                }
                Block b = blocks[block];
                int next = b.next;
                gen = b.nextGen;
                if (next < 0) {
                    return null;
                }
                block = next;
                pos = headerSize;
            }
        } finally {
            for (int block : pinned) {
                unpin(block);
            }
        }
        if (LogFormat.crc(copy, 0, copy.length) != loc.valueCrc) {
            throw new CorruptedEntryException(PARTITION, loc.namespace, loc.name,
                    "revision " + loc.revision + " fails its CRC32C");
        }
        return Optional.of(new LogEntryView(loc, ByteBuffer.wrap(copy).asReadOnlyBuffer(), null));
    }

    private boolean pin(int block, int gen) {
        Block b = blocks[block];
        while (true) {
            int pins = b.pins.get();
            if (pins < 0) {
                return false;
            }
            if (b.pins.compareAndSet(pins, pins + 1)) {
                break;
            }
        }
        if (b.gen != gen) {
            unpin(block);
            return false;
        }
        return true;
    }

    private void unpin(int block) {
        if (blocks[block].pins.decrementAndGet() == 0) {
            synchronized (pinMonitor) {
                pinMonitor.notifyAll();
            }
        }
    }

    /** Open views per block, for tests. */
    int pins(int block) {
        return blocks[block].pins.get();
    }

    List<String> names(Namespace namespace) {
        List<String> names = new ArrayList<>(live.get(namespace).keySet());
        Collections.sort(names);
        return Collections.unmodifiableList(names);
    }

    PartitionUsage usage() {
        Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
        for (Namespace namespace : Namespace.values()) {
            entries.put(namespace, live.get(namespace).size());
        }
        return new PartitionUsage(PARTITION, capacity, usedPublished, entries);
    }

    long capacity() {
        return capacity;
    }

    int maxEntries() {
        return maxEntries;
    }

    /** Erase counts per block, for wear statistics; call while no write runs. */
    long[] eraseCounts() {
        long[] counts = new long[blocks.length];
        for (Block b : blocks) {
            counts[b.index] = b.eraseCount;
        }
        return counts;
    }

    // ------------------------------------------------------------------------------------------
    // Writes

    void clear() {
        List<Change> removals = new ArrayList<>();
        for (Namespace namespace : Namespace.values()) {
            for (String name : live.get(namespace).keySet()) {
                removals.add(Change.remove(namespace, name));
            }
        }
        damagedNames.clear();
        apply(removals);
    }

    void apply(List<Change> changes) {
        if (changes == null) {
            throw new NullPointerException("changes");
        }
        if (changes.isEmpty()) {
            return;
        }
        Batch batch = prepare(changes);
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
        if (last.size() > LogFormat.MAX_ENTRIES_PER_RECORD) {
            throw new IllegalArgumentException("a batch of " + last.size() + " names exceeds the "
                    + LogFormat.MAX_ENTRIES_PER_RECORD + " one write can hold");
        }
        List<Change> unique = new ArrayList<>(last.values());
        byte[][] names = new byte[unique.size()][];
        int[] crcs = new int[unique.size()];
        for (int i = 0; i < unique.size(); i++) {
            names[i] = unique.get(i).name().getBytes(StandardCharsets.UTF_8);
            crcs[i] = LogFormat.valueCrc(unique.get(i).data());
        }
        return new Batch(unique, names, crcs);
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
        List<Batch> written = new ArrayList<>();
        Set<Key> touched = new HashSet<>();
        try {
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
                    if (writeBatch(batch, touched)) {
                        written.add(batch);
                    }
                } catch (DatastoreException e) {
                    batch.error = e;
                }
            }
            if (!written.isEmpty() || unsynced) {
                syncNow();
            }
            for (Key key : touched) {
                publish(key, keys.get(key));
            }
            usedPublished = used;
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

    /** The most writes one sync covers, so a stream of writers cannot keep a leader from returning. */
    static final int MAX_GROUP = 256;

    private void fail(Throwable cause) {
        if (failed == null) {
            failed = new DatastoreException("the runtime partition's flash failed (" + cause
                    + "); it refuses writes until it is mounted again", PARTITION, null, cause);
        }
    }

    /** Writes one batch as one record; false if it changed nothing. Capacity errors change nothing. */
    private boolean writeBatch(Batch batch, Set<Key> touched) throws IOException {
        List<Change> changes = batch.changes;
        List<LogFormat.EncodedEntry> encoded = new ArrayList<>();
        List<Key> encodedKeys = new ArrayList<>();
        long newUsed = used;
        long newEntries = entryCount;
        String firstName = changes.get(0).name();
        for (int i = 0; i < changes.size(); i++) {
            Change change = changes.get(i);
            Key key = new Key(change.namespace(), change.name());
            KeyState state = keys.get(key);
            boolean present = state != null && !state.current.removal;
            if (change.isRemoval()) {
                boolean damagedHere = damagedNames.containsKey(damagedId(change.namespace().code(),
                        LogFormat.nameCrc(change.namespace().code(), batch.names[i])));
                if (!present && !damagedHere) {
                    continue;
                }
            }
            if (present) {
                newUsed -= state.current.payload();
                newEntries--;
            }
            if (!change.isRemoval()) {
                newUsed += batch.names[i].length + change.data().remaining();
                newEntries++;
            }
            encoded.add(new LogFormat.EncodedEntry(change.namespace().code(), change.format(), batch.names[i],
                    change.data(), batch.valueCrcs[i]));
            encodedKeys.add(key);
        }
        if (encoded.isEmpty()) {
            return false;
        }
        if (newUsed > capacity && newUsed > used) {
            throw new PartitionFullException(PARTITION, firstName, newUsed, capacity);
        }
        if (newEntries > maxEntries && newEntries > entryCount) {
            throw new EntryLimitException(firstName, newUsed, capacity, newEntries, maxEntries);
        }
        long seq = nextSeq;
        ByteBuffer record = LogFormat.encode(seq, encoded.toArray(new LogFormat.EncodedEntry[0]), programSize);
        nextSeq += encoded.size();
        RecordRef ref = append(record, seq);
        EntryLoc[] locs = locate(ref, encoded, record);
        for (int i = 0; i < locs.length; i++) {
            install(encodedKeys.get(i), locs[i]);
            touched.add(encodedKeys.get(i));
            damagedNames.computeIfPresent(damagedId(locs[i].namespace.code(),
                    LogFormat.nameCrc(locs[i].namespace.code(), locs[i].name)), (k, r) -> r < seq + locs.length ? null : r);
        }
        touched.addAll(relocated);
        relocated.clear();
        return true;
    }

    /** Builds the index entries of a record just written. */
    private EntryLoc[] locate(RecordRef ref, List<LogFormat.EncodedEntry> encoded, ByteBuffer record) {
        int count = encoded.size();
        long at = LogFormat.metaSize(count);
        long names = 0;
        for (LogFormat.EncodedEntry e : encoded) {
            names += e.name().length;
        }
        long valuesAt = at + names;
        EntryLoc[] locs = new EntryLoc[count];
        for (int i = 0; i < count; i++) {
            LogFormat.EncodedEntry e = encoded.get(i);
            int[] pos = e.valueLength() == 0 ? new int[] {-1, 0} : advance(ref.startBlock, ref.startOffset, valuesAt, null);
            locs[i] = new EntryLoc(Namespace.ofCode(e.namespaceCode()), new String(e.name(), StandardCharsets.UTF_8),
                    e.name().length, ref.seq + i, e.format(), e.value() == null, e.valueLength(), e.valueCrc(), pos[0],
                    pos[1], pos[0] < 0 ? 0 : blocks[pos[0]].gen, false, ref,
                    LogFormat.singletonSize(e.name().length, e.valueLength(), programSize));
            valuesAt += e.valueLength();
        }
        ref.entries = locs;
        return locs;
    }

    /** Makes {@code loc} the newest version of its name in the writer's state. */
    private void install(Key key, EntryLoc loc) {
        KeyState state = keys.get(key);
        if (state == null) {
            state = new KeyState();
            keys.put(key, state);
        } else {
            EntryLoc old = state.current;
            if (!old.removal) {
                used -= old.payload();
                entryCount--;
            }
            setCounted(old, false);
            state.stale++;
        }
        state.current = loc;
        if (!loc.removal) {
            used += loc.payload();
            entryCount++;
        }
        setCounted(loc, !loc.removal || state.stale > 0);
    }

    /**
     * Appends a record to the log, collecting garbage first if the free blocks would drop below what
     * the record and the collector's reserve need.
     */
    private RecordRef append(ByteBuffer record, long seq) throws IOException {
        int length = record.remaining();
        boolean large = length > largeRecordBytes;
        int need;
        if (large || active < 0) {
            need = (length + payloadPerBlock - 1) / payloadPerBlock;
        } else {
            int room = blockSize - activePos;
            need = length <= room ? 0 : (length - room + payloadPerBlock - 1) / payloadPerBlock;
        }
        if (!collecting) {
            ensureFree(need + reserveBlocks);
        } else if (freeBlocks < need) {
            throw new IllegalStateException("the collector ran out of reserve blocks (" + freeBlocks + " free, "
                    + need + " needed)");
        }
        int block;
        int pos;
        if (large) {
            block = openBlock(-1, 0, true);
            pos = headerSize;
        } else {
            if (active < 0 || activePos >= blockSize) {
                active = openBlock(-1, 0, false);
                activePos = headerSize;
            }
            block = active;
            pos = activePos;
        }
        RecordRef ref = new RecordRef(block, pos, seq);
        blocks[block].starting.add(ref);
        blocks[block].overlapping.add(ref);
        int offset = 0;
        int remaining = length;
        while (remaining > 0) {
            if (pos >= blockSize) {
                int next = openBlock(block, Math.min(remaining, payloadPerBlock), large);
                block = next;
                pos = headerSize;
                blocks[block].overlapping.add(ref);
            }
            int n = Math.min(remaining, blockSize - pos);
            region.program(offsetOf(block, pos), record.slice(record.position() + offset, n));
            unsynced = true;
            pos += n;
            offset += n;
            remaining -= n;
        }
        if (!large) {
            active = block;
            activePos = pos;
        }
        return ref;
    }

    /** Takes the least-worn free block, erasing it if needed, and writes its header. */
    private int openBlock(int prev, int contLength, boolean large) throws IOException {
        int chosen = -1;
        for (Block b : blocks) {
            if ((b.state == FREE || b.state == DIRTY) && (chosen < 0 || b.eraseCount < blocks[chosen].eraseCount)) {
                chosen = b.index;
            }
        }
        if (chosen < 0) {
            throw new IllegalStateException("no free block left in the runtime region");
        }
        Block block = blocks[chosen];
        if (block.state == DIRTY) {
            eraseRaw(block);
        }
        long blockSeq = nextBlockSeq++;
        long prevSeq = prev < 0 ? 0 : blocks[prev].seq;
        byte[] header = LogFormat.blockHeader(LogFormat.KIND_LOG, blockSeq, prevSeq, nextSeq, contLength, programSize);
        block.state = LOG;
        block.seq = blockSeq;
        freeBlocks--;
        region.program(offsetOf(chosen, 0), ByteBuffer.wrap(header));
        unsynced = true;
        if (prev >= 0) {
            block.prev = prev;
            blocks[prev].nextGen = block.gen;
            blocks[prev].next = chosen;
        }
        return chosen;
    }

    private void syncNow() throws IOException {
        region.sync();
        unsynced = false;
    }

    private void eraseRaw(Block block) throws IOException {
        region.erase(block.index);
        unsynced = true;
        block.eraseCount++;
        block.state = FREE;
    }

    // ------------------------------------------------------------------------------------------
    // Garbage collection

    private void ensureFree(int need) throws IOException {
        long deadline = 0;
        while (freeBlocks < need) {
            if (collectOne()) {
                deadline = 0;
                continue;
            }
            if (!anyPinned()) {
                throw new DatastoreException("the runtime partition cannot reclaim flash space: " + freeBlocks
                        + " blocks free, " + need + " needed", PARTITION, null);
            }
            long now = System.currentTimeMillis();
            if (deadline == 0) {
                deadline = now + viewWaitMillis;
            } else if (now >= deadline) {
                throw new DatastoreException("the runtime partition cannot reclaim flash space while views are open on "
                        + pinnedCount() + " blocks (waited " + viewWaitMillis + " ms)", PARTITION, null);
            }
            synchronized (pinMonitor) {
                try {
                    pinMonitor.wait(Math.max(1, Math.min(50, deadline - now)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DatastoreException("interrupted while waiting for open views to close", PARTITION, null, e);
                }
            }
        }
    }

    private boolean anyPinned() {
        return pinnedCount() > 0;
    }

    private int pinnedCount() {
        int pinned = 0;
        for (Block b : blocks) {
            if (b.pins.get() > 0) {
                pinned++;
            }
        }
        return pinned;
    }

    private long cost(Block block) {
        long cost = 0;
        for (RecordRef ref : block.overlapping) {
            cost += ref.liveBytes;
        }
        return cost;
    }

    /** Frees at least one block: erases a dead one, or moves the live data out of a victim. */
    private boolean collectOne() throws IOException {
        gcRuns++;
        long maxErase = 0;
        for (Block b : blocks) {
            maxErase = Math.max(maxErase, b.eraseCount);
        }
        Block best = null;
        long bestCost = Long.MAX_VALUE;
        Block coldest = null;
        long coldestCost = 0;
        for (Block b : blocks) {
            if (b.state != LOG || b.index == active || b.pins.get() != 0) {
                continue;
            }
            long cost = cost(b);
            if (cost < bestCost || (cost == bestCost && b.eraseCount < best.eraseCount)) {
                best = b;
                bestCost = cost;
            }
            if (coldest == null || b.eraseCount < coldest.eraseCount) {
                coldest = b;
                coldestCost = cost;
            }
        }
        if (best == null) {
            return false;
        }
        long budget = (long) (freeBlocks - 1) * payloadPerBlock;
        // Static data would otherwise sit on its blocks forever while the rest wear out: now and then
        // move the least-worn block's contents so that block joins the rotation.
        Block victim = best;
        long victimCost = bestCost;
        if (coldest != null && coldest != best && gcRuns % 8 == 0 && maxErase - coldest.eraseCount > WEAR_SPREAD && coldestCost <= budget
                && coldestCost < payloadPerBlock * 4L) {
            victim = coldest;
            victimCost = coldestCost;
        } else if (bestCost >= payloadPerBlock || bestCost > budget) {
            return false;
        }
        relocate(victim);
        return erase(victim);
    }

    /** Erase-count distance between the most and least worn block above which cold data is moved. */
    static final int WEAR_SPREAD = 8;

    private void relocate(Block victim) throws IOException {
        collecting = true;
        try {
            for (RecordRef ref : new ArrayList<>(victim.overlapping)) {
                if (ref.liveBytes == 0) {
                    continue;
                }
                for (EntryLoc loc : ref.entries) {
                    if (loc.counted) {
                        copy(loc);
                    }
                }
            }
        } finally {
            collecting = false;
        }
    }

    /** Writes an entry again as a record of its own, with the same revision and the same stored CRC. */
    private void copy(EntryLoc loc) throws IOException {
        byte[] value = new byte[loc.valueLength];
        if (loc.valueLength > 0 && !readChain(loc.block, loc.offset, value, 0, value.length)) {
            throw new IllegalStateException("live " + loc.namespace.id() + " entry \"" + loc.name + "\" revision "
                    + loc.revision + " lost its blocks");
        }
        byte[] name = loc.name.getBytes(StandardCharsets.UTF_8);
        LogFormat.EncodedEntry entry = new LogFormat.EncodedEntry(loc.namespace.code(), loc.format, name,
                loc.removal ? null : ByteBuffer.wrap(value), loc.valueCrc);
        ByteBuffer record = LogFormat.encode(loc.revision, new LogFormat.EncodedEntry[] {entry}, programSize);
        RecordRef ref = append(record, loc.revision);
        int[] pos = loc.valueLength == 0 ? new int[] {-1, 0}
                : advance(ref.startBlock, ref.startOffset, LogFormat.metaSize(1) + name.length, null);
        EntryLoc moved = new EntryLoc(loc.namespace, loc.name, loc.nameLength, loc.revision, loc.format, loc.removal,
                loc.valueLength, loc.valueCrc, pos[0], pos[1], pos[0] < 0 ? 0 : blocks[pos[0]].gen, loc.corrupt, ref,
                loc.cost);
        ref.entries = new EntryLoc[] {moved};
        Key key = new Key(loc.namespace, loc.name);
        KeyState state = keys.get(key);
        setCounted(loc, false);
        state.stale++;
        state.current = moved;
        setCounted(moved, true);
        relocated.add(key);
    }

    /**
     * Erases a block whose live data has moved. The copies (and every supersession that made its
     * records garbage) are synced first, and readers are pointed at the copies before the erase.
     */
    private boolean erase(Block victim) throws IOException {
        if (unsynced) {
            syncNow();
        }
        for (Key key : relocated) {
            publish(key, keys.get(key));
        }
        if (!victim.pins.compareAndSet(0, -1)) {
            return false;
        }
        try {
            region.erase(victim.index);
        } catch (IOException e) {
            victim.pins.set(0);
            throw e;
        }
        unsynced = true;
        victim.eraseCount++;
        for (RecordRef ref : victim.starting) {
            for (EntryLoc loc : ref.entries) {
                if (loc.orphan) {
                    continue;
                }
                Key key = new Key(loc.namespace, loc.name);
                KeyState state = keys.get(key);
                if (state == null) {
                    continue;
                }
                if (state.current == loc) {
                    // Only a tombstone with no older copies left is dropped without a copy.
                    keys.remove(key);
                    publish(key, null);
                } else {
                    state.stale--;
                    if (state.current.removal && state.stale == 0) {
                        setCounted(state.current, false);
                    }
                }
            }
        }
        if (victim.prev >= 0 && blocks[victim.prev].next == victim.index) {
            blocks[victim.prev].next = -1;
        }
        if (victim.next >= 0 && blocks[victim.next].prev == victim.index) {
            blocks[victim.next].prev = -1;
        }
        victim.next = -1;
        victim.prev = -1;
        victim.starting.clear();
        victim.overlapping.clear();
        victim.state = FREE;
        victim.seq = 0;
        freeBlocks++;
        victim.gen++;
        victim.pins.set(0);
        return true;
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

}
