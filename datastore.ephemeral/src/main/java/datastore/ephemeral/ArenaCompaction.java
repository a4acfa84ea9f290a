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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

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
     * record that a slot (live or pinned) places, and for a live record the slot the index holds at that
     * very position with that very span. A header that fails (damaged from outside) would otherwise stall
     * the walk or send it over other records' bytes; the bytes from there to that next known record stay
     * untouched, like a pinned record, and the walk goes on from it. The scan at the next activation
     * resynchronises on checksums.
     */
    static void compact(ArenaSpace space, ArenaIndex index) {
        MappedByteBuffer map = space.mapping().rw();
        long top = space.top;
        int[] known = index.knownRecords();
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
            // The index, not the dead flag, says what is live: a record is live when its name's slot is here.
            boolean damaged = magic != RECORD_MAGIC || !ArenaFormat.saneSpan(at, span, RECORD_HEADER, top)
                    || position + span > limit;
            Namespace namespace = damaged ? null : ArenaFormat.namespace(map.get(at + R_NAMESPACE));
            int nameLength = damaged ? 0 : map.get(at + R_NAME_LENGTH) & 0xFF; // within the span once it is sane
            damaged |= namespace == null || nameLength == 0 || RECORD_HEADER + nameLength > span;
            ConcurrentHashMap<String, Slot> names = null;
            String name = null;
            Slot slot = null;
            boolean dead = false;
            if (!damaged) {
                names = index.names(namespace);
                name = ArenaFormat.decodeName(map, at, nameLength);
                slot = names.get(name);
                if (slot == null || slot.position != at) {
                    slot = null;
                    dead = true;
                    Slot pinned = index.pinnedGarbage.get(at);
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
                Slot pinned = index.pinnedGarbage.get(at);
                if (!sharedPins && (pinned == null || pinned.tryRetire())) {
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
}
