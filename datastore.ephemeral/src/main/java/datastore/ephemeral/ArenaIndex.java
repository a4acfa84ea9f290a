package datastore.ephemeral;

import static datastore.ephemeral.ArenaFormat.FILLER_MAGIC;
import static datastore.ephemeral.ArenaFormat.FLAG_DEAD;
import static datastore.ephemeral.ArenaFormat.HEADER_SIZE;
import static datastore.ephemeral.ArenaFormat.KIND_TOMBSTONE;
import static datastore.ephemeral.ArenaFormat.RECORD_HEADER;
import static datastore.ephemeral.ArenaFormat.RECORD_MAGIC;
import static datastore.ephemeral.ArenaFormat.R_FLAGS;
import static datastore.ephemeral.ArenaFormat.R_FORMAT;
import static datastore.ephemeral.ArenaFormat.R_KIND;
import static datastore.ephemeral.ArenaFormat.R_NAMESPACE;
import static datastore.ephemeral.ArenaFormat.R_NAME_LENGTH;
import static datastore.ephemeral.ArenaFormat.R_REVISION;
import static datastore.ephemeral.ArenaFormat.R_SPAN;
import static datastore.ephemeral.ArenaFormat.R_VALUE_LENGTH;
import static datastore.ephemeral.ArenaFormat.markDead;
import static datastore.ephemeral.ArenaFormat.saneSpan;
import static datastore.ephemeral.ArenaFormat.validRecord;
import static datastore.ephemeral.ArenaFormat.writeFiller;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import datastore.Namespace;

/**
 * The heap index of the arena: the slot of each live name, the superseded records that views still
 * pin, and the sequence lock through which a writer publishes one batch's index changes at once. The
 * mount builds it by scanning the records (FORMAT.md, "Records"). Changed only under the arena's
 * write lock; read lock-free.
 */
final class ArenaIndex {
    private static final VarHandle PUBLICATION;

    static {
        try {
            PUBLICATION = MethodHandles.lookup().findVarHandle(ArenaIndex.class, "publication", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ConcurrentHashMap<String, Slot>[] names;
    /** Superseded or removed records still pinned by a view of this instance, by position; under the lock. */
    final Map<Integer, Slot> pinnedGarbage = new HashMap<>();
    /**
     * A sequence lock over the index: even while it is stable, odd while the writer publishes one
     * batch's index changes. A reader that saw the same even value before and after its lookup saw no
     * batch in part.
     */
    private volatile long publication;
    /** Payload (UTF-8 names plus values) of the live entries; changed inside a publication. */
    volatile long used;

    @SuppressWarnings("unchecked")
    ArenaIndex() {
        names = new ConcurrentHashMap[Namespace.values().length];
        for (int i = 0; i < names.length; i++) {
            names[i] = new ConcurrentHashMap<>();
        }
    }

    /** The live names of a namespace and their slots. */
    ConcurrentHashMap<String, Slot> names(Namespace namespace) {
        return names[namespace.ordinal()];
    }

    /** The publication sequence: odd while a batch is being published. */
    long publication() {
        return publication;
    }

    /** Makes the sequence odd; the full fence keeps the index changes that follow from passing it. */
    long beginPublication() {
        return (long) PUBLICATION.getAndAdd(this, 1L) + 1;
    }

    void endPublication(long stamp) {
        publication = stamp + 1; // a release: every index change of the batch is visible before it
    }

    /** The positions of the records slots place (live, and garbage pinned by views), ascending. */
    int[] knownRecords() {
        int count = pinnedGarbage.size();
        for (ConcurrentHashMap<String, Slot> slots : names) {
            count += slots.size();
        }
        int[] known = new int[count];
        int i = 0;
        for (ConcurrentHashMap<String, Slot> slots : names) {
            for (Slot slot : slots.values()) {
                known[i++] = slot.position;
            }
        }
        for (int at : pinnedGarbage.keySet()) {
            known[i++] = at;
        }
        Arrays.sort(known);
        return known;
    }

    /** Hands the pins of every slot over to the file, as the arena closes. */
    void handOff(Arena arena) {
        for (ConcurrentHashMap<String, Slot> slots : names) {
            for (Slot slot : slots.values()) {
                slot.handOff(arena);
            }
        }
        for (Slot slot : pinnedGarbage.values()) {
            slot.handOff(arena);
        }
    }

    /** A record found by the scan: the best so far for its name. */
    private record Found(int position, int span, long revision, int kind, int nameLength, int valueLength,
            int format) {
    }

    /**
     * Rebuilds the index from the committed records, flags everything else dead and repairs torn spans.
     *
     * @return the bytes the live records span
     */
    long mount(MappedByteBuffer map, long top, long committedRevision, long floorRevision) {
        List<Map<String, Found>> best = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            best.add(new HashMap<>());
        }
        long position = HEADER_SIZE;
        while (position < top) {
            int at = (int) position;
            int magic = map.getInt(at);
            int span = map.getInt(at + R_SPAN);
            if (magic == FILLER_MAGIC && saneSpan(at, span, 8, top)) {
                position += span;
                continue;
            }
            if (magic != RECORD_MAGIC || !saneSpan(at, span, RECORD_HEADER, top) || !validRecord(map, at, span)) {
                // Torn or damaged: skip to the next intact record and cover the gap with a filler.
                long next = position + 8;
                while (next < top && !(map.getInt((int) next) == RECORD_MAGIC
                        && saneSpan((int) next, map.getInt((int) next + R_SPAN), RECORD_HEADER, top)
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
            Namespace namespace = ArenaFormat.namespace(map.get(at + R_NAMESPACE));
            int nameLength = map.get(at + R_NAME_LENGTH) & 0xFF;
            String name = ArenaFormat.decodeName(map, at, nameLength);
            Found found = new Found(at, span, revision, map.get(at + R_KIND), nameLength,
                    map.getInt(at + R_VALUE_LENGTH), map.get(at + R_FORMAT) & 0xFF);
            Map<String, Found> namesFound = best.get(namespace.ordinal());
            Found other = namesFound.get(name);
            if (other == null || revision > other.revision()) {
                namesFound.put(name, found);
                if (other != null) {
                    markDead(map, other.position());
                }
            } else {
                // An older write of the name, or a second copy of the same record.
                markDead(map, at);
            }
        }
        long payload = 0;
        long liveSpan = 0;
        for (Namespace namespace : Namespace.values()) {
            for (Map.Entry<String, Found> entry : best.get(namespace.ordinal()).entrySet()) {
                Found found = entry.getValue();
                if (found.kind() == KIND_TOMBSTONE) {
                    markDead(map, found.position());
                    continue;
                }
                Slot slot = new Slot(found.position(), found.span(), found.revision(), found.nameLength(),
                        found.valueLength(), found.format());
                names[namespace.ordinal()].put(entry.getKey(), slot);
                payload += slot.payload();
                liveSpan += slot.span;
            }
        }
        used = payload;
        return liveSpan;
    }
}
