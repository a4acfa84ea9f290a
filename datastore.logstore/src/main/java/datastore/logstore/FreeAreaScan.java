package datastore.logstore;

import java.nio.ByteBuffer;

/**
 * The mount's check that no record lies past the end of the walk: where the walk finds no record, the
 * rest of the ring up to its limit must be erased, else a record may follow damage and the walk
 * resyncs on it (FORMAT.md, "Mount"). For a full partition that rest is the free area, tens of MiB,
 * and checking it took about a third of the processor time of a batched partition's mount.
 *
 * <p>So two threads check it from both ends. A helper, started with the walk, checks the ring from its
 * limit backward and publishes how far it found erased flash ({@link #erasedFrom}); where the walk
 * ends, the mounting thread checks forward from there until it reaches what the helper has covered.
 * Neither waits for the other: if the helper has not run, the mounting thread checks it all, as
 * before. The helper stops at the first bytes that are not erased (the head's last record, damage,
 * an older lap's leftovers), and the mounting thread then meets those bytes itself and resyncs as it
 * always did. A mount never writes, so the bytes cannot change under either thread.
 */
final class FreeAreaScan implements AutoCloseable {
    /** Bytes checked at once: about 5 us of comparison, so a stopped helper ends that soon. */
    static final int CHUNK = 64 * 1024;
    /** Rings below this are checked by the mounting thread alone: starting a thread costs more than it saves. */
    static final long HELPER_MIN_RING = 4L << 20;

    private final ByteBuffer map;
    private final RingLayout layout;
    private final long floor;
    private final long limit;
    /** Every byte of [erasedFrom, limit) is erased; only ever lowered, by the helper. */
    private volatile long erasedFrom;
    private volatile boolean stopped;

    /**
     * Starts checking [tail, limit) from its end, on a helper thread if the ring is large enough;
     * {@link #close} stops it.
     */
    FreeAreaScan(ByteBuffer map, RingLayout layout, long tail, long limit) {
        this(map, layout, tail, limit, layout.ringSize >= HELPER_MIN_RING);
    }

    /** As above, with or without the helper thread (tests run {@link #backward} themselves). */
    FreeAreaScan(ByteBuffer map, RingLayout layout, long tail, long limit, boolean helped) {
        this.map = map;
        this.layout = layout;
        this.floor = tail;
        this.limit = limit;
        this.erasedFrom = limit;
        if (helped) {
            Thread helper = new Thread(this::backward, "runtime partition mount: free area");
            helper.setDaemon(true);
            try {
                helper.start();
            } catch (OutOfMemoryError e) {
                // "unable to create native thread": the check loses its helper, not its answer.
            }
        }
    }

    /** The helper: from the limit backward, a chunk at a time, until bytes that are not erased, the tail, or a stop. */
    void backward() {
        long v = limit;
        while (!stopped && v > floor) {
            long start = Math.max(Math.max(v - CHUNK, floor), layout.ringEndAfter(v - 1) - layout.ringSize);
            if (!erased(start, v)) {
                return;
            }
            v = start;
            erasedFrom = v;
        }
    }

    /** Where the erased range known so far begins. */
    long erasedFrom() {
        return erasedFrom;
    }

    /** Whether the virtual range [from, to), within one lap, is erased. */
    private boolean erased(long from, long to) {
        int p = (int) layout.phys(from);
        int end = p + (int) (to - from);
        return Erased.firstNotErased(map, p, end) == end;
    }

    /**
     * Whether every byte from {@code pos} to the limit is erased, so that no record follows: checked
     * forward from {@code pos} until the helper's erased range.
     */
    boolean erasedToLimit(long pos) {
        long v = pos;
        while (v < erasedFrom) {
            long end = Math.min(Math.min(v + CHUNK, layout.ringEndAfter(v)), limit);
            if (!erased(v, end)) {
                return false;
            }
            v = end;
        }
        return true;
    }

    /**
     * Stops the helper at its next chunk, without waiting for it: it may be descheduled, and waiting
     * would hand its scheduling delay to the mount. What it reads after that is never used, and the
     * mapped region stays readable (a mapping is never unmapped, see {@code NorFlash#close}).
     */
    @Override
    public void close() {
        stopped = true;
    }
}
