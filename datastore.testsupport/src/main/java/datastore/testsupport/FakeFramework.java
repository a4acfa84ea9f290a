package datastore.testsupport;

import java.io.File;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import datastore.flash.FlashRegion;
import datastore.flash.RollbackIndex;
import datastore.spi.RefusedPartition;

/**
 * A bundle context that knows framework properties, a data area and service registrations, and nothing
 * else: what a component that registers its own services needs in a unit test. Not thread-safe.
 */
public final class FakeFramework {
    /** The framework properties {@code getProperty} answers. */
    public final Map<String, String> properties = new HashMap<>();
    /** The bundle's data area; null, as a framework without file system support answers. */
    public File dataArea;
    /** Every registration, in order, unregistered ones too. */
    public final List<Registered> registered = new ArrayList<>();

    /** A context of this framework; any other method than the three above throws. */
    public BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                    case "getProperty":
                        return properties.get(args[0]);
                    case "getDataFile":
                        return dataArea == null ? null : new File(dataArea, (String) args[0]);
                    case "registerService":
                        Registered r = new Registered(args[0], args[1], (Dictionary<?, ?>) args[2]);
                        registered.add(r);
                        return r.registration();
                    default:
                        throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    /**
     * The first live service of that type whose {@code property} is {@code value} ({@code property}
     * null: any), or null.
     */
    public <S> S service(Class<S> type, String property, Object value) {
        return registered.stream().filter(r -> !r.unregistered && type.isInstance(r.service)
                && (property == null || value.equals(r.properties.get(property)))).map(r -> type.cast(r.service))
                .findFirst().orElse(null);
    }

    /** The live flash region of that name, or null. */
    public FlashRegion region(String name) {
        return service(FlashRegion.class, FlashRegion.REGION, name);
    }

    /** The live rollback index, or null. */
    public RollbackIndex rollbackIndex() {
        return service(RollbackIndex.class, null, null);
    }

    /** The live refusal of the partition of that name, or null. */
    public RefusedPartition refused(String name) {
        return service(RefusedPartition.class, RefusedPartition.PARTITION, name);
    }

    /** How many registrations are not unregistered. */
    public long live() {
        return registered.stream().filter(r -> !r.unregistered).count();
    }

    /** One registration: what was registered, and whether it was unregistered since. */
    public static final class Registered {
        /** The class name or names given to {@code registerService}. */
        public final Object clazz;
        public final Object service;
        public final Dictionary<?, ?> properties;
        public boolean unregistered;

        Registered(Object clazz, Object service, Dictionary<?, ?> properties) {
            this.clazz = clazz;
            this.service = service;
            this.properties = properties;
        }

        @SuppressWarnings("unchecked")
        <S> ServiceRegistration<S> registration() {
            return (ServiceRegistration<S>) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ServiceRegistration.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "toString":
                            return "registration of " + service;
                        default:
                            break;
                        }
                        if (!method.getName().equals("unregister")) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        if (unregistered) {
                            throw new IllegalStateException("already unregistered");
                        }
                        unregistered = true;
                        return null;
                    });
        }
    }
}
