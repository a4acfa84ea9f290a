package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.FILLER_MAGIC;
import static datastore.ephemeral.ArenaFormat.FLAG_DEAD;
import static datastore.ephemeral.ArenaFormat.HEADER_SIZE;
import static datastore.ephemeral.ArenaFormat.H_TOP;
import static datastore.ephemeral.ArenaFormat.RECORD_HEADER;
import static datastore.ephemeral.ArenaFormat.RECORD_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_FLAGS;
import static datastore.ephemeral.ArenaFormat.R_NAMESPACE;
import static datastore.ephemeral.ArenaFormat.R_NAME_LENGTH;
import static datastore.ephemeral.ArenaFormat.R_PINS;
import static datastore.ephemeral.ArenaFormat.R_SPAN;
import static datastore.ephemeral.ArenaFormat.R_VALUE_LENGTH;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;

import datastore.Namespace;

/**
 * Compaction: packs the live records so that the promised capacity stays writable whatever the
 * history, leaving pinned records in place (FORMAT.md, "Space"). Runs under the arena's write lock.
 */
final class ArenaCompaction {
    static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private ArenaCompaction() {
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
     * record that the index (live or pinned) places, and for a live record a span that agrees with its
     * header's lengths. A header that fails (damaged from outside) would otherwise stall
     * the walk or send it over other records' bytes; the bytes from there to that next known record stay
     * untouched, like a pinned record, and the walk goes on from it. The scan at the next activation
     * resynchronises on checksums.
     */
    static void compact(ArenaSpace space, ArenaIndex index) {
        MappedByteBuffer map = space.mapping().rw();
        long top = space.top;
        long[] live = index.liveByPosition();
        int[] known = index.knownRecords(live);
        index.beginMoves();
        try {
            walk(space, index, map, top, live, known);
        } finally {
            index.endMoves();
        }
    }

    private static void walk(ArenaSpace space, ArenaIndex index, MappedByteBuffer map, long top, long[] live,
            int[] known) {
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
            if (magic == FILLER_MAGIC && ArenaFormat.saneSpan(at, span, 8, top) && position + span <= limit) {
                position += span;
                continue;
            }
            // The index, not the dead flag, says what is live: a record is live when its name's entry places it here.
            boolean damaged = magic != RECORD_MAGIC || !ArenaFormat.saneSpan(at, span, RECORD_HEADER, top)
                    || position + span > limit;
            Namespace namespace = damaged ? null : ArenaFormat.namespace(map.get(at + R_NAMESPACE));
            int nameLength = damaged ? 0 : map.get(at + R_NAME_LENGTH) & 0xFF; // within the span once it is sane
            damaged |= namespace == null || nameLength == 0 || RECORD_HEADER + nameLength > span;
            int bucket = -1;
            boolean dead = false;
            if (!damaged) {
                bucket = bucketAt(live, at);
                if (bucket < 0) {
                    dead = true;
                    Integer pinned = index.pinnedGarbage.get(at);
                    // A record left live but unindexed is none this arena wrote (abandoned writes are dead).
                    damaged = pinned != null ? pinned != span : (map.getInt(at + R_FLAGS) & FLAG_DEAD) == 0;
                } else {
                    // The index keeps no span: the header's must agree with its lengths.
                    damaged = span != ArenaFormat.recordSpan(nameLength, map.getInt(at + R_VALUE_LENGTH));
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
                if (!sharedPins && !Pin.pinned(index.pins, at)) {
                    index.pinnedGarbage.remove(at);
                    position += span;
                    continue;
                }
            } else {
                long target = ArenaSpace.take(closed, span);
                boolean intoGap = target >= 0;
                if (!intoGap) {
                    target = destination;
                }
                if (target == position) {
                    destination = position + span; // already in place
                    position += span;
                    continue;
                }
                Pin retired = sharedPins ? null : Pin.tryRetire(index.pins, at);
                if (retired != null) {
                    // ByteBuffer.put(ByteBuffer) copies as if through an intermediate buffer: overlap is fine.
                    map.put((int) target, map, at, span);
                    index.moved(bucket, index.entry(bucket), (int) target);
                    Pin.release(index.pins, at, retired);
                    if (!intoGap) {
                        destination += span;
                    }
                    position += span;
                    continue;
                }
                if (intoGap) {
                    ArenaSpace.giveBack(closed, target, span);
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
            ArenaFormat.writeFiller(map, (int) gap[0], (int) (gap[1] - gap[0]));
        }
        space.gaps = closed;
        space.top = destination;
        map.putLong(H_TOP, destination);
        space.compactions++;
    }

    /** The bucket of the live record at {@code at}, or -1: a search of {@code position << 32 | bucket}. */
    private static int bucketAt(long[] live, int at) {
        int low = 0;
        int high = live.length - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            int position = (int) (live[middle] >>> 32);
            if (position < at) {
                low = middle + 1;
            } else if (position > at) {
                high = middle - 1;
            } else {
                return (int) live[middle];
            }
        }
        return -1;
    }
}
