package datastore.logstore;

import datastore.PartitionFullException;

/** Thrown when a write would exceed the entry limit; a full partition as far as callers care. */
final class EntryLimitException extends PartitionFullException {
    private static final long serialVersionUID = 1L;
    private final long entries;
    private final long limit;

    EntryLimitException(String name, long required, long available, long entries, long limit) {
        super(LogStore.PARTITION, name, required, available);
        this.entries = entries;
        this.limit = limit;
    }

    @Override
    public String getMessage() {
        return "partition " + LogStore.PARTITION + " is full: the write needs " + entries + " entries of a limit of "
                + limit;
    }
}
