package datastore.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import datastore.Namespace;
import datastore.PartitionUnavailableException;
import datastore.Partitions;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.logstore.LogStore;
import datastore.logstore.RefusedRegionException;
import datastore.logstore.RuntimePromise;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;
import datastore.spi.RefusedPartition;

import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The runtime partition component: a thin shell over a {@link LogStore} on the {@code runtime} flash
 * region, mounted (recovered by scanning the log) at activation. It registers its
 * {@link PartitionStore} service itself, or, when the region is refused (another geometry or
 * identity, foreign bytes, an unknown format version; see the engine's FORMAT.md), a {@link RefusedPartition}
 * whose {@code format()} is the explicit act that erases the region and switches to the
 * PartitionStore; the configuration flag {@code format_refused} does the same at activation.
 * Damage found while mounting is logged at activation, damage a read finds later when it is found;
 * both stay in {@link #problems()}. A region too small for the configuration, or one that cannot be
 * read, fails activation with a message saying why.
 */
@Component(service = {}, immediate = true, configurationPid = RuntimePartition.PID)
@Designate(ocd = RuntimeConfiguration.class)
public class RuntimePartition implements PartitionStore {
    static final String PID = "datastore.runtime";
    static final int RANKING = Partitions.RUNTIME_RANKING;
    static final long DEFAULT_CAPACITY = RuntimePromise.DEFAULT_CAPACITY;
    static final long DEFAULT_VIEW_WAIT_MS = 5000;
    /** The key of {@link RuntimeConfiguration#view_wait_ms()}. */
    static final String VIEW_WAIT_MS = "view.wait.ms";
    /** The former name of {@link #VIEW_WAIT_MS}, still read when that one is absent (see {@link #viewWaitMs}). */
    static final String FORMER_VIEW_WAIT = "view.wait.millis";
    /**
     * A key of earlier builds, which capped the number of entries; entries are now counted against the
     * capacity ({@link RuntimePromise#ENTRY_CHARGE}), and a configuration that still sets it is told so.
     */
    static final String FORMER_MAX_ENTRIES = "max.entries";

    private static final System.Logger LOG = System.getLogger(RuntimePartition.class.getName());

    private final BundleContext context;
    private final FlashRegion region;
    private final RuntimeConfiguration config;
    /** Milliseconds a write waits for views, from the current key or the former one. */
    private final long viewWaitMs;
    /** The mounted engine; null while the region is refused. */
    volatile LogStore store;
    /** Why the region is refused; null once mounted. */
    private volatile String refusal;
    private ServiceRegistration<?> registration;

    /**
     * Mounts the partition on its region and registers the PartitionStore, or, if the region is
     * refused, registers a RefusedPartition (or formats the region when configured to).
     *
     * @param properties the component's properties, for the former key {@code view.wait.millis}
     * @throws IllegalArgumentException if the configuration does not fit the region, with the numbers
     * @throws IllegalStateException if the region cannot be read
     */
    @Activate
    public RuntimePartition(BundleContext context,
            @Reference(name = "region", target = "(" + FlashRegion.REGION + "=" + Partitions.RUNTIME + ")",
                    policyOption = ReferencePolicyOption.GREEDY) FlashRegion region,
            RuntimeConfiguration config, Map<String, Object> properties) {
        this.context = context;
        this.region = region;
        if (context != null && context.getProperty(FlashRegion.FLASH_FILE) != null
                && !context.getProperty(FlashRegion.FLASH_FILE).isBlank()) {
            config = promisedByRegion(config, region.geometry());
        }
        this.config = config;
        this.viewWaitMs = viewWaitMs(config, properties);
        if (properties.containsKey(FORMER_MAX_ENTRIES)) {
            LOG.log(System.Logger.Level.WARNING, "runtime partition: " + FORMER_MAX_ENTRIES + "="
                    + properties.get(FORMER_MAX_ENTRIES) + " is no longer used: there is no entry limit, each entry "
                    + "counts its name, its value and " + RuntimePromise.ENTRY_CHARGE + " bytes against the capacity");
        }
        LogStore mounted = newStore(region, config, viewWaitMs);
        try {
            mount(mounted, region);
            store = mounted;
        } catch (RefusedRegionException e) {
            if (config.format_refused()) {
                LOG.log(System.Logger.Level.WARNING, "runtime partition: {0}; formatting it, as format_refused is set",
                        e.getMessage());
                store = formatted(region, config, viewWaitMs);
            } else {
                refusal = e.getMessage();
                LOG.log(System.Logger.Level.ERROR, "runtime partition refused its region: {0}", refusal);
            }
        }
        register();
    }

    /**
     * The partition without a framework (tests, benchmarks): mounted as at activation, nothing
     * registered; a refused region leaves it unavailable ({@link #refusal()} says why) until
     * formatted.
     */
    public RuntimePartition(FlashRegion region, RuntimeConfiguration config) {
        this(null, region, config, Map.of());
    }

    @Deactivate
    synchronized void deactivate() {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
    }

    private synchronized void register() {
        if (context == null) {
            return;
        }
        Dictionary<String, Object> properties = FrameworkUtil.asDictionary(
                PartitionStore.serviceProperties(Partitions.RUNTIME, RANKING));
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
        if (store != null) {
            registration = context.registerService(PartitionStore.class, this, properties);
        } else {
            registration = context.registerService(RefusedPartition.class, new Refused(), properties);
        }
    }

    /**
     * The view wait: {@code view.wait.ms}, or the former key {@code view.wait.millis} when that one is
     * set and {@code view.wait.ms} is not, as a renamed key stays read (ARCHITECTURE.md, "Configuration
     * names"). Declarative Services hands the component its defaults as properties too, so "not set"
     * means holding the default: a configuration that sets both keys, the new one to 5000, gets the
     * former key's value.
     *
     * @param properties the component's properties by their keys
     * @throws IllegalArgumentException if the former key holds no number
     */
    static long viewWaitMs(RuntimeConfiguration config, Map<String, ?> properties) {
        Object former = properties.get(FORMER_VIEW_WAIT);
        if (former == null || config.view_wait_ms() != DEFAULT_VIEW_WAIT_MS) {
            return config.view_wait_ms();
        }
        if (former instanceof Number number) {
            return number.longValue();
        }
        try {
            return Long.parseLong(former.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": " + FORMER_VIEW_WAIT
                    + " (now " + VIEW_WAIT_MS + ") must be a number of milliseconds, not " + former, e);
        }
    }

    /**
     * On a flash that describes its own layout ({@link FlashRegion#FLASH_FILE}), the region was sized for
     * the promise it was built for: the configuration when it fits, else the largest promise the region
     * keeps.
     */
    static RuntimeConfiguration promisedByRegion(RuntimeConfiguration config, FlashGeometry geometry) {
        long needed;
        try {
            needed = RuntimePromise.requiredBlocks(config.capacity(), geometry);
        } catch (IllegalArgumentException tooLarge) {
            needed = Long.MAX_VALUE;
        }
        if (needed <= geometry.blocks()) {
            return config;
        }
        long capacity = RuntimePromise.largestCapacity(geometry);
        LOG.log(System.Logger.Level.INFO, "runtime partition: the flash describes its own layout and the configured "
                + "capacity of " + config.capacity() + " bytes needs " + needed + " blocks of its " + geometry.blocks()
                + "; it promises what the region keeps: " + capacity + " bytes");
        return new RuntimeConfiguration() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return RuntimeConfiguration.class;
            }

            @Override
            public long capacity() {
                return capacity;
            }

            @Override
            public long view_wait_ms() {
                return config.view_wait_ms();
            }

            @Override
            public boolean format_refused() {
                return config.format_refused();
            }
        };
    }

    private static LogStore newStore(FlashRegion region, RuntimeConfiguration config, long viewWaitMs) {
        try {
            return new LogStore(region, config.capacity(), viewWaitMs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": " + e.getMessage(), e);
        }
    }

    private static void mount(LogStore store, FlashRegion region) throws RefusedRegionException {
        try {
            store.mount();
        } catch (IOException e) {
            throw new IllegalStateException("cannot mount the runtime partition on region " + region.name() + ": " + e, e);
        }
        logMounted(store);
    }

    private static LogStore formatted(FlashRegion region, RuntimeConfiguration config, long viewWaitMs) {
        LogStore store = newStore(region, config, viewWaitMs);
        try {
            store.format();
        } catch (IOException e) {
            throw new IllegalStateException("cannot format the runtime partition's region " + region.name() + ": " + e, e);
        }
        logMounted(store);
        return store;
    }

    private static void logMounted(LogStore store) {
        List<String> problems = store.problems();
        for (String problem : problems) {
            LOG.log(System.Logger.Level.WARNING, "runtime partition: {0}", problem);
        }
        PartitionUsage usage = store.usage();
        LOG.log(System.Logger.Level.INFO, "runtime partition mounted: {0} of {1} payload bytes used, {2} problems",
                usage.used(), usage.capacity(), problems.size());
    }

    /** Why the region is refused (naming what was found and what is configured), or null when mounted. */
    public String refusal() {
        return refusal;
    }

    /** Erases and formats a refused region, then serves it (see {@link RefusedPartition#format()}). */
    synchronized void formatRefused() throws IOException {
        if (store != null) {
            return;
        }
        LogStore fresh = newStore(region, config, viewWaitMs);
        fresh.format();
        LOG.log(System.Logger.Level.WARNING, "runtime partition: region {0} formatted on request; it was refused: {1}",
                region.name(), refusal);
        store = fresh;
        refusal = null;
        register();
    }

    /** The service registered while the region is refused. */
    private final class Refused implements RefusedPartition {
        @Override
        public String name() {
            return Partitions.RUNTIME;
        }

        @Override
        public String reason() {
            String reason = refusal;
            return reason == null ? "formatted" : reason;
        }

        @Override
        public void format() throws IOException {
            formatRefused();
        }
    }

    private LogStore mounted(String name) {
        LogStore s = store;
        if (s == null) {
            throw new PartitionUnavailableException(Partitions.RUNTIME, name, refusal);
        }
        return s;
    }

    @Override
    public String name() {
        return Partitions.RUNTIME;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public Optional<EntryView> open(Namespace namespace, String name) {
        return mounted(name).open(namespace, name);
    }

    /** Decodes the value without a view or a pin (see {@link LogStore#read}). */
    @Override
    public <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return mounted(name).read(namespace, name, decoder);
    }

    @Override
    public <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return mounted(name).readOrNull(namespace, name, decoder);
    }

    /** Probes the partition's index (see {@link LogStore#mayContain}); true while the region is refused, so a read reaches the refusal. */
    @Override
    public boolean mayContain(Namespace namespace, String name) {
        LogStore s = store;
        return s == null || s.mayContain(namespace, name);
    }

    @Override
    public List<String> names(Namespace namespace) {
        return mounted(null).names(namespace);
    }

    @Override
    public void apply(List<Change> changes) {
        mounted(null).apply(changes);
    }

    @Override
    public PartitionUsage usage() {
        return mounted(null).usage();
    }

    @Override
    public void clear() {
        mounted(null).clear();
    }

    /** Damage found when mounting and by reads since (each logged once), for diagnostics; unmodifiable. */
    public List<String> problems() {
        LogStore s = store;
        return s == null ? List.of() : s.problems();
    }
}
