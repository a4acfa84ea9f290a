package datastore.ephemeral;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.InvalidNameException;
import datastore.Limits;
import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.Partitions;
import datastore.ValueTooLargeException;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * The ephemeral partition's engine: entries kept in a memory-mapped file (the arena) outside the Java
 * heap, with only an index of slots on the heap. The engine is a plain class so that it can be tested,
 * and re-opened on the same file as a bundle update does, without a framework.
 *
 * <h2>File layout</h2> A 4 KiB header (magic, format version, SHA-256 of the framework launch
 * identity, the revision counter, the committed revision, the clear floor and the top of the record
 * area) is followed by 8-byte aligned records appended at the top. A record is self-describing:
 * magic, span, a shared pin word and a dead flag (both outside the checksum because they change in
 * place), a CRC32C over the rest of the header and the payload, kind (put or tombstone), namespace code,
 * format byte, name length, revision, value length, then the UTF-8 name and the value. A filler
 * (magic and span only) covers holes that compaction had to leave in front of pinned records.
 *
 * <h2>Atomicity</h2> A write (one {@link #apply(List)} call, whatever its size) first reserves its
 * revisions in the header, writes all its records above the top, then moves the top and finally stores
 * its last revision as the committed revision: that one 8-byte store is the commit point. A scan at
 * open ignores every record whose revision is above the committed one or below the clear floor, or
 * whose checksum fails, so a write torn by a stop in the middle is wholly absent. For each name the
 * highest committed revision wins; a winning tombstone means the name is absent. Superseded records
 * and tombstones are flagged dead after the commit, which only saves the next scan some work; the
 * records of a write abandoned before its commit point (an exception or error in the writer) are
 * flagged dead at once, because the next commit stores a higher revision that would make them count.
 *
 * <h2>Checksums</h2> A record's CRC32C is computed from the bytes the writer was given, not read back
 * from the mapping. The scan at open verifies every record. Because the file is shared memory that
 * another process could write, a read verifies too, without paying for it on every read: each
 * {@code open} checks the header fields that locate the value (magic, revision, value length), and the
 * first {@code open} of each record as written, scanned or moved checks its CRC32C over header, name
 * and value, and caches the verdict on the record's slot. A record never changes while it is live, so
 * a later check would only catch damage done after the first read; that much is left to the next scan,
 * so that a read of a large value costs what a read of a small one does. Compaction, which walks
 * the file by the spans in its headers, checks each header against the slots and never steps past a
 * record a slot places; it steps over a header that fails to that record, leaving those bytes alone.
 *
 * <h2>Space</h2> Capacity counts payload (UTF-8 name plus value) of live entries only. Physical space
 * is reclaimed by compaction: when a write does not fit, live records are packed in address order,
 * each into the first gap that holds it or slid down over the dead bytes just below it, and the top
 * drops to the end of the survivors. Records that an open view pins (in this instance, or in an earlier
 * one through the shared pin word) never move; the free bytes in front of them become gaps (fillers in
 * the file) that compaction and later writes fill first-fit, so a long-held view costs about its own
 * record, not the space around it. After compaction the arena holds the live records plus what views
 * pin, and a write that the payload check admitted always fits once the file reaches {@code top + write}:
 * the promised capacity holds whatever the history of overwrites, removals and fragmentation. The
 * file grows lazily (written with zeros, so that a full tmpfs surfaces as an I/O error here rather than
 * as a fault on a mapped page) up to about {@code live records + the write + slack}, where {@code slack
 * = max(64 KiB, capacity / 8)}; beyond that the arena compacts instead of growing, so garbage costs at
 * most the slack and a compaction is amortised over at least {@code slack} written bytes. For a full
 * 128 MiB partition of KiB-sized entries that is about 150 MiB of tmpfs. Space pinned by open views is
 * sized for, never waited for: while views pin old bytes the file grows past that size, and the space
 * is reused once they close (the file itself does not shrink until the next launch replaces it). The
 * arena never exceeds {@link #MAX_ARENA_BYTES}, the limit of one mapping; only pathological uses (tens
 * of millions of tiny entries, whose 40-byte record headers then outweigh the payload, or gigabytes
 * held by views) reach it, and the write is then refused with a {@link DatastoreException} that
 * changes nothing.
 *
 * <h2>Concurrency</h2> Writes, compaction, {@link #clear()} and {@link #close()} serialise on one lock.
 * Reads take no lock: a concurrent hash map per namespace gives the slot, a CAS on the slot's pin count
 * pins it. Compaction retires a slot (pin count 0 to retired) before moving its bytes, so a reader that
 * meets a retired slot looks it up again and briefly spins while a record it wants is being moved.
 * A write becomes visible all at once, through a sequence lock over the index: after its commit point,
 * the writer makes the sequence odd, publishes the write's index changes (only those: its bytes are
 * already written) and makes it even again. A reader reads the sequence before and after its lookup and
 * pin, and retries (spinning briefly while it is odd) unless both are the same even value; so each
 * {@code open} sees the index as it stood between two writes, and a later {@code open} never sees an
 * older state than an earlier one saw. Listings and usage are snapshots the same way, taken under the
 * lock after a few attempts that writes kept invalidating. A value-only {@link #read} of a small,
 * verified record skips the pin: it copies the bytes, then accepts them only if the slot is still live
 * and the sequence unchanged. Every path that overwrites a record's bytes (compaction moving records or
 * filling gaps, writes into freed space, a later arena on the file after {@link #close()}) retires or
 * hands off its slot first, and a slot never becomes live again.
 *
 * <h2>Life cycle and formats</h2> The first 48 bytes - magic, format version, launch identity - keep
 * their place in every format version (a format that cannot keep them must change the magic). Opening
 * with the launch identity recorded in the header keeps the contents (a bundle update); an arena of
 * any other launch identity, whatever its version, is replaced by a fresh, empty arena (a dock
 * restart, which empties the partition by contract), as is an empty file. Everything else that is not
 * an arena of a version this build reads ({@link #FORMAT_VERSION}; format 1 is the first, so there is
 * no older one to migrate yet) is refused with an {@link ArenaRefusedException} and left untouched:
 * a file without the magic (not ours), a newer version written during this launch (a hot-replace by
 * an older bundle must not discard what the newer one kept), or a header of this launch that is cut
 * short or damaged. {@link #replace} is the explicit act that formats such a file. A replacement is a
 * new file renamed over the old one, so mappings still held by views of an earlier framework in the
 * same process stay valid.
 * {@link #close()} waits for the write in progress, then hands the pins of still-open views over to the
 * file; those views stay readable and the next instance leaves their bytes alone until they close.
 * An interrupt of a writer never closes the file channel (it would for every later growth): growth
 * holds a pending interrupt off and hands it back, and reopens the same file if one arrived meanwhile.
 */
final class Arena implements AutoCloseable {

    /** The largest arena file: what one {@link MappedByteBuffer} can map, rounded down to 64 KiB. */
    static final long MAX_ARENA_BYTES = Integer.MAX_VALUE & ~0xFFFFL;
    /** The largest configurable capacity; leaves room in {@link #MAX_ARENA_BYTES} for slack and overhead. */
    static final long MAX_CAPACITY = 1L << 30;

    static final int HEADER_SIZE = 4096;
    static final long ARENA_MAGIC = 0x3148504541524144L; // "DARAEPH1" read little-endian
    static final int FORMAT_VERSION = 1;
    static final int H_MAGIC = 0;
    static final int H_VERSION = 8;
    static final int H_LAUNCH = 16; // 32 bytes: SHA-256 of the launch identity
    static final int H_NEXT_REVISION = 48;
    static final int H_COMMITTED_REVISION = 56;
    static final int H_FLOOR_REVISION = 64;
    static final int H_TOP = 72;
    /** The bytes every format version keeps in place: magic, version, launch identity. */
    static final int STABLE_PREFIX = H_LAUNCH + 32;

    static final int RECORD_MAGIC = 0x52504544; // "DEPR"
    static final int FILLER_MAGIC = 0x4C494644; // "DFIL"
    static final int R_MAGIC = 0;
    static final int R_SPAN = 4;
    static final int R_PINS = 8;
    static final int R_FLAGS = 12;
    static final int R_CRC = 16;
    static final int R_KIND = 20;
    static final int R_NAMESPACE = 21;
    static final int R_FORMAT = 22;
    static final int R_NAME_LENGTH = 23;
    static final int R_REVISION = 24;
    static final int R_VALUE_LENGTH = 32;
    static final int RECORD_HEADER = 40;
    /** The checksum covers the record from here to the end of its value. */
    static final int CRC_START = R_KIND;

    static final int KIND_PUT = 1;
    static final int KIND_TOMBSTONE = 2;
    static final int FLAG_DEAD = 1;

    private static final int GROWTH_UNIT = 64 * 1024;
    private static final long MIN_SLACK = 64 * 1024;
    private static final int SPIN_BEFORE_YIELD = 256;
    /** Lock-free attempts at a listing or usage snapshot before it waits for the writer instead. */
    private static final int OPTIMISTIC_SNAPSHOTS = 8;
    /**
     * Values up to this size are read by {@link #read} without a pin: copied, then validated. Larger ones
     * are decoded through a pinned view, straight from the mapping, so no big copy is ever thrown away.
     */
    static final int OPTIMISTIC_READ_BYTES = 4096;
    /** Unpinned attempts at a small read before it takes a pin instead, so that churn cannot starve it. */
    private static final int OPTIMISTIC_READS = 8;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(GROWTH_UNIT);
    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final Namespace[] BY_CODE = new Namespace[256];
    private static final VarHandle PUBLICATION;

    static {
        for (Namespace namespace : Namespace.values()) {
            BY_CODE[namespace.code()] = namespace;
        }
        try {
            PUBLICATION = MethodHandles.lookup().findVarHandle(Arena.class, "publication", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One mapping of the file, read-write for the engine and read-only for slices handed to views. */
    private record Mapping(MappedByteBuffer rw, ByteBuffer ro) {
        static Mapping of(MappedByteBuffer map) {
            map.order(ByteOrder.LITTLE_ENDIAN);
            return new Mapping(map, map.asReadOnlyBuffer());
        }
    }

    /** A change after validation, with its name encoded once. */
    private record Prepared(Namespace namespace, String name, byte[] nameBytes, int format, ByteBuffer value) {
        boolean isRemoval() {
            return value == null;
        }

        int valueLength() {
            return value == null ? 0 : value.remaining();
        }

        int span() {
            return recordSpan(nameBytes.length, valueLength());
        }
    }

    private record Key(Namespace namespace, String name) {
    }

    private final String partition = Partitions.EPHEMERAL;
    private final Path path;
    private final long capacity;
    private final long slack;
    /** Identity of the arena file, to reopen the very same file when an interrupt closed the channel. */
    private final Object fileKey;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentHashMap<String, Slot>[] index;
    /** Superseded or removed records still pinned by a view of this instance, by position; under the lock. */
    private final Map<Integer, Slot> pinnedGarbage = new HashMap<>();

    private volatile Mapping mapping;
    private volatile boolean closed;
    private volatile long used;
    /**
     * A sequence lock over the index: even while it is stable, odd while the writer publishes one
     * batch's index changes. A reader that saw the same even value before and after its lookup saw no
     * batch in part.
     */
    private volatile long publication;
    // Guarded by writeLock:
    private FileChannel channel;
    private long mapped;
    private long top;
    /** Free [start, end) ranges below the top, in front of pinned records; fillers in the file. */
    private List<long[]> gaps = new ArrayList<>();
    private long liveSpan;
    private long nextRevision;
    private long committedRevision;
    private long floorRevision;
    private int compactions;
    /** Tests only: runs after a write's records, before its commit point, to simulate a writer stopped there. */
    Runnable beforeCommit;
    /** Tests only: runs where the file grows, before its first write, to simulate an interrupt arriving there. */
    Runnable duringGrowth;
    /** Tests only: runs in an unpinned read between its header check and its copy, to simulate a reader stalled there. */
    Runnable beforeCopy;

    /**
     * Opens the arena in {@code path}, creating it, or replacing an arena of another launch, as the
     * launch identity demands (see the class comment).
     *
     * @param path the arena file; its directory must exist
     * @param capacity the payload bytes the partition promises, 1 to {@link #MAX_CAPACITY}
     * @param launchId the identity of this framework launch; an arena recorded with another one starts empty
     * @throws IllegalArgumentException if {@code capacity} is out of range
     * @throws ArenaRefusedException if the file is not an arena this build may reuse or replace on its
     *         own; the file is then untouched
     * @throws DatastoreException if the file cannot be opened, mapped or written
     */
    @SuppressWarnings("unchecked")
    Arena(Path path, long capacity, String launchId) {
        this.path = Objects.requireNonNull(path, "path");
        Objects.requireNonNull(launchId, "launchId");
        if (capacity <= 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("the ephemeral capacity must be between 1 and " + MAX_CAPACITY
                    + " bytes, not " + capacity);
        }
        this.capacity = capacity;
        this.slack = Math.max(MIN_SLACK, capacity / 8);
        this.index = new ConcurrentHashMap[Namespace.values().length];
        for (int i = 0; i < index.length; i++) {
            index[i] = new ConcurrentHashMap<>();
        }
        byte[] launch = sha256(launchId);
        // A pending interrupt would close the channel at its first read: keep it for the caller instead.
        boolean interrupted = Thread.interrupted();
        try {
            try {
                // Never through a symbolic link: whoever could place one would choose the file the dock writes.
                FileChannel opened = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                String refusal;
                try {
                    refusal = inspect(opened, launch);
                } catch (IOException | RuntimeException e) {
                    opened.close();
                    throw e;
                }
                if (refusal != null) {
                    opened.close();
                    throw new ArenaRefusedException("the ephemeral arena " + path + " " + refusal + "; it is left as "
                            + "it is: configure another path, or format the ephemeral partition to replace it");
                }
                if (replace) {
                    opened.close();
                    opened = format(path, launch);
                }
                this.channel = opened;
                this.fileKey = fileKey(path);
            } catch (IOException e) {
                throw new DatastoreException("cannot open the ephemeral arena " + path + ": " + e.getMessage(),
                        partition, null, e);
            }
            try {
                load();
            } catch (IOException | RuntimeException e) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw new DatastoreException("cannot map the ephemeral arena " + path + ": " + e.getMessage(),
                        partition, null, e);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    /** The physical size the arena reaches for a partition of {@code capacity} filled with entries of a few KiB. */
    static long typicalSize(long capacity) {
        return HEADER_SIZE + capacity + Math.max(MIN_SLACK, capacity / 8) + capacity / 64;
    }

    static int recordSpan(int nameLength, int valueLength) {
        return align8(RECORD_HEADER + nameLength + valueLength);
    }

    // ---------------------------------------------------------------- opening

    /** Set by {@link #inspect}: whether the file is to be replaced by a fresh arena. */
    private boolean replace;

    /**
     * Decides what the file is: an arena to reuse (returns null), one to replace by a fresh arena
     * (returns null and sets {@link #replace}), or something to refuse (returns what it is).
     */
    private String inspect(FileChannel file, byte[] launch) throws IOException {
        long size = file.size();
        if (size == 0) {
            replace = true; // created just now, or never written
            return null;
        }
        ByteBuffer header = ByteBuffer.allocate((int) Math.min(size, HEADER_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        while (header.hasRemaining() && file.read(header, header.position()) > 0) {
            // read the whole header
        }
        if (header.position() < 8 || header.getLong(H_MAGIC) != ARENA_MAGIC) {
            byte[] start = new byte[Math.min(header.position(), 8)];
            header.get(0, start);
            return "(" + size + " bytes) is not an arena of this store: it does not start with the magic DARAEPH1 "
                    + "(it starts with " + (start.length == 0 ? "nothing" : java.util.HexFormat.of().formatHex(start))
                    + ")";
        }
        if (header.position() < STABLE_PREFIX) {
            return "is an arena cut short to " + size + " bytes, inside its " + HEADER_SIZE + "-byte header";
        }
        int version = header.getInt(H_VERSION);
        byte[] recorded = new byte[launch.length];
        header.get(H_LAUNCH, recorded);
        boolean thisLaunch = MessageDigest.isEqual(recorded, launch);
        if (!thisLaunch) {
            // A dock restart: the partition starts empty by contract, whatever the old arena's version.
            replace = true;
            return null;
        }
        if (version > FORMAT_VERSION) {
            return "is in arena format " + version + ", newer than the format " + FORMAT_VERSION + " this build reads; "
                    + "a bundle of a newer build wrote it during this framework launch, and replacing it would lose "
                    + "what a hot-replace must keep";
        }
        if (version < 1) {
            return "names arena format " + version + ", which no build wrote (its header is damaged)";
        }
        if (size < HEADER_SIZE) {
            return "is an arena cut short to " + size + " bytes, inside its " + HEADER_SIZE + "-byte header";
        }
        if (size > MAX_ARENA_BYTES) {
            return "is " + size + " bytes, more than the " + MAX_ARENA_BYTES + " bytes of the largest arena";
        }
        long next = header.getLong(H_NEXT_REVISION);
        long committed = header.getLong(H_COMMITTED_REVISION);
        long floor = header.getLong(H_FLOOR_REVISION);
        long recordedTop = header.getLong(H_TOP);
        if (!(next > 0 && committed >= 0 && committed < next && floor >= 0 && floor <= next
                && recordedTop >= HEADER_SIZE && (recordedTop & 7) == 0)) {
            return "has a damaged header (next revision " + next + ", committed " + committed + ", floor " + floor
                    + ", top " + recordedTop + ")";
        }
        return null;
    }

    /**
     * Replaces whatever {@code path} holds by a fresh, empty arena of this launch: the explicit format
     * of a refused arena.
     *
     * @throws DatastoreException if the file cannot be written
     */
    static void replace(Path path, String launchId) {
        try {
            format(path, sha256(launchId)).close();
        } catch (IOException e) {
            throw new DatastoreException("cannot format the ephemeral arena " + path + ": " + e.getMessage(),
                    Partitions.EPHEMERAL, null, e);
        }
    }

    /**
     * Writes a fresh arena to a new file and renames it over {@link #path}: mappings of the old file,
     * held by views of an earlier launch in this process, keep their own bytes.
     */
    private static FileChannel format(Path path, byte[] launch) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Path fresh = Files.createTempFile(parent, path.getFileName().toString(), ".new");
        try {
            try (FileChannel file = FileChannel.open(fresh, StandardOpenOption.WRITE)) {
                ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                header.putLong(H_MAGIC, ARENA_MAGIC);
                header.putInt(H_VERSION, FORMAT_VERSION);
                header.put(H_LAUNCH, launch);
                header.putLong(H_NEXT_REVISION, 1);
                header.putLong(H_COMMITTED_REVISION, 0);
                header.putLong(H_FLOOR_REVISION, 0);
                header.putLong(H_TOP, HEADER_SIZE);
                while (header.hasRemaining()) {
                    file.write(header, header.position());
                }
            }
            Files.move(fresh, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(fresh);
        }
        return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private void load() throws IOException {
        mapped = channel.size() & ~7L;
        mapping = Mapping.of(channel.map(FileChannel.MapMode.READ_WRITE, 0, mapped));
        MappedByteBuffer map = mapping.rw();
        nextRevision = map.getLong(H_NEXT_REVISION);
        committedRevision = map.getLong(H_COMMITTED_REVISION);
        floorRevision = map.getLong(H_FLOOR_REVISION);
        // A file cut short loses the records beyond its end; the scan treats a cut record as torn.
        top = Math.min(map.getLong(H_TOP), mapped);
        map.putLong(H_TOP, top);
        scan();
    }

    /** A record found by the scan: the best so far for its name. */
    private record Found(int position, int span, long revision, int kind, int nameLength, int valueLength,
            int format) {
    }

    /** Rebuilds the index from the committed records, flags everything else dead and repairs torn spans. */
    private void scan() {
        MappedByteBuffer map = mapping.rw();
        List<Map<String, Found>> best = new ArrayList<>();
        for (int i = 0; i < index.length; i++) {
            best.add(new HashMap<>());
        }
        long position = HEADER_SIZE;
        while (position < top) {
            int at = (int) position;
            int magic = map.getInt(at);
            int span = map.getInt(at + R_SPAN);
            if (magic == FILLER_MAGIC && saneSpan(at, span, 8)) {
                position += span;
                continue;
            }
            if (magic != RECORD_MAGIC || !saneSpan(at, span, RECORD_HEADER) || !validRecord(map, at, span)) {
                // Torn or damaged: skip to the next intact record and cover the gap with a filler.
                long next = position + 8;
                while (next < top && !(map.getInt((int) next) == RECORD_MAGIC
                        && saneSpan((int) next, map.getInt((int) next + R_SPAN), RECORD_HEADER)
                        && validRecord(map, (int) next, map.getInt((int) next + R_SPAN)))) {
                    next += 8;
                }
                writeFiller(map, at, (int) (next - position));
                position = next;
                continue;
            }
            position += span;
            long revision = map.getLong(at + R_REVISION);
            if ((map.getInt(at + R_FLAGS) & FLAG_DEAD) != 0) {
                continue;
            }
            if (revision > committedRevision || revision < floorRevision) {
                markDead(map, at);
                continue;
            }
            Namespace namespace = BY_CODE[map.get(at + R_NAMESPACE) & 0xFF];
            int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
            String name = decodeName(map, at, nameLength);
            Found found = new Found(at, span, revision, map.get(at + R_KIND), nameLength,
                    map.getInt(at + R_VALUE_LENGTH), map.get(at + R_FORMAT) & 0xFF);
            Map<String, Found> names = best.get(namespace.ordinal());
            Found other = names.get(name);
            if (other == null || revision > other.revision()) {
                names.put(name, found);
                if (other != null) {
                    markDead(map, other.position());
                }
            } else {
                // An older write of the name, or a second copy of the same record.
                markDead(map, at);
            }
        }
        long payload = 0;
        for (Namespace namespace : Namespace.values()) {
            for (Map.Entry<String, Found> entry : best.get(namespace.ordinal()).entrySet()) {
                Found found = entry.getValue();
                if (found.kind() == KIND_TOMBSTONE) {
                    markDead(map, found.position());
                    continue;
                }
                Slot slot = new Slot(found.position(), found.span(), found.revision(), found.nameLength(),
                        found.valueLength(), found.format());
                index[namespace.ordinal()].put(entry.getKey(), slot);
                payload += slot.payload();
                liveSpan += slot.span;
            }
        }
        used = payload;
    }

    private boolean saneSpan(int at, int span, int minimum) {
        return span >= minimum && (span & 7) == 0 && at + (long) span <= top;
    }

    private static boolean validRecord(MappedByteBuffer map, int at, int span) {
        int kind = map.get(at + R_KIND);
        if (kind != KIND_PUT && kind != KIND_TOMBSTONE || BY_CODE[map.get(at + R_NAMESPACE) & 0xFF] == null) {
            return false;
        }
        int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
        int valueLength = map.getInt(at + R_VALUE_LENGTH);
        if (nameLength == 0 || valueLength < 0 || kind == KIND_TOMBSTONE && valueLength != 0
                || (long) RECORD_HEADER + nameLength + valueLength > span
                || recordSpan(nameLength, valueLength) != span) {
            return false;
        }
        return map.getInt(at + R_CRC) == checksum(map, at, nameLength + valueLength);
    }

    private static String decodeName(ByteBuffer map, int at, int nameLength) {
        byte[] bytes = new byte[nameLength];
        map.get(at + RECORD_HEADER, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- reads

    String name() {
        return partition;
    }

    long capacity() {
        return capacity;
    }

    Path path() {
        return path;
    }

    /**
     * Opens a pinned, zero-copy view of an entry, as the index stood at one instant between two batches.
     *
     * @throws DatastoreException if the arena is closed
     * @throws CorruptedEntryException if the record's header no longer names it (checked on every open)
     *         or its CRC32C fails (checked by the first open of each record as written, scanned or moved,
     *         then cached: a record never changes while it is live, and a read must cost about as much as
     *         a hash-map lookup whatever the value's size)
     */
    Optional<EntryView> open(Namespace namespace, String name) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        ConcurrentHashMap<String, Slot> names = index[namespace.ordinal()];
        Slot slot;
        for (int spins = 0;; spins = backOff(spins)) {
            if (closed) {
                throw closedException();
            }
            long stamp = publication;
            if ((stamp & 1) != 0) {
                continue; // a batch is being published: wait for all of it
            }
            slot = names.get(name);
            if (slot == null) {
                VarHandle.acquireFence(); // the lookup happens before the second read of the sequence
                if (publication == stamp) {
                    return Optional.empty();
                }
                continue;
            }
            if (!slot.tryPin()) {
                continue; // retired: superseded (the index already holds the successor) or being moved
            }
            if (publication == stamp) { // the pin's CAS orders the lookup before this read
                break;
            }
            slot.unpin(this); // a batch was published meanwhile: the slot may be of the state before it
        }
        if (closed) {
            slot.unpin(this);
            throw closedException();
        }
        Mapping current = mapping; // read after the slot: a slot is published after the mapping covering it
        String damage = damage(current.rw(), slot);
        if (damage != null) {
            slot.unpin(this);
            throw new CorruptedEntryException(partition, namespace, name, damage);
        }
        return Optional.of(new ArenaEntryView(this, slot, namespace, name, current.ro()));
    }

    /**
     * Reads an entry's value through {@code decoder}, as the index stood at one instant between two
     * batches. A small value of a record already verified is read without pinning its slot (two CASes
     * and a view less): its bytes are copied out, then the read is validated, and done again if the slot
     * was retired meanwhile (superseded, removed, moved, or handed off at close) or a batch was
     * published. That is sound because the arena overwrites a record's bytes only after retiring its
     * slot, and a retired slot never comes back. The decoder sees only validated bytes: the private
     * copy, or a pinned view's data. Other reads go through {@link #open}.
     *
     * @throws DatastoreException if the arena is closed
     * @throws CorruptedEntryException as {@link #open} does
     * @throws NullPointerException if the decoder returns null
     */
    <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(decoder, "decoder");
        ConcurrentHashMap<String, Slot> names = index[namespace.ordinal()];
        for (int attempt = 0; attempt < OPTIMISTIC_READS; attempt = backOff(attempt)) {
            if (closed) {
                throw closedException();
            }
            long stamp = publication;
            if ((stamp & 1) != 0) {
                continue; // a batch is being published: wait for all of it
            }
            Slot slot = names.get(name);
            if (slot == null) {
                VarHandle.acquireFence(); // the lookup happens before the second read of the sequence
                if (publication == stamp) {
                    return Optional.empty();
                }
                continue;
            }
            if (slot.valueLength > OPTIMISTIC_READ_BYTES || slot.integrity() != Slot.INTACT) {
                break; // large, or not verified yet: the pinned path verifies it once
            }
            MappedByteBuffer map = mapping.rw(); // read after the slot, as in open
            int at = slot.position;
            boolean located = map.getInt(at + R_MAGIC) == RECORD_MAGIC && map.getLong(at + R_REVISION) == slot.revision
                    && map.getInt(at + R_VALUE_LENGTH) == slot.valueLength;
            if (beforeCopy != null) {
                beforeCopy.run();
            }
            byte[] value = new byte[slot.valueLength];
            map.get(slot.valuePosition(), value);
            VarHandle.acquireFence(); // every byte above is read before the validation below
            if (!slot.live() || publication != stamp) {
                continue; // the bytes may be another record's by now, or the lookup of an older batch
            }
            if (!located) {
                break; // damaged from outside while live: open reports it
            }
            return Optional.of(decoder.apply(ByteBuffer.wrap(value)));
        }
        Optional<EntryView> view = open(namespace, name);
        if (view.isEmpty()) {
            return Optional.empty();
        }
        try (EntryView entry = view.get()) {
            return Optional.of(decoder.apply(entry.data()));
        }
    }

    private static int backOff(int spins) {
        if (spins < SPIN_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return spins + 1;
    }

    /**
     * What is wrong with a pinned slot's record, or null. The file is shared memory that another process
     * could write: every open checks the header fields that locate the value (one cache line), and the
     * first open of each slot checks the CRC32C over header, name and value once, caching the verdict.
     */
    private static String damage(ByteBuffer map, Slot slot) {
        int at = slot.position;
        if (map.getInt(at + R_MAGIC) != RECORD_MAGIC || map.getLong(at + R_REVISION) != slot.revision
                || map.getInt(at + R_VALUE_LENGTH) != slot.valueLength) {
            return "the arena holds no record of revision " + slot.revision + " at offset " + at;
        }
        int integrity = slot.integrity();
        if (integrity == Slot.UNVERIFIED) {
            boolean intact = map.get(at + R_KIND) == KIND_PUT
                    && (map.get(at + R_NAME_LENGTH) & 0xFF) == slot.nameLength
                    && (map.get(at + R_FORMAT) & 0xFF) == slot.format
                    && map.getInt(at + R_CRC) == checksum(map, at, slot.nameLength + slot.valueLength);
            integrity = intact ? Slot.INTACT : Slot.DAMAGED;
            slot.integrity(integrity);
        }
        return integrity == Slot.INTACT ? null
                : "the record of revision " + slot.revision + " at offset " + at + " fails its CRC32C";
    }

    /** The names in a namespace, sorted; an unmodifiable snapshot between two batches. */
    List<String> names(Namespace namespace) {
        Objects.requireNonNull(namespace, "namespace");
        ConcurrentHashMap<String, Slot> slots = index[namespace.ordinal()];
        List<String> names = snapshot(() -> new ArrayList<>(slots.keySet()));
        Collections.sort(names);
        return Collections.unmodifiableList(names);
    }

    /** Capacity, use and entry counts, as they stood between two batches. */
    PartitionUsage usage() {
        return snapshot(() -> {
            Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
            for (Namespace namespace : Namespace.values()) {
                entries.put(namespace, index[namespace.ordinal()].size());
            }
            return new PartitionUsage(partition, capacity, used, entries);
        });
    }

    /**
     * Reads the index between two batches: lock-free while no batch is published during the read, and
     * under the write lock (which every publication holds) after a few attempts that were, so that a
     * stream of small writes cannot starve a long listing.
     */
    private <T> T snapshot(Supplier<T> read) {
        for (int attempt = 0; attempt < OPTIMISTIC_SNAPSHOTS; attempt = backOff(attempt)) {
            ensureOpen();
            long stamp = publication;
            if ((stamp & 1) == 0) {
                T result = read.get();
                VarHandle.acquireFence();
                if (publication == stamp) {
                    return result;
                }
            }
        }
        writeLock.lock();
        try {
            ensureOpen();
            return read.get();
        } finally {
            writeLock.unlock();
        }
    }

    // ---------------------------------------------------------------- writes

    /**
     * Applies the changes atomically and in order. A removal of an absent name does nothing.
     *
     * @throws NullPointerException if the list, a change, its namespace or its name is null
     * @throws IllegalArgumentException if a format is outside 0-255
     * @throws InvalidNameException if a name is not a valid name ({@link Limits})
     * @throws ValueTooLargeException if a value exceeds its namespace's limit
     * @throws PartitionFullException if the payload after the changes would exceed the capacity
     * @throws DatastoreException if the arena is closed, or cannot grow to place the write
     */
    void apply(List<Change> changes) {
        Objects.requireNonNull(changes, "changes");
        ensureOpen();
        List<Prepared> prepared = new ArrayList<>(changes.size());
        for (Change change : changes) {
            prepared.add(prepare(change));
        }
        if (prepared.isEmpty()) {
            return;
        }
        writeLock.lock();
        try {
            ensureOpen();
            write(prepared);
        } finally {
            writeLock.unlock();
        }
    }

    private Prepared prepare(Change change) {
        Objects.requireNonNull(change, "change");
        Namespace namespace = Objects.requireNonNull(change.namespace(), "namespace");
        String name = Objects.requireNonNull(change.name(), "name");
        byte[] nameBytes = encodeName(name);
        if (change.isRemoval()) {
            return new Prepared(namespace, name, nameBytes, 0, null);
        }
        if (change.format() < 0 || change.format() > 255) {
            throw new IllegalArgumentException("format " + change.format() + " of \"" + name
                    + "\" is not a byte (0-255)");
        }
        ByteBuffer value = change.data().duplicate();
        if (value.remaining() > namespace.maxValueBytes()) {
            throw new ValueTooLargeException(namespace, name, value.remaining(), namespace.maxValueBytes());
        }
        return new Prepared(namespace, name, nameBytes, change.format(), value);
    }

    /** Encodes a name, refusing what {@link Limits} forbids: a name the format cannot hold faithfully. */
    static byte[] encodeName(String name) {
        if (name.isEmpty()) {
            throw new InvalidNameException(name, "a name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw new InvalidNameException(name, "control character at index " + i);
            }
        }
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer encoded;
        try {
            encoded = encoder.encode(java.nio.CharBuffer.wrap(name));
        } catch (CharacterCodingException e) {
            throw new InvalidNameException(name, "unpaired surrogate; a name must be well-formed UTF-16");
        }
        if (encoded.remaining() > Limits.MAX_NAME_BYTES) {
            throw new InvalidNameException(name, encoded.remaining() + " UTF-8 bytes; the limit is "
                    + Limits.MAX_NAME_BYTES);
        }
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }

    private void write(List<Prepared> changes) {
        // Payload check against the state after the whole batch; nothing is touched before it passes.
        Map<Key, Long> pending = new HashMap<>();
        List<Prepared> effective = new ArrayList<>(changes.size());
        long payload = used;
        String grower = null;
        long batchSpan = 0;
        for (Prepared change : changes) {
            Key key = new Key(change.namespace(), change.name());
            Long before = pending.get(key);
            if (before == null) {
                Slot slot = index[change.namespace().ordinal()].get(change.name());
                before = slot == null ? -1L : slot.payload();
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
        if (payload > capacity && payload > used) {
            throw new PartitionFullException(partition, grower, payload, capacity);
        }
        if (effective.isEmpty()) {
            return;
        }
        Placement plan = makeRoom(effective, batchSpan);

        MappedByteBuffer map = mapping.rw();
        long first = nextRevision;
        nextRevision += effective.size();
        // Reserve the revisions before writing: a torn write never hands its numbers to other bytes.
        map.putLong(H_NEXT_REVISION, nextRevision);
        int[] positions = plan.positions();
        try {
            // Shrunk gaps get their filler first: until a record's header lands, the old filler still spans it.
            for (long[] gap : plan.gaps()) {
                writeFiller(map, (int) gap[0], (int) (gap[1] - gap[0]));
            }
            for (int i = 0; i < effective.size(); i++) {
                writeRecord(map, positions[i], effective.get(i), first + i);
            }
            gaps = plan.gaps();
            top = plan.top();
            map.putLong(H_TOP, top);
            if (beforeCommit != null) {
                beforeCommit.run();
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

        long stamp = beginPublication();
        try {
            for (int i = 0; i < effective.size(); i++) {
                Prepared change = effective.get(i);
                ConcurrentHashMap<String, Slot> names = index[change.namespace().ordinal()];
                Slot old;
                if (change.isRemoval()) {
                    old = names.remove(change.name());
                    markDead(map, positions[i]);
                } else {
                    Slot slot = new Slot(positions[i], change.span(), first + i, change.nameBytes().length,
                            change.valueLength(), change.format());
                    old = names.put(change.name(), slot);
                    used += slot.payload();
                    liveSpan += slot.span;
                }
                if (old != null) {
                    used -= old.payload();
                    liveSpan -= old.span;
                    discard(map, old);
                }
            }
        } finally {
            endPublication(stamp);
        }
    }

    /** Makes the sequence odd; the full fence keeps the index changes that follow from passing it. */
    private long beginPublication() {
        return (long) PUBLICATION.getAndAdd(this, 1L) + 1;
    }

    private void endPublication(long stamp) {
        publication = stamp + 1; // a release: every index change of the batch is visible before it
    }

    /**
     * Writes a record. Its CRC32C is computed from the source bytes, not read back from the mapping, so
     * that it describes what the writer meant: the first open then verifies the copy in shared memory.
     */
    private void writeRecord(MappedByteBuffer map, int at, Prepared change, long revision) {
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

    private static int checksum(ByteBuffer map, int at, int payloadLength) {
        CRC32C crc = new CRC32C();
        crc.update(map.slice(at + CRC_START, RECORD_HEADER - CRC_START + payloadLength));
        return (int) crc.getValue();
    }

    /** Flags a record that left the index dead, and frees it now or once its last view closes. */
    private void discard(MappedByteBuffer map, Slot old) {
        markDead(map, old.position);
        if (!old.tryRetire()) {
            pinnedGarbage.put(old.position, old);
        }
    }

    private static void markDead(MappedByteBuffer map, int at) {
        map.putInt(at + R_FLAGS, map.getInt(at + R_FLAGS) | FLAG_DEAD);
    }

    private static void writeFiller(MappedByteBuffer map, int at, int span) {
        map.putInt(at + R_MAGIC, FILLER_MAGIC);
        map.putInt(at + R_SPAN, span);
    }

    /** Where a write's records go: positions, the top after it, and the gaps left. */
    private record Placement(int[] positions, long top, List<long[]> gaps) {
    }

    /**
     * Places the records first-fit in the gaps that compaction left in front of pinned records, the
     * rest at the top. Computes only; the caller writes.
     */
    private Placement place(List<Prepared> records) {
        List<long[]> remaining = new ArrayList<>(gaps.size());
        for (long[] gap : gaps) {
            remaining.add(gap.clone());
        }
        int[] positions = new int[records.size()];
        long end = top;
        for (int i = 0; i < records.size(); i++) {
            long at = take(remaining, records.get(i).span());
            if (at < 0) {
                at = end;
                end += records.get(i).span();
            }
            positions[i] = (int) at;
        }
        remaining.removeIf(gap -> gap[0] == gap[1]);
        return new Placement(positions, end, remaining);
    }

    /** Takes {@code span} bytes from the first gap that holds them; -1 if none does. */
    private static long take(List<long[]> gaps, long span) {
        for (long[] gap : gaps) {
            if (gap[1] - gap[0] >= span) {
                long at = gap[0];
                gap[0] += span;
                return at;
            }
        }
        return -1;
    }

    /**
     * Places a write, compacting when the garbage exceeds the slack and growing the file otherwise (or
     * when what views pin leaves no room).
     */
    private Placement makeRoom(List<Prepared> records, long need) {
        Placement plan = place(records);
        if (plan.top() <= mapped) {
            return plan;
        }
        long soft = HEADER_SIZE + liveSpan + need + slack;
        if (plan.top() > soft) {
            compact();
            plan = place(records);
        }
        if (plan.top() > mapped) {
            long stepped = Math.min(soft, mapped + Math.max(mapped / 4, GROWTH_UNIT));
            grow(Math.max(plan.top(), stepped));
        }
        return plan;
    }

    private void grow(long wanted) {
        long target = Math.min(MAX_ARENA_BYTES, (wanted + GROWTH_UNIT - 1) & ~(long) (GROWTH_UNIT - 1));
        if (target < wanted) {
            long pinned = top - HEADER_SIZE - liveSpan;
            throw new DatastoreException("the ephemeral arena cannot grow to " + wanted + " bytes (the limit is "
                    + MAX_ARENA_BYTES + "); " + pinned + " bytes are held by open views or record overhead",
                    partition, null);
        }
        // An interrupt closes a FileChannel in the middle of its I/O, and with it every later growth:
        // hold a pending one off and give it back to the caller afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            reopenIfClosed();
            if (duringGrowth != null) {
                duringGrowth.run();
            }
            // Allocate by writing, so that a full file system fails here and not on a mapped page.
            for (long at = mapped; at < target; at += GROWTH_UNIT) {
                ByteBuffer zeros = ZEROS.duplicate();
                zeros.limit((int) Math.min(GROWTH_UNIT, target - at));
                while (zeros.hasRemaining()) {
                    channel.write(zeros, at + zeros.position());
                }
            }
            Mapping grown = Mapping.of(channel.map(FileChannel.MapMode.READ_WRITE, 0, target));
            mapped = target;
            mapping = grown;
        } catch (IOException e) {
            interrupted |= Thread.interrupted(); // an interrupt that arrived during the I/O
            try {
                reopenIfClosed();
                channel.truncate(mapped);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new DatastoreException("cannot grow the ephemeral arena " + path + " to " + target + " bytes: "
                    + e, partition, null, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Reopens the arena file after an interrupt closed the channel (the mappings stay valid). Only the
     * same file: one renamed over the path by a new launch in this process belongs to another arena.
     */
    private void reopenIfClosed() throws IOException {
        if (channel.isOpen()) {
            return;
        }
        Object before = fileKey(path);
        FileChannel reopened = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (!Objects.equals(before, fileKey) || !Objects.equals(fileKey(path), fileKey)) {
            reopened.close();
            throw new IOException("the arena file " + path + " was replaced by another arena's");
        }
        channel = reopened;
    }

    /**
     * Packs the live records: in address order, each unpinned live record moves to the first gap in
     * front of a pinned record that holds it, else slides down over the dead bytes just below it.
     * Pinned records (live or dead) stay where they are; the free bytes in front of each become a gap
     * that this and later writes fill first-fit. Ends with the top at the end of the last survivor.
     * Records are found by revision at open, never by address, so their order does not matter.
     *
     * <p>The walk follows spans read from shared memory, so it checks each header it steps on against
     * what this arena knows: a known magic, a span that ends below the top and at or before the next
     * record that a slot (live or pinned) places, and for a live record the slot the index holds at that
     * very position with that very span. A header that fails (damaged from outside) would otherwise stall
     * the walk or send it over other records' bytes; the bytes from there to that next known record stay
     * untouched, like a pinned record, and the walk goes on from it. The scan at the next activation
     * resynchronises on checksums.
     */
    private void compact() {
        MappedByteBuffer map = mapping.rw();
        int[] known = knownRecords();
        int following = 0; // into known: the first record after the position
        List<long[]> closed = new ArrayList<>();
        long destination = HEADER_SIZE;
        long position = HEADER_SIZE;
        while (position < top) {
            int at = (int) position;
            while (following < known.length && known[following] <= at) {
                following++;
            }
            long limit = following < known.length ? known[following] : top; // no step may pass it
            int magic = map.getInt(at);
            int span = map.getInt(at + R_SPAN);
            if (magic == FILLER_MAGIC && saneSpan(at, span, 8) && position + span <= limit) {
                position += span;
                continue;
            }
            // The index, not the dead flag, says what is live: a record is live when its name's slot is here.
            boolean damaged = magic != RECORD_MAGIC || !saneSpan(at, span, RECORD_HEADER) || position + span > limit;
            Namespace namespace = damaged ? null : BY_CODE[map.get(at + R_NAMESPACE) & 0xFF];
            int nameLength = damaged ? 0 : map.get(at + R_NAME_LENGTH) & 0xFF; // within the span once it is sane
            damaged |= namespace == null || nameLength == 0 || RECORD_HEADER + nameLength > span;
            ConcurrentHashMap<String, Slot> names = null;
            String name = null;
            Slot slot = null;
            boolean dead = false;
            if (!damaged) {
                names = index[namespace.ordinal()];
                name = decodeName(map, at, nameLength);
                slot = names.get(name);
                if (slot == null || slot.position != at) {
                    slot = null;
                    dead = true;
                    Slot pinned = pinnedGarbage.get(at);
                    // A record left live but unindexed is none this arena wrote (abandoned writes are dead).
                    damaged = pinned != null ? pinned.span != span : (map.getInt(at + R_FLAGS) & FLAG_DEAD) == 0;
                } else {
                    damaged = slot.span != span;
                }
            }
            if (damaged) {
                if (destination < position) {
                    closed.add(new long[] {destination, position});
                }
                position = limit;
                destination = limit;
                continue;
            }
            boolean sharedPins = (int) INTS.getVolatile(map, at + R_PINS) > 0;
            if (dead) {
                Slot pinned = pinnedGarbage.get(at);
                if (!sharedPins && (pinned == null || pinned.tryRetire())) {
                    pinnedGarbage.remove(at);
                    position += span;
                    continue;
                }
            } else {
                long target = take(closed, span);
                boolean intoGap = target >= 0;
                if (!intoGap) {
                    target = destination;
                }
                if (target == position) {
                    destination = position + span; // already in place
                    position += span;
                    continue;
                }
                if (!sharedPins && slot.tryRetire()) {
                    // ByteBuffer.put(ByteBuffer) copies as if through an intermediate buffer: overlap is fine.
                    map.put((int) target, map, at, span);
                    names.put(name, slot.movedTo((int) target));
                    if (!intoGap) {
                        destination += span;
                    }
                    position += span;
                    continue;
                }
                if (intoGap) {
                    giveBack(closed, target, span);
                }
            }
            // Pinned: stays, and the free bytes in front of it become a gap.
            if (destination < position) {
                closed.add(new long[] {destination, position});
            }
            position += span;
            destination = position;
        }
        closed.removeIf(gap -> gap[0] == gap[1]);
        for (long[] gap : closed) {
            writeFiller(map, (int) gap[0], (int) (gap[1] - gap[0]));
        }
        gaps = closed;
        top = destination;
        map.putLong(H_TOP, top);
        compactions++;
    }

    /** The positions of the records slots place (live, and garbage pinned by views), ascending. */
    private int[] knownRecords() {
        int count = pinnedGarbage.size();
        for (ConcurrentHashMap<String, Slot> names : index) {
            count += names.size();
        }
        int[] known = new int[count];
        int i = 0;
        for (ConcurrentHashMap<String, Slot> names : index) {
            for (Slot slot : names.values()) {
                known[i++] = slot.position;
            }
        }
        for (int at : pinnedGarbage.keySet()) {
            known[i++] = at;
        }
        Arrays.sort(known);
        return known;
    }

    /** Undoes {@link #take} for a record that turned out to be pinned. */
    private static void giveBack(List<long[]> gaps, long at, long span) {
        for (long[] gap : gaps) {
            if (gap[0] == at + span) {
                gap[0] = at;
                return;
            }
        }
        throw new IllegalStateException("no gap to give " + span + " bytes at " + at + " back to");
    }

    /**
     * Removes every entry (factory reset): one store of the clear floor commits it, then the space is
     * reclaimed except what open views pin.
     *
     * @throws DatastoreException if the arena is closed
     */
    void clear() {
        writeLock.lock();
        try {
            ensureOpen();
            MappedByteBuffer map = mapping.rw();
            floorRevision = nextRevision;
            map.putLong(H_FLOOR_REVISION, floorRevision);
            long stamp = beginPublication();
            try {
                for (ConcurrentHashMap<String, Slot> names : index) {
                    for (Iterator<Slot> slots = names.values().iterator(); slots.hasNext();) {
                        Slot slot = slots.next();
                        slots.remove();
                        discard(map, slot);
                    }
                }
                used = 0;
                liveSpan = 0;
            } finally {
                endPublication(stamp);
            }
            compact();
        } finally {
            writeLock.unlock();
        }
    }

    // ---------------------------------------------------------------- closing

    /**
     * Waits for the write in progress, then closes. Views still open stay readable; their pins move to
     * the file so that the next instance on it leaves their bytes alone. Idempotent.
     */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (ConcurrentHashMap<String, Slot> names : index) {
                for (Slot slot : names.values()) {
                    slot.handOff(this);
                }
            }
            for (Slot slot : pinnedGarbage.values()) {
                slot.handOff(this);
            }
            try {
                channel.close(); // the mapping stays valid while views reference it
            } catch (IOException e) {
                throw new DatastoreException("cannot close the ephemeral arena " + path + ": " + e.getMessage(),
                        partition, null, e);
            }
        } finally {
            writeLock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    void addSharedPins(int position, int delta) {
        INTS.getAndAdd(mapping.rw(), position + R_PINS, delta);
    }

    void releaseHandedOffPin(int position) {
        addSharedPins(position, -1);
    }

    private void ensureOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private DatastoreException closedException() {
        return new DatastoreException("the " + partition + " partition is closed", partition, null);
    }

    // ---------------------------------------------------------------- for tests and diagnostics

    /** Bytes of the record area in use, live or not. */
    long top() {
        writeLock.lock();
        try {
            return top;
        } finally {
            writeLock.unlock();
        }
    }

    /** The size of the file as mapped. */
    long mappedBytes() {
        writeLock.lock();
        try {
            return mapped;
        } finally {
            writeLock.unlock();
        }
    }

    int compactions() {
        writeLock.lock();
        try {
            return compactions;
        } finally {
            writeLock.unlock();
        }
    }

    private static int align8(int length) {
        return (length + 7) & ~7;
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ephemeral arena " + path + " (" + capacity + " bytes capacity)";
    }
}
