package datastore.testsupport;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import datastore.NoSuchPartitionException;
import datastore.system.ApplicationCode;
import datastore.system.ApplicationCodeStore;

/**
 * Application code per partition in memory; only the partitions named at construction exist, and the
 * first of them holding code is the one that runs. Each deploy gets the next revision. Thread-safe.
 */
public final class FakeCodeStore implements ApplicationCodeStore {
    private record Deployed(byte[] source, long revision) {
    }

    private final List<String> partitions;
    private final Map<String, Deployed> code = new LinkedHashMap<>();
    private long revision;
    /** When set, the next deploys throw it instead of storing. */
    public volatile RuntimeException failure;

    /** @param partitions the partitions that exist, in lookup order */
    public FakeCodeStore(String... partitions) {
        this.partitions = List.of(partitions);
    }

    /** The code stored in each partition, by partition; a copy. */
    public synchronized Map<String, byte[]> code() {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        code.forEach((partition, deployed) -> copy.put(partition, deployed.source().clone()));
        return copy;
    }

    @Override
    public synchronized Optional<ApplicationCode> current() {
        for (String partition : partitions) {
            Deployed deployed = code.get(partition);
            if (deployed != null) {
                return Optional.of(new ApplicationCode(ByteBuffer.wrap(deployed.source()).asReadOnlyBuffer(), partition,
                        deployed.revision()));
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized void deploy(byte[] source, String partition) {
        if (!partitions.contains(partition)) {
            throw new NoSuchPartitionException(partition);
        }
        RuntimeException planned = failure;
        if (planned != null) {
            throw planned;
        }
        code.put(partition, new Deployed(source.clone(), ++revision));
    }

    @Override
    public synchronized boolean remove(String partition) {
        return code.remove(partition) != null;
    }
}
