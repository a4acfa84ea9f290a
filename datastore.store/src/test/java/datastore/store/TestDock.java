package datastore.store;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The store as a dock composes it, without a framework: the logical store, its five services, an
 * event recorder and partitions bound through fake service references.
 */
final class TestDock {

    /**
     * The store logs every partition arriving and leaving, which tests do by the thousand, and the
     * failures that tests provoke on purpose; held here so the setting is not collected.
     */
    private static final java.util.logging.Logger STORE_LOG = java.util.logging.Logger.getLogger("datastore.store");

    static {
        STORE_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    final LogicalStore store;
    final LogicalKvStore kv;
    final LogicalImageStore images;
    final LogicalCodeStore code;
    final LogicalFactoryReset reset;
    final LogicalStoreStatus status;
    final RecordingEventAdmin events = new RecordingEventAdmin();
    private final Map<MemoryPartition, FakeReference> bound = new LinkedHashMap<>();

    TestDock() {
        this("runtime", 0);
    }

    TestDock(String defaultPartition, long graceMillis) {
        store = new LogicalStore(defaultPartition, graceMillis, System::nanoTime);
        store.eventAdmin = events;
        kv = new LogicalKvStore(store);
        images = new LogicalImageStore(store, new MarkerImageFormat());
        code = new LogicalCodeStore(store);
        reset = new LogicalFactoryReset(store);
        status = new LogicalStoreStatus(store);
    }

    /** The ephemeral (300), runtime (200) and ROM (100, read-only) partitions, bound. */
    static TestDock standard() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("ephemeral"), 300);
        dock.add(new MemoryPartition("runtime"), 200);
        dock.add(new MemoryPartition("rom").makeReadOnly(), 100);
        dock.events.clear();
        return dock;
    }

    FakeReference add(MemoryPartition partition, int ranking) {
        FakeReference reference = new FakeReference(partition.name(), ranking);
        synchronized (bound) {
            bound.put(partition, reference);
        }
        store.bindPartition(reference, partition);
        return reference;
    }

    void remove(MemoryPartition partition) {
        FakeReference reference;
        synchronized (bound) {
            reference = bound.get(partition);
        }
        store.unbindPartition(reference);
    }

    void rerank(MemoryPartition partition, int ranking) {
        FakeReference reference;
        synchronized (bound) {
            reference = bound.get(partition);
        }
        store.updatedPartition(reference.ranking(ranking));
    }

    MemoryPartition partition(String name) {
        synchronized (bound) {
            return bound.keySet().stream().filter(p -> p.name().equals(name)).reduce((a, b) -> b).orElseThrow();
        }
    }

    /** The contents of every partition ever bound, by name, for before/after comparisons. */
    Map<String, Map<String, String>> snapshot() {
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        synchronized (bound) {
            bound.keySet().forEach(p -> all.put(p.name() + "#" + System.identityHashCode(p), p.snapshot()));
        }
        return all;
    }
}
