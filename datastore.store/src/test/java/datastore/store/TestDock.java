package datastore.store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

import datastore.testsupport.MemoryPartition;
import datastore.testsupport.RecordingEventAdmin;
import datastore.testsupport.ServiceProperties;

import org.osgi.framework.Constants;

/**
 * The store as a dock composes it, without a framework: the logical store, its five services, an
 * event recorder and partitions bound with the service properties a framework would give them.
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
    private final Map<MemoryPartition, Map<String, Object>> bound = new LinkedHashMap<>();

    TestDock() {
        this("runtime", 0);
    }

    TestDock(String defaultPartition, long graceMillis) {
        this(defaultPartition, graceMillis, System::nanoTime);
    }

    /** A dock whose store reads the time from {@code clock}, in nanoseconds. */
    TestDock(String defaultPartition, long graceMillis, LongSupplier clock) {
        store = new LogicalStore(defaultPartition, graceMillis, clock);
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

    void add(MemoryPartition partition, int ranking) {
        Map<String, Object> properties = ServiceProperties.partition(partition.name(), ranking);
        synchronized (bound) {
            bound.put(partition, properties);
        }
        store.bindPartition(partition, properties);
    }

    void remove(MemoryPartition partition) {
        Map<String, Object> properties;
        synchronized (bound) {
            properties = bound.get(partition);
        }
        store.unbindPartition(properties);
    }

    void rerank(MemoryPartition partition, int ranking) {
        Map<String, Object> properties;
        synchronized (bound) {
            properties = bound.get(partition);
            properties.put(Constants.SERVICE_RANKING, ranking);
        }
        store.updatedPartition(properties);
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
