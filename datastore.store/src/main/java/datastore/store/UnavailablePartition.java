package datastore.store;

import java.util.List;
import java.util.Optional;

import datastore.Namespace;
import datastore.PartitionUnavailableException;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;

/**
 * Holds the rank of a partition that refused to mount its flash (a
 * {@link datastore.spi.RefusedPartition}): every call fails with
 * {@link PartitionUnavailableException} naming the reason, so a read reaching its rank fails instead
 * of answering from a lower partition, which could hold an older value of the same name.
 */
final class UnavailablePartition implements PartitionStore {
    private final String name;
    private final String reason;

    UnavailablePartition(String name, String reason) {
        this.name = name;
        this.reason = reason;
    }

    String reason() {
        return reason;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public Optional<EntryView> open(Namespace namespace, String entry) {
        throw new PartitionUnavailableException(name, entry, reason);
    }

    @Override
    public List<String> names(Namespace namespace) {
        throw new PartitionUnavailableException(name, null, reason);
    }

    @Override
    public void apply(List<Change> changes) {
        throw new PartitionUnavailableException(name, null, reason);
    }

    @Override
    public PartitionUsage usage() {
        throw new PartitionUnavailableException(name, null, reason);
    }

    @Override
    public void clear() {
        throw new PartitionUnavailableException(name, null, reason);
    }
}
