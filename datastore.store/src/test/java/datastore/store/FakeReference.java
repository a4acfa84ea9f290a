package datastore.store;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicLong;

import datastore.spi.PartitionStore;

import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** A service reference without a framework: a service id, a ranking and the partition property. */
final class FakeReference implements ServiceReference<PartitionStore> {

    private static final AtomicLong IDS = new AtomicLong();

    private final Hashtable<String, Object> properties = new Hashtable<>();

    FakeReference(String partition, int ranking) {
        properties.put(Constants.SERVICE_ID, IDS.incrementAndGet());
        properties.put(Constants.SERVICE_RANKING, ranking);
        properties.put(PartitionStore.PARTITION, partition);
    }

    FakeReference removeRanking() {
        properties.remove(Constants.SERVICE_RANKING);
        return this;
    }

    FakeReference ranking(Object ranking) {
        properties.put(Constants.SERVICE_RANKING, ranking);
        return this;
    }

    long id() {
        return (Long) properties.get(Constants.SERVICE_ID);
    }

    @Override
    public Object getProperty(String key) {
        return properties.get(key);
    }

    @Override
    public String[] getPropertyKeys() {
        return properties.keySet().toArray(new String[0]);
    }

    @Override
    public Bundle getBundle() {
        return null;
    }

    @Override
    public Bundle[] getUsingBundles() {
        return null;
    }

    @Override
    public boolean isAssignableTo(Bundle bundle, String className) {
        return true;
    }

    @Override
    public int compareTo(Object other) {
        // Not used by the store; the framework's order: higher ranking, then lower id, is "greater".
        FakeReference that = (FakeReference) other;
        int byRanking = Integer.compare((Integer) getProperty(Constants.SERVICE_RANKING),
                (Integer) that.getProperty(Constants.SERVICE_RANKING));
        return byRanking != 0 ? byRanking : Long.compare(that.id(), id());
    }

    @Override
    public Dictionary<String, Object> getProperties() {
        return new Hashtable<>(properties);
    }

    @Override
    public <A> A adapt(Class<A> type) {
        return null;
    }
}
