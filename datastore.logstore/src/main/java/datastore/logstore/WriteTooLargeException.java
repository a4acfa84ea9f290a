package datastore.logstore;

import datastore.PartitionFullException;

/**
 * Thrown when one write counts more than the capacity: its names (removed entries' included), values
 * and the entry charge of each entry ({@link RuntimePromise#ENTRY_CHARGE}). The region is sized for the
 * largest such record; a larger write must be split.
 */
final class WriteTooLargeException extends PartitionFullException {
    private static final long serialVersionUID = 1L;
    private final long carried;
    private final int entries;

    WriteTooLargeException(String name, long carried, int entries, long capacity) {
        super(LogStore.PARTITION, name, carried, capacity);
        this.carried = carried;
        this.entries = entries;
    }

    @Override
    public String getMessage() {
        return "partition " + LogStore.PARTITION + " refuses a single write of " + entries + " entries counting "
                + carried + " bytes: one write counts at most " + available() + " bytes (names, removed entries' "
                + "included, values, and " + LogFormat.ENTRY_CHARGE + " bytes an entry)";
    }
}
