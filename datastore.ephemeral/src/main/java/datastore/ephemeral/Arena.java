package datastore.ephemeral;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.InvalidNameException;
import datastore.Limits;
import datastore.PartitionFullException;
import datastore.Partitions;
import datastore.ValueTooLargeException;
import datastore.Namespace;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * The ephemeral partition's engine: entries kept in a memory-mapped file (the arena) outside the Java
 * heap, with only an index on the heap. A plain class, so that it can be tested, and re-opened on the
 * same file as a bundle update does, without a framework. FORMAT.md describes the file, how a write
 * commits, how reads stay lock-free, how space is reclaimed and what opening does with what it finds;
 * the work is split along those lines: {@link ArenaFile} (opening), {@link ArenaIndex} (mount and
 * index), {@link ArenaReader} (reads and pins), {@link ArenaWriter} (writes), {@link ArenaSpace}
 * (geometry and growth) and {@link ArenaCompaction}. Writes, compaction, {@link #clear()} and
 * {@link #close()} serialise on one lock; reads never take it.
 */
final class Arena implements AutoCloseable {

    /** The largest configurable capacity; leaves room in the largest arena for slack and overhead. */
    static final long MAX_CAPACITY = 1L << 30;

    private final String partition = Partitions.EPHEMERAL;
    private final Path path;
    private final long capacity;
    final ReentrantLock writeLock = new ReentrantLock();
    private final ArenaIndex index = new ArenaIndex();
    private final ArenaSpace space;
    private final ArenaWriter writer;
    private final ArenaReader reader;
    private volatile boolean closed;

    /** Tests only: runs after a write's records, before its commit point, to simulate a writer stopped there. */
    Runnable beforeCommit;
    /** Tests only: runs where the file grows, before its first write, to simulate an interrupt arriving there. */
    Runnable duringGrowth;
    /** Tests only: runs in an unpinned read between its header check and its copy, to simulate a reader stalled there. */
    Runnable beforeCopy;

    /**
     * Opens the arena in {@code path}, creating it, or replacing an arena of another launch, as the
     * launch identity demands (FORMAT.md, "What opening does").
     *
     * @param path the arena file; its directory must exist
     * @param capacity the payload bytes the partition promises, 1 to {@link #MAX_CAPACITY}
     * @param launchId the identity of this framework launch; an arena recorded with another one starts empty
     * @throws IllegalArgumentException if {@code capacity} is out of range
     * @throws ArenaRefusedException if the file is not an arena this build may reuse or replace on its
     *         own; the file is then untouched
     * @throws DatastoreException if the file cannot be opened, mapped or written
     */
    Arena(Path path, long capacity, String launchId) {
        this.path = Objects.requireNonNull(path, "path");
        Objects.requireNonNull(launchId, "launchId");
        if (capacity <= 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("the ephemeral capacity must be between 1 and " + MAX_CAPACITY
                    + " bytes, not " + capacity);
        }
        this.capacity = capacity;
        byte[] launch = ArenaFormat.sha256(launchId);
        // A pending interrupt would close the channel at its first read: keep it for the caller instead.
        boolean interrupted = Thread.interrupted();
        try {
            FileChannel channel;
            Object fileKey;
            try {
                channel = ArenaFile.open(path, launch);
                fileKey = ArenaFile.fileKey(path);
            } catch (IOException e) {
                throw new DatastoreException("cannot open the ephemeral arena " + path + ": " + e.getMessage(),
                        partition, null, e);
            }
            space = new ArenaSpace(this, path, channel, fileKey, capacity);
            writer = new ArenaWriter(this, index, space);
            reader = new ArenaReader(this, index, space);
            try {
                space.map();
                writer.mount(space.mapping().rw());
                space.liveSpan = index.mount(space.mapping().rw(), space.top, writer.committedRevision(),
                        writer.floorRevision());
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

    /**
     * Replaces whatever {@code path} holds by a fresh, empty arena of this launch: the explicit format
     * of a refused arena.
     *
     * @throws DatastoreException if the file cannot be written
     */
    static void replace(Path path, String launchId) {
        ArenaFile.replace(path, launchId);
    }

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
        return reader.open(namespace, name);
    }

    /**
     * Reads an entry's value through {@code decoder}, as the index stood at one instant between two
     * batches. A small value of a record already verified is read without pinning: its bytes are copied
     * out, then the read is validated, and done again if the record was retired meanwhile (superseded,
     * removed, moved, or handed off at close) or a batch was published. The decoder sees only validated
     * bytes: the private copy, or a pinned view's data. Other reads go through {@link #open}.
     *
     * @throws DatastoreException if the arena is closed
     * @throws CorruptedEntryException as {@link #open} does
     * @throws NullPointerException if the decoder returns null
     */
    <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return Optional.ofNullable(reader.readOrNull(namespace, name, decoder));
    }

    /** As {@link #read}, with null for an absent entry: a hit allocates only what the decoder does. */
    <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return reader.readOrNull(namespace, name, decoder);
    }

    /**
     * Whether the arena may hold the entry: a probe of the index's tags, with no arena byte read and
     * nothing allocated. False only if the entry was absent at an instant during the call.
     */
    boolean mayContain(Namespace namespace, String name) {
        return reader.mayContain(namespace, name);
    }

    /** The names in a namespace, sorted; an unmodifiable snapshot between two batches. */
    List<String> names(Namespace namespace) {
        return reader.names(namespace);
    }

    /** Capacity, use and entry counts, as they stood between two batches. */
    PartitionUsage usage() {
        return reader.usage();
    }

    /**
     * Applies the changes atomically and in order. A removal of an absent name does nothing.
     *
     * @throws NullPointerException if the list, a change, its namespace or its name is null
     * @throws IllegalArgumentException if a format is outside 0-255
     * @throws InvalidNameException if a name is not a valid name ({@link datastore.Names}, {@link Limits})
     * @throws ValueTooLargeException if a value exceeds its namespace's limit
     * @throws PartitionFullException if the payload after the changes would exceed the capacity
     * @throws DatastoreException if the arena is closed, or cannot grow to place the write
     */
    void apply(List<Change> changes) {
        Objects.requireNonNull(changes, "changes");
        ensureOpen();
        List<ArenaWriter.Prepared> prepared = new ArrayList<>(changes.size());
        for (Change change : changes) {
            prepared.add(ArenaWriter.prepare(change));
        }
        if (prepared.isEmpty()) {
            return;
        }
        writeLock.lock();
        try {
            ensureOpen();
            writer.write(prepared);
        } finally {
            writeLock.unlock();
        }
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
            writer.clear();
        } finally {
            writeLock.unlock();
        }
    }

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
            index.handOff(this);
            try {
                space.closeFile(); // the mapping stays valid while views reference it
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
        ArenaCompaction.INTS.getAndAdd(space.mapping().rw(), position + ArenaFormat.R_PINS, delta);
    }

    /** Releases a view's pin. */
    void unpin(Pin pin, int position) {
        pin.unpin(this, index.pins, position);
    }

    void releaseHandedOffPin(int position) {
        addSharedPins(position, -1);
    }

    void ensureOpen() {
        if (closed) {
            throw new DatastoreException("the " + partition + " partition is closed", partition, null);
        }
    }

    // ---------------------------------------------------------------- for tests and diagnostics

    /** Bytes of the record area in use, live or not. */
    long top() {
        writeLock.lock();
        try {
            return space.top;
        } finally {
            writeLock.unlock();
        }
    }

    /** The size of the file as mapped. */
    long mappedBytes() {
        writeLock.lock();
        try {
            return space.mapped();
        } finally {
            writeLock.unlock();
        }
    }

    int compactions() {
        writeLock.lock();
        try {
            return space.compactions;
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "ephemeral arena " + path + " (" + capacity + " bytes capacity)";
    }
}
