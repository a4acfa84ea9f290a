package datastore.store;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicLong;

import datastore.ImageStore;
import datastore.KvStore;
import datastore.image.ImageFormat;
import datastore.spi.PartitionStore;

import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The one logical store as the dock composes it, without a framework: {@link LogicalStore} with its
 * {@link LogicalKvStore} and {@link LogicalImageStore}, partitions bound the way Declarative Services
 * binds them (a service reference with an id and a ranking). It lives in the store's package because
 * the store's binding methods are package-private; no event admin is bound, as in a product without one.
 */
public final class StoreAssembly {
    private static final AtomicLong IDS = new AtomicLong();

    private final LogicalStore store;
    private final KvStore kv;
    private final ImageStore images;

    /** A store with no partition yet; writes without a partition go to {@code runtime}. */
    public StoreAssembly(ImageFormat formats) {
        store = new LogicalStore("runtime", 0, System::nanoTime);
        kv = new LogicalKvStore(store);
        images = new LogicalImageStore(store, formats);
    }

    /** Binds a partition service registered with {@code ranking}. */
    public StoreAssembly bind(PartitionStore partition, int ranking) {
        store.bindPartition(new Reference(partition.name(), ranking), partition);
        return this;
    }

    public KvStore kv() {
        return kv;
    }

    public ImageStore images() {
        return images;
    }

    /** The store going away, as at deactivation. */
    public void close() {
        store.deactivate();
    }

    /** A service reference without a framework: service id, ranking and partition name. */
    private static final class Reference implements ServiceReference<PartitionStore> {
        private final Hashtable<String, Object> properties = new Hashtable<>();

        Reference(String partition, int ranking) {
            properties.put(Constants.SERVICE_ID, IDS.incrementAndGet());
            properties.put(Constants.SERVICE_RANKING, ranking);
            properties.put(PartitionStore.PARTITION, partition);
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
            Reference that = (Reference) other;
            int byRanking = Integer.compare((Integer) getProperty(Constants.SERVICE_RANKING),
                    (Integer) that.getProperty(Constants.SERVICE_RANKING));
            return byRanking != 0 ? byRanking
                    : Long.compare((Long) that.getProperty(Constants.SERVICE_ID), (Long) getProperty(Constants.SERVICE_ID));
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
}
