package datastore.testsupport;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import datastore.spi.PartitionStore;

import org.osgi.framework.Constants;

/**
 * The properties a framework gives a registered partition service, as Declarative Services passes
 * them to a bind method: those the partition registers with ({@link PartitionStore#serviceProperties})
 * and a service id of its own.
 */
public final class ServiceProperties {
    private static final AtomicLong SERVICE_IDS = new AtomicLong();

    private ServiceProperties() {
    }

    /**
     * @return a mutable map, so a test can change the ranking as {@code ServiceRegistration.setProperties} would
     */
    public static Map<String, Object> partition(String name, int ranking) {
        Map<String, Object> properties = PartitionStore.serviceProperties(name, ranking);
        properties.put(Constants.SERVICE_ID, SERVICE_IDS.incrementAndGet());
        return properties;
    }

    /**
     * For a registration no partition of this project makes: a {@code service.ranking} of another
     * type than {@code Integer}, or none.
     *
     * @param ranking the {@code service.ranking}, of whatever type the test needs; null for none
     * @return a mutable map, so a test can change the ranking as {@code ServiceRegistration.setProperties} would
     */
    public static Map<String, Object> partition(String name, Object ranking) {
        Map<String, Object> properties = partition(name, 0);
        if (ranking == null) {
            properties.remove(PartitionStore.SERVICE_RANKING);
        } else {
            properties.put(PartitionStore.SERVICE_RANKING, ranking);
        }
        return properties;
    }
}
