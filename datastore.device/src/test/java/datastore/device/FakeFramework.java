package datastore.device;

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
import datastore.spi.RefusedPartition;

/** A bundle context that knows framework properties, a data area and service registrations, and nothing else. */
final class FakeFramework {
    final Map<String, String> properties = new HashMap<>();
    File dataArea;
    final List<Registered> registered = new ArrayList<>();

    BundleContext context() {
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

    /** The registered, not unregistered, flash region of that name, or null. */
    FlashRegion region(String name) {
        return registered.stream().filter(r -> !r.unregistered && r.service instanceof FlashRegion
                && name.equals(r.properties.get(FlashRegion.REGION))).map(r -> (FlashRegion) r.service).findFirst()
                .orElse(null);
    }

    /** The registered, not unregistered, rollback index, or null. */
    datastore.flash.RollbackIndex rollbackIndex() {
        return registered.stream().filter(r -> !r.unregistered && r.service instanceof datastore.flash.RollbackIndex)
                .map(r -> (datastore.flash.RollbackIndex) r.service).findFirst().orElse(null);
    }

    /** The registered, not unregistered, refused partition of that name, or null. */
    RefusedPartition refused(String name) {
        return registered.stream().filter(r -> !r.unregistered && r.service instanceof RefusedPartition
                && name.equals(r.properties.get(RefusedPartition.PARTITION))).map(r -> (RefusedPartition) r.service)
                .findFirst().orElse(null);
    }

    long live() {
        return registered.stream().filter(r -> !r.unregistered).count();
    }

    static final class Registered {
        final Object clazz;
        final Object service;
        final Dictionary<?, ?> properties;
        boolean unregistered;

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
