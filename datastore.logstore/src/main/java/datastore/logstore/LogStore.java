package datastore.logstore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import datastore.Namespace;
import datastore.Partitions;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;

/**
 * The runtime partition's log-structured engine over one flash region: a ring of checksummed records
 * behind a two-block anchor, one record per write, values served as read-only slices of
 * {@link FlashRegion#map()}. The on-flash format, mount, damage costs and region arithmetic are in
 * the module's FORMAT.md. This class wires the parts together and mounts: {@link RingLayout} (geometry
 * and sizing), {@link AnchorSlots}, {@link MountScan} and {@link IndexBuilder} (mount), {@link LiveIndex}
 * (reads and pins) over the compact {@link EntryTable}, {@link GroupCommit} (writes), {@link Collector} (garbage collection) over
 * {@link RingSpace} (placement and programming), and {@link DamageLog} (damage reporting).
 */
public final class LogStore {
    static final String PARTITION = Partitions.RUNTIME;

    private static final System.Logger LOG = System.getLogger(LogStore.class.getName());

    private final FlashRegion region;
    private final RingLayout layout;
    private final RingSpace space;
    private final AnchorSlots anchors;
    private final DamageLog damage = new DamageLog();
    private final EntryTable table = new EntryTable();
    private final CurrentVersions current = new CurrentVersions(table);
    private final LiveIndex index;
    private final GroupCommit writes;

    /**
     * Creates an engine over {@code region}; call {@link #mount()} before use.
     *
     * @param capacity bytes the store promises to hold, each entry counting its name, its value and
     *        {@link RuntimePromise#ENTRY_CHARGE}
     * @throws IllegalArgumentException if the region is too small for the capacity, naming the numbers
     */
    public LogStore(FlashRegion region, long capacity, long viewWaitMillis) {
        this.region = region;
        this.layout = new RingLayout(region, capacity, viewWaitMillis);
        this.space = new RingSpace(layout);
        this.anchors = new AnchorSlots(layout, space);
        this.index = new LiveIndex(table, damage, capacity);
        this.writes = new GroupCommit(layout, space, anchors, current, index, damage);
        writes.collector(new Collector(layout, space, anchors, current, index, damage, writes));
    }

    /** For tests, before {@link #mount()}: an index of one object a record, without runs, to compare with. */
    LogStore withoutRuns() {
        layout.runs = false;
        return this;
    }

    /** See {@link RingLayout#maxRecord}. */
    static int maxRecord(long capacity, int programSize) {
        return RingLayout.maxRecord(capacity, programSize);
    }

    /** See {@link RingLayout#requiredBlocks}. */
    public static long requiredBlocks(long capacity, FlashGeometry geometry) {
        return RingLayout.requiredBlocks(capacity, geometry);
    }

    /**
     * Reads the anchor, scans the ring and rebuilds the index. Damage never fails the mount; it is
     * recorded in {@link #problems()}. Nothing is written.
     *
     * @throws IOException if the region cannot be read
     * @throws RefusedRegionException if the region is another geometry's or identity's, foreign bytes
     *         or an unknown format
     */
    public void mount() throws IOException, RefusedRegionException {
        ByteBuffer map = region.map();
        space.map = map;
        index.map = map;
        table.map = map;
        for (int b = 0; b < space.eraseCounts.length; b++) {
            space.eraseCounts[b] = region.eraseCount(b);
        }
        MountScan scan = new MountScan(layout, map);
        // Nothing is written until the region is known to be this partition's (or erased).
        AnchorCodec.Anchor anchor = anchors.read(damage.problems);
        long tail;
        long maxSeq;
        boolean fresh = false;
        boolean migrate;
        if (anchor != null) {
            tail = anchor.tail();
            maxSeq = Math.max(1, anchor.seqFloor());
            anchors.legacyEnd = anchor.legacyEnd();
            migrate = anchor.version() < LogFormat.VERSION;
        } else {
            RegionRefusals.refuseBlockFormat(layout, map);
            long[] found = scan.findTail();
            if (found == null) {
                if (!space.isErased(0, (int) region.geometry().size())) {
                    throw new RefusedRegionException(RegionRefusals.foreign(layout, space));
                }
                fresh = true;
                tail = 0;
                maxSeq = 1;
            } else {
                tail = found[0];
                maxSeq = Math.max(1, found[1]);
                if (!space.isErased(0, 2 * layout.blockSize)) {
                    damage.problems.add("no readable anchor; the ring's tail was found by scanning the ring");
                }
            }
            anchors.legacyEnd = Long.MAX_VALUE;
            migrate = true;
        }
        MountWalk walk;
        while (true) {
            walk = scan.walk(tail, anchors.legacyEnd);
            if (walk.newerTail <= tail) {
                break;
            }
            tail = walk.newerTail;
        }
        damage.problems.addAll(walk.problems);
        maxSeq = Math.max(maxSeq, walk.maxSeq);
        long limit = layout.blockStart(tail) + layout.ringSize;
        space.released = layout.blockStart(tail);
        if (!walk.sawLegacy) {
            anchors.legacyEnd = 0;
        }
        space.nextSeq = maxSeq;
        space.head = scan.placeHead(Math.min(walk.end, limit), limit);
        // Sized for the records found, with room to grow: a deque of 100k copied as it grows is
        // garbage that a fresh heap pays for in page faults.
        space.ring = new ArrayDeque<>(walk.records() + walk.records() / 4 + 16);
        for (int k = 0; k < walk.size(); k++) {
            RecordRef ref = walk.ref(k);
            if (ref != space.ring.peekLast()) {
                // A run is at each of its slots' indexes: the ring holds it once.
                space.ring.addLast(ref);
            }
        }
        new IndexBuilder(layout, map, current, damage).build(walk);
        index.publishAll(current);
        if (migrate) {
            // Record the geometry and identity, and the format: a format-2 or format-3 log keeps its
            // records; new ones are format 4.
            if (anchors.legacyEnd != 0) {
                anchors.legacyEnd = space.head;
            }
            if (anchor != null && anchor.version() < LogFormat.VERSION) {
                LOG.log(System.Logger.Level.INFO, "runtime partition: format " + anchor.version() + " log on region "
                        + region.name() + " is read and migrates to format " + LogFormat.VERSION
                        + " with the first write: its records stay readable; new records and the anchor record "
                        + layout.describe());
            }
            if (fresh) {
                anchors.fresh();
            }
            // Written with the first write's records and synced with them: mounting never writes.
            anchors.pending = true;
        }
    }

    /** Erases the whole region and mounts it empty: the explicit act that replaces a refused region. */
    public void format() throws IOException {
        space.map = region.map();
        for (int b = 0; b < layout.blocks; b++) {
            if (!space.isErased((long) b * layout.blockSize, layout.blockSize)) {
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

    /** This region's geometry and identity, as refusals name it. */
    String describe() {
        return layout.describe();
    }

    /** Damage found at mount and later, oldest first; unmodifiable snapshot. */
    public List<String> problems() {
        return List.copyOf(damage.problems);
    }

    public Optional<EntryView> open(Namespace namespace, String name) {
        return index.open(namespace, name);
    }

    /** Decodes the value straight from the mapped region, with no view and no pin (see {@link LiveIndex#readOrNull}). */
    public <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return Optional.ofNullable(index.readOrNull(namespace, name, decoder));
    }

    /** As {@link #read}, with null for an absent entry: a hit allocates only what the decoder does. */
    public <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return index.readOrNull(namespace, name, decoder);
    }

    /** Whether a read may find the entry (see {@link LiveIndex#mayContain}). */
    public boolean mayContain(Namespace namespace, String name) {
        return index.mayContain(namespace, name);
    }

    public List<String> names(Namespace namespace) {
        return index.names(namespace);
    }

    public PartitionUsage usage() {
        return index.usage();
    }

    /** Removes every entry at once: one clear record. */
    public void clear() {
        writes.clear();
    }

    public void apply(List<Change> changes) {
        writes.apply(changes);
    }

    long capacity() {
        return layout.capacity;
    }

    int maxEntries() {
        return layout.maxEntries;
    }

    /** The publication counter: even and unchanged around a read means no group was published meanwhile; for tests. */
    long version() {
        return index.version();
    }

    /** Open views on records overlapping a region block, for tests; call while no write runs. */
    int pins(int block) {
        return space.pins(block);
    }

    /** For tests: region offset, extent and kind of every record in the ring, oldest first; call while no write runs. */
    List<long[]> recordExtents() {
        return space.recordExtents();
    }

    /** For tests: region offset, extent and entry count of every record object in the ring (a run counts once). */
    List<long[]> ringObjects() {
        return space.ringObjects();
    }

    /**
     * For tests: region offset and extent of the record holding the current version of a name
     * (a removal included), or null when the log holds none; call while no write runs.
     */
    long[] currentExtent(Namespace namespace, String name) {
        long loc = current.get(new EntryKey(namespace, name));
        RecordRef ref = loc == 0 ? null : table.record(loc);
        int slot = EntryTable.slotOf(loc);
        return ref == null ? null : new long[] {ref.recordAt(layout, slot), ref.recordExtent(layout, slot)};
    }

    /** For tests: the region offset of the newest anchor slot, or -1 if none was written. */
    long newestAnchorAt() {
        return anchors.newestAt();
    }

    /** For tests: the distance between anchor slots. */
    int anchorStride() {
        return layout.anchorStride;
    }

    /** Erase counts per region block, for wear statistics; call while no write runs. */
    long[] eraseCounts() {
        return space.eraseCounts.clone();
    }
}
