package datastore.testsupport;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import datastore.spi.PartitionStore;

import org.osgi.framework.Constants;

/**
 * The properties a framework gives a registered partition service, as Declarative Services passes
 * them to a bind method: a service id of its own, the ranking and the partition name.
 */
public final class ServiceProperties {
    private static final AtomicLong SERVICE_IDS = new AtomicLong();

    private ServiceProperties() {
    }

    /**
     * @param ranking the {@code service.ranking}, of whatever type the test needs; null for none
     * @return a mutable map, so a test can change the ranking as {@code ServiceRegistration.setProperties} would
     */
    public static Map<String, Object> partition(String name, Object ranking) {
        Map<String, Object> properties = new HashMap<>();
        properties.put(Constants.SERVICE_ID, SERVICE_IDS.incrementAndGet());
        if (ranking != null) {
            properties.put(Constants.SERVICE_RANKING, ranking);
        }
        properties.put(PartitionStore.PARTITION, name);
        return properties;
    }
}
