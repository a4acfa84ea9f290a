package datastore.logstore;

import datastore.PartitionFullException;

/**
 * Thrown when one write carries more than the capacity in names and values (names of removed
 * entries included) or more entries than the entry limit: the largest record the region is sized
 * for. Such a write must be split.
 */
final class WriteTooLargeException extends PartitionFullException {
    private static final long serialVersionUID = 1L;
    private final long carried;
    private final int entries;
    private final int limit;

    WriteTooLargeException(String name, long carried, int entries, long capacity, int limit) {
        super(LogStore.PARTITION, name, carried, capacity);
        this.carried = carried;
        this.entries = entries;
        this.limit = limit;
    }

    @Override
    public String getMessage() {
        return "partition " + LogStore.PARTITION + " refuses a single write of " + carried
                + " bytes of names and values in " + entries + " entries: one write carries at most " + available()
                + " bytes (names of removed entries included) in at most " + limit + " entries";
    }
}
