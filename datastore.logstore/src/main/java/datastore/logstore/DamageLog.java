package datastore.logstore;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import datastore.CorruptedEntryException;
import datastore.Names;
import datastore.Namespace;

/**
 * The partition's damage on record: the problems found at mount and by reads since (each reported
 * once, in {@code problems()} and the log), and the names a read must report although the index holds
 * no readable version of them (a removal superseded by a lost write, a record whose name is damaged).
 * What each kind of damage costs is in FORMAT.md.
 */
final class DamageLog {
    private static final System.Logger LOG = System.getLogger(LogStore.class.getName());

    final List<String> problems = new CopyOnWriteArrayList<>();
    /** Names whose newest readable version was superseded by a write no longer readable: reads report them. */
    final ConcurrentHashMap<EntryKey, Long> lostNewer = new ConcurrentHashMap<>();
    /** Damaged names that matched no known name: (namespace code, name CRC) to revision. */
    final ConcurrentHashMap<Long, Long> damagedNames = new ConcurrentHashMap<>();
    /** Entries (locations) whose damaged name matched no known name, with their damagedNames key; the writer's. */
    final Map<Long, Long> orphans = new HashMap<>();

    static long damagedId(int namespaceCode, int nameCrc) {
        return ((long) namespaceCode << 32) | (nameCrc & 0xFFFFFFFFL);
    }

    /** Whether any damage is on record that a read of a name the index lacks could report. */
    boolean anyUnindexed() {
        return !lostNewer.isEmpty() || !damagedNames.isEmpty();
    }

    /**
     * Throws the report for a name the index does not hold, if damage is on record under it.
     *
     * @throws CorruptedEntryException naming the key and the damage
     */
    void checkMiss(Namespace namespace, String name) {
        if (!lostNewer.isEmpty()) {
            Long revision = lostNewer.get(new EntryKey(namespace, name));
            if (revision != null) {
                throw new CorruptedEntryException(LogStore.PARTITION, namespace, name, "its removal at revision "
                        + revision + " was superseded by a write that is no longer readable");
            }
        }
        if (!damagedNames.isEmpty()) {
            Long revision = damagedNames.get(damagedId(namespace.code(), Checksums.nameCrc(namespace.code(), name)));
            if (revision != null) {
                throw new CorruptedEntryException(LogStore.PARTITION, namespace, name,
                        "the record holding revision " + revision + " has a damaged name");
            }
        }
    }

    /** Marks a value damaged and reports it once in problems() and the log. */
    void damage(RecordRef ref, int slot, String name, String detail) {
        ref.set(slot, RecordRef.DAMAGED);
        if (ref.set(slot, RecordRef.REPORTED)) {
            String problem = Namespace.ofCode(ref.namespaceCode(slot)).id() + " entry \"" + Names.display(name)
                    + "\" revision " + ref.revision(slot) + ": " + detail + "; reads report it as corrupted";
            problems.add(problem);
            LOG.log(System.Logger.Level.WARNING, "runtime partition: {0}", problem);
        }
    }

    /** Forgets everything a clear removed. */
    void cleared() {
        lostNewer.clear();
        damagedNames.clear();
    }
}
