package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.GROWTH_UNIT;
import static datastore.ephemeral.ArenaFormat.HEADER_SIZE;
import static datastore.ephemeral.ArenaFormat.H_TOP;
import static datastore.ephemeral.ArenaFormat.MAX_ARENA_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import datastore.DatastoreException;

/**
 * The arena's geometry: the file and its mapping, the top of the record area and the gaps below it,
 * and where a write's records go - first-fit into gaps, then at the top, after a compaction or a
 * growth of the file when they do not fit (FORMAT.md, "Space"). Under the arena's write lock, except
 * {@link #mapping()}, which readers take.
 */
final class ArenaSpace {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(GROWTH_UNIT);

    /** One mapping of the file, read-write for the engine and read-only for slices handed to views. */
    record Mapping(MappedByteBuffer rw, ByteBuffer ro) {
        static Mapping of(MappedByteBuffer map) {
            map.order(ByteOrder.LITTLE_ENDIAN);
            return new Mapping(map, map.asReadOnlyBuffer());
        }
    }

    /** Where a write's records go: positions, the top after it, and the gaps left. */
    record Placement(int[] positions, long top, List<long[]> gaps) {
    }

    private final Arena arena;
    private final Path path;
    /** Identity of the arena file, to reopen the very same file when an interrupt closed the channel. */
    private final Object fileKey;
    private final long slack;
    private volatile Mapping mapping;
    // Guarded by the write lock:
    private FileChannel channel;
    private long mapped;
    long top;
    /** Free [start, end) ranges below the top, in front of pinned records; fillers in the file. */
    List<long[]> gaps = new ArrayList<>();
    /** The bytes the live records span. */
    long liveSpan;
    int compactions;

    ArenaSpace(Arena arena, Path path, FileChannel channel, Object fileKey, long capacity) {
        this.arena = arena;
        this.path = path;
        this.channel = channel;
        this.fileKey = fileKey;
        this.slack = Math.max(ArenaFormat.MIN_SLACK, capacity / 8);
    }

    /** Maps the whole file and reads the top from its header; a file cut short loses what lay beyond. */
    void map() throws IOException {
        mapped = channel.size() & ~7L;
        mapping = Mapping.of(channel.map(FileChannel.MapMode.READ_WRITE, 0, mapped));
        MappedByteBuffer map = mapping.rw();
        // A file cut short loses the records beyond its end; the scan treats a cut record as torn.
        top = Math.min(map.getLong(H_TOP), mapped);
        map.putLong(H_TOP, top);
    }

    /** The current mapping; an index entry is published after the mapping that covers its record. */
    Mapping mapping() {
        return mapping;
    }

    long mapped() {
        return mapped;
    }

    /**
     * Places the records first-fit in the gaps that compaction left in front of pinned records, the
     * rest at the top. Computes only; the caller writes.
     */
    Placement place(int[] spans) {
        List<long[]> remaining = new ArrayList<>(gaps.size());
        for (long[] gap : gaps) {
            remaining.add(gap.clone());
        }
        int[] positions = new int[spans.length];
        long end = top;
        for (int i = 0; i < spans.length; i++) {
            long at = take(remaining, spans[i]);
            if (at < 0) {
                at = end;
                end += spans[i];
            }
            positions[i] = (int) at;
        }
        remaining.removeIf(gap -> gap[0] == gap[1]);
        return new Placement(positions, end, remaining);
    }

    /** Takes {@code span} bytes from the first gap that holds them; -1 if none does. */
    static long take(List<long[]> gaps, long span) {
        for (long[] gap : gaps) {
            if (gap[1] - gap[0] >= span) {
                long at = gap[0];
                gap[0] += span;
                return at;
            }
        }
        return -1;
    }

    /** Undoes {@link #take} for a record that turned out to be pinned. */
    static void giveBack(List<long[]> gaps, long at, long span) {
        for (long[] gap : gaps) {
            if (gap[0] == at + span) {
                gap[0] = at;
                return;
            }
        }
        throw new IllegalStateException("no gap to give " + span + " bytes at " + at + " back to");
    }

    /**
     * Places a write, compacting when the garbage exceeds the slack and growing the file otherwise (or
     * when what views pin leaves no room).
     */
    Placement makeRoom(int[] spans, long need, Runnable compaction) {
        Placement plan = place(spans);
        if (plan.top() <= mapped) {
            return plan;
        }
        long soft = HEADER_SIZE + liveSpan + need + slack;
        if (plan.top() > soft) {
            compaction.run();
            plan = place(spans);
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
                    arena.name(), null);
        }
        // An interrupt closes a FileChannel in the middle of its I/O, and with it every later growth:
        // hold a pending one off and give it back to the caller afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            reopenIfClosed();
            if (arena.duringGrowth != null) {
                arena.duringGrowth.run();
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
                    + e, arena.name(), null, e);
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
        Object before = ArenaFile.fileKey(path);
        FileChannel reopened = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (!Objects.equals(before, fileKey) || !Objects.equals(ArenaFile.fileKey(path), fileKey)) {
            reopened.close();
            throw new IOException("the arena file " + path + " was replaced by another arena's");
        }
        channel = reopened;
    }

    /** Closes the file; the mapping stays valid while views reference it. */
    void closeFile() throws IOException {
        channel.close();
    }
}
