package datastore.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import datastore.ImageStore;
import datastore.KvBatch;
import datastore.KvStore;
import datastore.flash.FlashRegion;
import datastore.image.ImageType;
import datastore.logstore.RuntimePromise;
import datastore.spi.PartitionStore;
import datastore.spi.RomContent;
import datastore.spi.RomProvisioning;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.launch.Framework;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The dock as an application meets it: an embedded Apache Felix running the bundles of the {@code dock}
 * product exactly as {@code datastore.dock/target/dock.jar} packs them (the bnd executable jar's
 * {@code jar/} folder, with the start levels and framework properties of its {@code launcher.properties}),
 * on a flash file in a folder of its own, in development mode. The API bundle's packages are exported
 * by the system bundle from this class path instead ({@code org.osgi.framework.system.packages.extra},
 * with the API bundle's own {@code Export-Package}), so the {@link KvStore} the benchmarks call is the one
 * the store bundle registers. Services are taken from the framework; ROM content is placed through
 * {@link RomProvisioning}, as the development API places it. {@link DockFramework} launches it.
 */
final class Dock implements AutoCloseable {
    /** System property: the product's executable jar; see {@link DockFramework#product()}. */
    static final String PRODUCT = DockFramework.PRODUCT;
    /** The product's default payload capacities, as its partitions' default configurations promise them. */
    static final long RUNTIME_CAPACITY = RuntimePromise.DEFAULT_CAPACITY;
    /** What the runtime partition counts for each entry beyond its name and value. */
    static final int RUNTIME_ENTRY_CHARGE = RuntimePromise.ENTRY_CHARGE;
    static final long EPHEMERAL_CAPACITY = 128L * 1024 * 1024;

    /** The value size at which {@code keys} keys of 10-byte names fill the runtime capacity, entry charges included. */
    static int runtimeValueBytes(int keys) {
        return (int) (RUNTIME_CAPACITY / keys) - 10 - RUNTIME_ENTRY_CHARGE;
    }
    private static final long WAIT_SECONDS = DockFramework.WAIT_SECONDS;

    final Path dir;
    private final Path arenaDir;
    private final Framework framework;
    private final BundleContext context;
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    private Dock(Path dir, Map<String, Map<String, Object>> configurations) throws Exception {
        this.dir = dir;
        // The arena in a scratch folder on tmpfs (where the product puts it too), removed at close.
        arenaDir = Data.scratch(Data.sharedMemory(), "arena");
        DockFramework.Installed installed = DockFramework.install(dir);
        framework = installed.framework();
        context = framework.getBundleContext();
        try {
            Map<String, Map<String, Object>> all = new LinkedHashMap<>();
            all.put("datastore.ephemeral", Map.of("path", arenaDir.resolve("ephemeral.arena").toString()));
            all.putAll(configurations);
            DockFramework.start(installed, all);
            awaitService(DockFramework.readiness(), "the dock to be ready");
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** A dock on an erased flash file in a new folder under {@code base} (the temporary folder when null). */
    static Dock create(Path base) {
        return create(base, Map.of());
    }

    /** As {@link #create(Path)}, with component configurations (PID to properties) in place before any starts. */
    static Dock create(Path base, Map<String, Map<String, Object>> configurations) {
        Data.quietLogs();
        Path dir = Data.scratch(base, "dock");
        try {
            return new Dock(dir, configurations);
        } catch (Exception e) {
            // A failed launch has stopped its framework and removed its folders (close); before the
            // framework existed, only the folder is left.
            Data.delete(dir);
            throw e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("the dock did not start in " + dir + ": " + e, e);
        }
    }

    // ---------------------------------------------------------------- services

    KvStore kv() {
        return service(KvStore.class, null);
    }

    ImageStore images() {
        return service(ImageStore.class, null);
    }

    RomProvisioning romProvisioning() {
        return service(RomProvisioning.class, null);
    }

    /** A partition's service, as the store binds it: an engine-only figure through the SPI. */
    PartitionStore partition(String name) {
        return service(PartitionStore.class, "(" + PartitionStore.PARTITION + "=" + name + ")");
    }

    /** The flash region the device bundle serves for a partition. */
    FlashRegion region(String name) {
        return service(FlashRegion.class, "(" + FlashRegion.REGION + "=" + name + ")");
    }

    /** The bundle of a partition engine, by its symbolic name. */
    Bundle bundle(String symbolicName) {
        for (Bundle bundle : context.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        throw new IllegalStateException("the dock runs no bundle " + symbolicName);
    }

    private <S> S service(Class<S> type, String filter) {
        String full = "(objectClass=" + type.getName() + ")";
        if (filter != null) {
            full = "(&" + full + filter + ")";
        }
        return type.cast(awaitService(full, type.getSimpleName() + (filter != null ? " " + filter : "")));
    }

    private Object awaitService(String filter, String what) {
        try {
            ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, context.createFilter(filter), null);
            tracker.open(true);
            trackers.add(tracker);
            Object service = tracker.waitForService(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            if (service == null) {
                throw new IllegalStateException("waited " + WAIT_SECONDS + " s for " + what + " in vain; " + diagnosis());
            }
            return service;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(filter, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        }
    }

    private String diagnosis() {
        return DockFramework.diagnosis(context);
    }

    // ---------------------------------------------------------------- mounting

    /**
     * Starts a stopped partition bundle and returns the nanoseconds until its {@link PartitionStore}
     * service is registered: the mount as the framework sees it (Declarative Services activating the
     * component on a flash file that holds the partition's data, and the registration).
     */
    long start(String bundleName, String partition) {
        return startUntil(bundleName, "(&(objectClass=" + PartitionStore.class.getName() + ")("
                + PartitionStore.PARTITION + "=" + partition + "))");
    }

    /** Starts a stopped bundle and returns the nanoseconds until a service matching {@code filter} is registered. */
    long startUntil(String bundleName, String filter) {
        Bundle bundle = bundle(bundleName);
        CountDownLatch registered = new CountDownLatch(1);
        ServiceListener listener = event -> {
            if (event.getType() == ServiceEvent.REGISTERED) {
                registered.countDown();
            }
        };
        try {
            context.addServiceListener(listener, filter);
            try {
                long start = System.nanoTime();
                bundle.start();
                if (!registered.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException(bundleName + " registered no " + filter + "; " + diagnosis());
                }
                return System.nanoTime() - start;
            } finally {
                context.removeServiceListener(listener);
            }
        } catch (BundleException | InvalidSyntaxException e) {
            throw new IllegalStateException("cannot start " + bundleName + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops a bundle (its partition unmounts), synchronously. */
    void stop(String bundleName) {
        try {
            bundle(bundleName).stop();
        } catch (BundleException e) {
            throw new IllegalStateException("cannot stop " + bundleName + ": " + e, e);
        }
    }

    /**
     * Returns once Event Admin has delivered every event this thread posted so far (the store posts one
     * per changed entry, asynchronously): a marker event posted from this thread is delivered after
     * them, since Felix Event Admin delivers the asynchronous events of one thread in order. Event
     * Admin's API is its bundle's own, so it is called reflectively.
     */
    void awaitEvents() {
        String topic = "datastore/bench/marker";
        var reference = context.getServiceReference("org.osgi.service.event.EventAdmin");
        if (reference == null) {
            return; // no Event Admin, no queue
        }
        try {
            Bundle eventAdmin = reference.getBundle();
            Class<?> handlerType = eventAdmin.loadClass("org.osgi.service.event.EventHandler");
            Class<?> eventType = eventAdmin.loadClass("org.osgi.service.event.Event");
            CountDownLatch delivered = new CountDownLatch(1);
            Object handler = java.lang.reflect.Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handleEvent" -> {
                            delivered.countDown();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "marker handler";
                    });
            var registration = context.registerService(handlerType.getName(), handler,
                    new Hashtable<>(Map.of("event.topics", topic)));
            try {
                Object event = eventType.getConstructor(String.class, Map.class).newInstance(topic, Map.of());
                Object admin = context.getService(reference);
                eventAdmin.loadClass("org.osgi.service.event.EventAdmin").getMethod("postEvent", eventType).invoke(admin, event);
                if (!delivered.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("Event Admin did not deliver its queue within " + WAIT_SECONDS + " s");
                }
            } finally {
                registration.unregister();
                context.ungetService(reference);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach Event Admin: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- content

    /** Replaces the ROM with {@code content}, as the development API does. */
    void replaceRom(RomContent content) {
        romProvisioning().replace(content);
    }

    /** ROM content of key-value settings only. */
    static RomContent kvContent(String[] keys, String[] values) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            kv.put(keys[i], values[i]);
        }
        return new RomContent(new byte[0], kv, Map.of());
    }

    /** The size of content a developer deploys: code, three settings and a small splash image. */
    static RomContent sampleContent() {
        Map<String, RomContent.RomImage> images = new LinkedHashMap<>();
        images.put("default", new RomContent.RomImage(ImageType.BMP, Data.bmp(16 * 1024, 1)));
        return new RomContent(SAMPLE_CODE.getBytes(StandardCharsets.UTF_8), sampleSettings(), images);
    }

    static final String SAMPLE_CODE = "print('sample')\n";

    static Map<String, String> sampleSettings() {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("dock_name", "RW02-sample");
        kv.put("timezone", "GB");
        kv.put("content_url", "https://content.example.com/sample");
        return kv;
    }

    /** Writes key-value pairs into a partition through the store, one {@code put} each, as an application writes a setting. */
    static void putEach(KvStore kv, String partition, String[] keys, String[] values) {
        for (int i = 0; i < keys.length; i++) {
            kv.put(keys[i], values[i], partition);
        }
    }

    /** Writes key-value pairs into a partition through the store, {@code batch} per atomic commit. */
    static void fill(KvStore kv, String partition, String[] keys, String[] values, int batch) {
        KvBatch open = kv.batch(partition);
        int pending = 0;
        for (int i = 0; i < keys.length; i++) {
            open.put(keys[i], values[i]);
            if (++pending == batch || i == keys.length - 1) {
                open.commit();
                open = kv.batch(partition);
                pending = 0;
            }
        }
    }

    static String[] values(String[] keys, int length) {
        String[] values = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            values[i] = Data.value(keys[i].hashCode(), length);
        }
        return values;
    }

    @Override
    public void close() {
        for (ServiceTracker<?, ?> tracker : trackers) {
            tracker.close();
        }
        try {
            framework.stop();
            framework.waitForStop(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        } catch (BundleException e) {
            throw new IllegalStateException("the dock did not stop: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Data.delete(arenaDir);
        Data.delete(dir);
    }
}
