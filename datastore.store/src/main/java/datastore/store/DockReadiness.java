package datastore.store;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.condition.Condition;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.ServiceTracker;

import datastore.ImageStore;
import datastore.KvStore;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;
import datastore.system.Readiness;

/**
 * Decides when the dock is ready, as {@link Readiness} describes: it follows the active bundles'
 * {@value Readiness#PARTITION_HEADER} and {@value Readiness#CONDITION_HEADER} headers, the
 * partitions' services (mounted or refused), the store's {@link KvStore} and {@link ImageStore},
 * and the awaited conditions, and registers the {@value Readiness#CONDITION} condition while all
 * of them are there. Services are followed by reference only, never fetched, so watching them
 * activates nothing.
 *
 * <p>The condition is registered and withdrawn outside any lock: whichever thread sees a change
 * brings the registration in line with the newest state, and a change seen meanwhile by another
 * thread makes it look again, so listeners of the condition may do anything, block included.
 */
@Component(name = "datastore.store.readiness", service = Readiness.class, immediate = true)
public final class DockReadiness implements Readiness {

    private final Object lock = new Object();
    private BundleContext context;
    private BundleTracker<Bundle> bundles;
    private ServiceTracker<Object, ServiceReference<Object>> services;

    // Guarded by lock: what the trackers have seen, kept here because a tracker's "adding" callback
    // comes before the object is in its tracked set.
    private final Set<Bundle> parts = new HashSet<>();
    private final Set<ServiceReference<?>> references = new HashSet<>();
    private boolean frameworkStarted;
    private List<String> waiting = List.of("start");
    private boolean applying;
    private boolean dirty;
    private boolean announced;
    private boolean closed;

    // Touched only by the thread that is applying.
    private ServiceRegistration<Condition> registration;

    @Activate
    void activate(BundleContext bundleContext) throws InvalidSyntaxException {
        context = bundleContext;
        bundles = new BundleTracker<>(context, Bundle.INSTALLED | Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE
                | Bundle.STOPPING, null) {
            @Override
            public Bundle addingBundle(Bundle bundle, BundleEvent event) {
                if (takesPart(bundle)) {
                    synchronized (lock) {
                        parts.add(bundle);
                    }
                    changed();
                    return bundle;
                }
                return null;
            }

            @Override
            public void modifiedBundle(Bundle bundle, BundleEvent event, Bundle object) {
                changed();
            }

            @Override
            public void removedBundle(Bundle bundle, BundleEvent event, Bundle object) {
                synchronized (lock) {
                    parts.remove(bundle);
                }
                changed();
            }
        };
        Filter filter = context.createFilter("(|(objectClass=" + PartitionStore.class.getName() + ")(objectClass="
                + RefusedPartition.class.getName() + ")(objectClass=" + KvStore.class.getName() + ")(objectClass="
                + ImageStore.class.getName() + ")(&(objectClass=" + Condition.class.getName() + ")(!("
                + Condition.CONDITION_ID + "=" + CONDITION + "))))");
        services = new ServiceTracker<>(context, filter, null) {
            @Override
            public ServiceReference<Object> addingService(ServiceReference<Object> reference) {
                synchronized (lock) {
                    references.add(reference);
                }
                changed();
                return reference;
            }

            @Override
            public void modifiedService(ServiceReference<Object> reference, ServiceReference<Object> service) {
                changed();
            }

            @Override
            public void removedService(ServiceReference<Object> reference, ServiceReference<Object> service) {
                synchronized (lock) {
                    references.remove(reference);
                }
                changed();
            }
        };
        // While the framework starts, bundles of higher start levels are still to come: nothing is
        // decided before it has started them all.
        context.addFrameworkListener(starting);
        services.open();
        bundles.open();
        synchronized (lock) {
            frameworkStarted = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getState() == Bundle.ACTIVE;
        }
        changed();
    }

    private final FrameworkListener starting = event -> {
        if (event.getType() == FrameworkEvent.STARTED) {
            synchronized (lock) {
                frameworkStarted = true;
            }
            changed();
        }
    };

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            closed = true;
        }
        context.removeFrameworkListener(starting);
        bundles.close();
        services.close();
        changed();
    }

    @Override
    public boolean ready() {
        synchronized (lock) {
            return waiting.isEmpty();
        }
    }

    @Override
    public List<String> waitingFor() {
        synchronized (lock) {
            return waiting;
        }
    }

    private static boolean takesPart(Bundle bundle) {
        Dictionary<String, String> headers = bundle.getHeaders("");
        return headers.get(PARTITION_HEADER) != null || headers.get(CONDITION_HEADER) != null
                || headers.get(ANNOUNCER_HEADER) != null;
    }

    /** Recomputes what is awaited and brings the condition's registration in line. */
    private void changed() {
        synchronized (lock) {
            waiting = closed ? List.of("stop") : List.copyOf(missing());
            if (applying) {
                dirty = true;
                return;
            }
            applying = true;
        }
        try {
            while (true) {
                boolean ready;
                boolean announce = false;
                synchronized (lock) {
                    dirty = false;
                    ready = waiting.isEmpty();
                    if (ready && !announced) {
                        announced = true;
                        announce = !hasAnnouncer();
                    }
                }
                if (ready && registration == null) {
                    Hashtable<String, Object> properties = new Hashtable<>();
                    properties.put(Condition.CONDITION_ID, CONDITION);
                    properties.put(Constants.SERVICE_DESCRIPTION, "the dock is ready");
                    registration = context.registerService(Condition.class, Condition.INSTANCE, properties);
                } else if (!ready && registration != null) {
                    try {
                        registration.unregister();
                    } catch (IllegalStateException e) {
                        // Gone with the bundle already.
                    }
                    registration = null;
                }
                if (announce) {
                    System.out.println(ANNOUNCEMENT);
                    System.out.flush();
                }
                synchronized (lock) {
                    if (!dirty) {
                        applying = false;
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            // (A registration refused as the bundle stops.) The next change applies afresh.
            synchronized (lock) {
                applying = false;
            }
            throw e;
        }
    }

    /** Called under the lock. */
    private boolean hasAnnouncer() {
        for (Bundle bundle : parts) {
            if (bundle.getHeaders("").get(ANNOUNCER_HEADER) != null) {
                return true;
            }
        }
        return false;
    }

    /** What is missing now, in a stable order. Called under the lock. */
    private List<String> missing() {
        if (!frameworkStarted) {
            return List.of("framework start");
        }
        Set<String> partitions = new TreeSet<>();
        Set<String> conditions = new TreeSet<>();
        for (Bundle bundle : parts) {
            if (!meantToRun(bundle)) {
                continue;
            }
            Dictionary<String, String> headers = bundle.getHeaders("");
            addAll(partitions, headers.get(PARTITION_HEADER));
            addAll(conditions, headers.get(CONDITION_HEADER));
        }
        Set<String> present = new HashSet<>();
        Set<String> partitionsPresent = new HashSet<>();
        Set<String> conditionsPresent = new HashSet<>();
        for (ServiceReference<?> reference : references) {
            Object classes = reference.getProperty(Constants.OBJECTCLASS);
            for (String name : classes instanceof String[] ? (String[]) classes : new String[0]) {
                present.add(name);
                if (name.equals(PartitionStore.class.getName()) || name.equals(RefusedPartition.class.getName())) {
                    Object partition = reference.getProperty(PartitionStore.PARTITION);
                    if (partition instanceof String) {
                        partitionsPresent.add((String) partition);
                    }
                } else if (name.equals(Condition.class.getName())) {
                    Object id = reference.getProperty(Condition.CONDITION_ID);
                    if (id instanceof String) {
                        conditionsPresent.add((String) id);
                    } else if (id instanceof String[]) {
                        conditionsPresent.addAll(List.of((String[]) id));
                    }
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (String partition : partitions) {
            if (!partitionsPresent.contains(partition)) {
                missing.add("partition " + partition);
            }
        }
        if (!present.contains(KvStore.class.getName())) {
            missing.add("KvStore");
        }
        if (!present.contains(ImageStore.class.getName())) {
            missing.add("ImageStore");
        }
        for (String condition : conditions) {
            if (!conditionsPresent.contains(condition)) {
                missing.add("condition " + condition);
            }
        }
        return missing;
    }

    /**
     * Whether the dock should wait for {@code bundle}: it is marked to run (persistently started)
     * at a start level the framework has reached. A bundle being updated or stopped transiently
     * (a hot-replace) stays marked, so the dock is not ready until it is back; one an operator
     * stopped is no longer part of the running product.
     */
    private boolean meantToRun(Bundle bundle) {
        BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
        FrameworkStartLevel framework = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION)
                .adapt(FrameworkStartLevel.class);
        if (level == null || framework == null) {
            return bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.STARTING;
        }
        return level.isPersistentlyStarted() && level.getStartLevel() <= framework.getStartLevel();
    }

    private static void addAll(Set<String> into, String header) {
        if (header == null) {
            return;
        }
        for (String part : header.split(",")) {
            if (!part.isBlank()) {
                into.add(part.strip());
            }
        }
    }
}
