package datastore.logstore;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The writer's index: the published {@link EntryTable} plus what the writer changed since it last
 * published (a group's writes, the collector's copies, removals the tail passed), with the payload
 * and entry count they add up to. Touched only by the group leader, or during mount; {@link #publish}
 * runs inside a publication window.
 */
final class CurrentVersions {
    final EntryTable table;
    /** Changes readers do not see yet: name to location, 0 when the name leaves the index. */
    private Map<EntryKey, Long> pending = new LinkedHashMap<>();
    /** A clear is pending: the table's names are gone for the writer. */
    private boolean pendingClear;
    long used;
    int entryCount;

    CurrentVersions(EntryTable table) {
        this.table = table;
    }

    /** The location of the name's newest version (a removal included), or 0. */
    long get(EntryKey key) {
        Long loc = pending.get(key);
        if (loc != null) {
            return loc;
        }
        return pendingClear ? 0 : table.current(key.namespace().code(), key.name());
    }

    /** Whether the entry at {@code loc} is the newest version of its name. */
    boolean isCurrent(RecordRef ref, int slot) {
        long loc = ref.loc(slot);
        if (!pending.isEmpty()) {
            Long p = pending.get(new EntryKey(ref.namespace(slot), table.name(ref, slot)));
            if (p != null) {
                return p == loc;
            }
        }
        return !pendingClear && table.current(ref, slot) == loc;
    }

    /** Makes the entry at {@code loc} the newest version of its name, counting what it adds and replaces. */
    void install(EntryKey key, long loc) {
        long old = get(key);
        if (old != 0) {
            RecordRef ref = table.record(old);
            int slot = EntryTable.slotOf(old);
            if (!ref.is(slot, RecordRef.REMOVAL)) {
                used -= ref.charge(slot);
                entryCount--;
            }
        }
        RecordRef ref = table.record(loc);
        int slot = EntryTable.slotOf(loc);
        if (!ref.is(slot, RecordRef.REMOVAL)) {
            used += ref.charge(slot);
            entryCount++;
        }
        pending.put(key, loc);
    }

    /** Points the name at a copy of its version (the collector's), which changes no count. */
    void replace(EntryKey key, long loc) {
        pending.put(key, loc);
    }

    /** Drops the name from the index (a removal the tail passed). */
    void drop(EntryKey key) {
        pending.put(key, 0L);
    }

    /** Forgets every name (a clear). */
    void clear() {
        pending = new LinkedHashMap<>();
        pendingClear = true;
        used = 0;
        entryCount = 0;
    }

    /** Every newest version the writer knows, removals included. */
    void forEach(LongConsumer action) {
        if (!pendingClear) {
            for (long loc : table.locations()) {
                RecordRef ref = table.record(loc);
                int slot = EntryTable.slotOf(loc);
                if (pending.isEmpty() || !pending.containsKey(new EntryKey(ref.namespace(slot), table.name(ref, slot)))) {
                    action.accept(loc);
                }
            }
        }
        for (long loc : pending.values()) {
            if (loc != 0) {
                action.accept(loc);
            }
        }
    }

    boolean hasPending() {
        return pendingClear || !pending.isEmpty();
    }

    /** Applies the pending changes to the table; call inside a publication window. */
    void publish() {
        if (pendingClear) {
            table.clear();
        }
        for (Map.Entry<EntryKey, Long> e : pending.entrySet()) {
            long loc = e.getValue();
            if (loc != 0) {
                table.put(loc);
            } else {
                long old = table.current(e.getKey().namespace().code(), e.getKey().name());
                if (old != 0) {
                    table.remove(old);
                }
            }
        }
        // A new map rather than clear(): clearing costs the table's size, which a large batch grew.
        pending = new LinkedHashMap<>();
        pendingClear = false;
    }
}
