package datastore.logstore;

import datastore.PartitionFullException;

/**
 * Thrown when a write would make the partition count more than its capacity, saying what it counts:
 * names, values and the entry charge ({@link RuntimePromise#ENTRY_CHARGE}). The write changed nothing.
 */
final class CapacityExceededException extends PartitionFullException {
    private static final long serialVersionUID = 1L;

    CapacityExceededException(String name, long required, long capacity) {
        super(LogStore.PARTITION, name, required, capacity);
    }

    @Override
    public String getMessage() {
        return "partition " + LogStore.PARTITION + " is full: after the write it would count " + required()
                + " bytes (names, values and " + LogFormat.ENTRY_CHARGE + " bytes an entry) of a capacity of "
                + available();
    }
}
