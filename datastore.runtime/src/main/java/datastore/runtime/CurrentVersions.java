package datastore.runtime;

import java.util.HashMap;

/**
 * The writer's index: the newest version of every name the log holds (removals included, until the
 * tail passes them), with the payload and entry count they add up to. Touched only by the group
 * leader, or during mount.
 */
final class CurrentVersions {
    final HashMap<EntryKey, EntryLoc> keys = new HashMap<>();
    long used;
    int entryCount;

    EntryLoc get(EntryKey key) {
        return keys.get(key);
    }

    /** Makes {@code loc} the newest version of its name. */
    void install(EntryKey key, EntryLoc loc) {
        EntryLoc old = keys.put(key, loc);
        if (old != null && !old.removal) {
            used -= old.payload();
            entryCount--;
        }
        if (!loc.removal) {
            used += loc.payload();
            entryCount++;
        }
    }

    void clear() {
        keys.clear();
        used = 0;
        entryCount = 0;
    }
}
