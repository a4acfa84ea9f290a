package datastore.rom;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import datastore.Namespace;
import datastore.PartitionUnavailableException;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;
import datastore.flash.FlashRegion;
import datastore.flash.RollbackIndex;
import datastore.image.ImageFormat;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;
import datastore.romformat.RomRegionRefusedException;
import datastore.romformat.RomSigningKeys;
import datastore.romformat.RomStore;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;
import datastore.spi.RefusedPartition;
import datastore.spi.RomProvisioning;
import datastore.system.DockMode;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The ROM partition service: a read-only {@link PartitionStore} over a {@link RomStore} on the
 * {@code rom} flash region. Through this SPI it never writes; in development mode (framework
 * property {@value #MODE} = {@code development}) it also registers {@link RomProvisioning} for
 * atomic replaces of the application ROM store. After mounting it hashes every page once in the
 * background, so corruption shows in {@link RomProvisioning#info()} and the log even for entries
 * nobody reads.
 *
 * <p>When the region holds something it must not mount or write (a ROM written for another geometry
 * or place, a newer format, foreign bytes), it registers a {@link RefusedPartition} instead, and
 * neither the partition nor provisioning; {@link RefusedPartition#format()}, or the configuration
 * property {@code format.refused}, erases the region and registers the partition in its place. The
 * services are registered through the bundle context rather than by DS, so the component can switch
 * between the two; DS still brings the configuration and the references.
 */
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"datastore.spi.PartitionStore\"",
        uses = PartitionStore.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"datastore.spi.RefusedPartition\"",
        uses = RefusedPartition.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"datastore.spi.RomProvisioning\"",
        uses = RomProvisioning.class)
@Component(service = {}, immediate = true, configurationPid = RomPartition.PID)
@Designate(ocd = RomConfiguration.class)
public class RomPartition implements PartitionStore {
    static final String PID = "datastore.rom";
    static final int RANKING = Partitions.ROM_RANKING;
    /** Framework property: {@code development} or {@code production}; absent means production. */
    static final String MODE = DockMode.PROPERTY;
    /** Framework property: this dock's id, when configuration {@code dock_id} is empty. */
    static final String DOCK_ID = "datastore.dock.id";

    private static final System.Logger LOG = System.getLogger(RomPartition.class.getName());
    /** How long stopping waits for the background verifier to end its page. */
    private static final long VERIFIER_STOP_MILLIS = 5000;

    private final FlashRegion region;
    private final long capacity;
    private final List<PublicKey> keys;
    private final String dockId;
    private final RollbackIndex rollbackIndex;
    private final Duration wait;
    private final boolean development;
    /** Null while the region is refused. */
    volatile RomStore store;
    /** Null while the region is refused. */
    volatile RomProvisioningService provisioning;
    /** Why the region is refused; null once mounted. */
    volatile String refusal;
    final RefusedPartition refused = new Refused();
    private BundleContext context;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    /** Hashes every page not yet checked, in the background, from registration until the partition stops. */
    private Thread verifier;

    /** Where a replace posts its change events; optional, a product without Event Admin posts none. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile EventAdmin eventAdmin;

    /** Validates images for development replaces; optional, a product without it still serves the ROM. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ImageFormat imageFormat;

    /**
     * Mounts the ROM of the region, or finds it refused.
     *
     * @throws IllegalArgumentException if the configuration is invalid, saying which attribute and why
     * @throws IOException if the region cannot be mapped, or formatted when {@code format.refused} asks
     */
    @Activate
    public RomPartition(@Reference(target = "(" + FlashRegion.REGION + "=" + Partitions.ROM + ")",
            policyOption = ReferencePolicyOption.GREEDY) FlashRegion region, RomConfiguration config,
            BundleContext context, @Reference(cardinality = ReferenceCardinality.OPTIONAL,
                    policyOption = ReferencePolicyOption.GREEDY) RollbackIndex rollbackIndex) throws IOException {
        this(region, config, mode(context.getProperty(MODE)), rollbackIndex, context.getProperty(DOCK_ID),
                context.getProperty(FlashRegion.FLASH_FILE) != null
                        && !context.getProperty(FlashRegion.FLASH_FILE).isBlank());
    }

    RomPartition(FlashRegion region, RomConfiguration config, boolean development) throws IOException {
        this(region, config, development, null, null);
    }

    /**
     * @param rollbackIndex the device's, or null (signed generations then go unchecked, logged)
     * @param dockIdProperty the framework property {@value #DOCK_ID}, used when the configuration has no dock_id
     */
    RomPartition(FlashRegion region, RomConfiguration config, boolean development, RollbackIndex rollbackIndex,
            String dockIdProperty) throws IOException {
        this(region, config, development, rollbackIndex, dockIdProperty, false);
    }

    /**
     * @param describedFlash whether the flash describes its own layout ({@link FlashRegion#FLASH_FILE}): the
     *        region was then sized for the promise it was built for, and a configured capacity above what
     *        its slots hold is lowered to that
     */
    RomPartition(FlashRegion region, RomConfiguration config, boolean development, RollbackIndex rollbackIndex,
            String dockIdProperty, boolean describedFlash) throws IOException {
        this.region = region;
        this.keys = publicKeys(config);
        this.dockId = dockId(config, dockIdProperty);
        this.rollbackIndex = rollbackIndex;
        if (!keys.isEmpty() && rollbackIndex == null) {
            LOG.log(Level.WARNING, "ROM partition: images must be signed, but the device keeps no rollback index, "
                    + "so an older signed image is not refused");
        }
        this.wait = replaceWait(config);
        this.capacity = describedFlash ? promisedByRegion(config.capacity(), region) : config.capacity();
        this.development = development;
        try {
            mount();
        } catch (RomRegionRefusedException e) {
            if (config.format_refused()) {
                LOG.log(Level.WARNING, "ROM partition: " + e.reason() + ". Formatting the region, as configuration "
                        + PID + " format.refused asks: everything it held is erased");
                RomStore.format(region);
                mount();
            } else {
                refusal = e.reason();
                LOG.log(Level.ERROR, "ROM partition refused its flash region, which is left as it was: " + e.reason());
            }
        }
    }

    /** The configured capacity, or what the region's slots hold if that is less (format 3 layout). */
    static long promisedByRegion(long configured, FlashRegion region) {
        long room;
        try {
            room = RomImageFormat.roomFor(RomLayout.of(region.geometry()).slotImageRoom());
        } catch (IllegalArgumentException tooSmall) {
            return configured;
        }
        if (room >= configured) {
            return configured;
        }
        LOG.log(Level.INFO, "ROM partition: the flash describes its own layout and its region holds " + room
                + " payload bytes, less than the configured capacity of " + configured + "; it promises " + room);
        return room;
    }

    private void mount() throws IOException {
        RomStore mounted;
        try {
            mounted = new RomStore(region, capacity, keys, dockId, rollbackIndex, wait);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration of " + PID + " (capacity) or of its "
                    + Partitions.ROM + " flash region: " + e.getMessage(), e);
        }
        provisioning = new RomProvisioningService(mounted, () -> imageFormat, development, () -> eventAdmin);
        store = mounted;
        refusal = null;
    }

    /**
     * Registers the partition (and provisioning in development mode) and starts the background check,
     * or registers the refusal, once references are bound.
     */
    @Activate
    synchronized void start(BundleContext context) {
        this.context = context;
        register();
    }

    private void register() {
        RomStore mounted = store;
        if (mounted == null) {
            // At the partition's own rank, so the store never answers from below the refused ROM.
            Map<String, Object> properties = PartitionStore.serviceProperties(Partitions.ROM, RANKING);
            properties.put(Constants.SERVICE_DESCRIPTION, "ROM partition refused: " + refusal);
            registrations.add(context.registerService(RefusedPartition.class, refused,
                    FrameworkUtil.asDictionary(properties)));
            return;
        }
        registrations.add(context.registerService(PartitionStore.class, this,
                FrameworkUtil.asDictionary(PartitionStore.serviceProperties(Partitions.ROM, RANKING))));
        if (development) {
            registrations.add(context.registerService(RomProvisioning.class, provisioning, properties(Map.of(
                    Constants.SERVICE_DESCRIPTION, "Development replaces of the application ROM store"))));
        }
        mounted.info().problem().ifPresent(problem -> LOG.log(Level.ERROR, "ROM mounted with problems: " + problem));
        verifier = new Thread(mounted::verifyAll, "datastore.rom verifier");
        verifier.setDaemon(true);
        verifier.start();
    }

    private static Dictionary<String, Object> properties(Map<String, Object> extra) {
        Dictionary<String, Object> properties = new Hashtable<>(extra);
        properties.put(PartitionStore.PARTITION, Partitions.ROM);
        return properties;
    }

    @Deactivate
    synchronized void stop() {
        unregister();
        context = null;
    }

    private void unregister() {
        stopVerifier();
        for (ServiceRegistration<?> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The framework unregisters a stopping bundle's services itself.
            }
        }
        registrations.clear();
    }

    /**
     * Stops the background verifier (it stops at its next page, leaving the rest unchecked) and waits for
     * it, so that no thread of a stopped partition goes on reading its region or competing for the
     * processor with what starts next.
     */
    private void stopVerifier() {
        Thread running = verifier;
        verifier = null;
        if (running == null) {
            return;
        }
        running.interrupt();
        try {
            running.join(VERIFIER_STOP_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (running.isAlive()) {
            LOG.log(Level.WARNING, "ROM partition: the background verifier did not stop within "
                    + VERIFIER_STOP_MILLIS + " ms; it ends at its next page");
        }
    }

    /** The refusal: formats on request, then the partition registers in its place. */
    private final class Refused implements RefusedPartition {
        @Override
        public String name() {
            return Partitions.ROM;
        }

        @Override
        public String reason() {
            String reason = refusal;
            return reason == null ? "not refused any more: the region was formatted" : reason;
        }

        @Override
        public void format() throws IOException {
            synchronized (RomPartition.this) {
                if (refusal == null) {
                    return;
                }
                LOG.log(Level.WARNING, "ROM partition: formatting the refused region on request (" + refusal
                        + "); everything it held is erased");
                RomStore.format(region);
                mount();
                if (context != null) {
                    unregister();
                    register();
                }
            }
        }
    }

    /** Whether the property names development mode, read by the one parser every bundle shares. */
    static boolean mode(String value) {
        try {
            return DockMode.of(value) == DockMode.DEVELOPMENT;
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, e.getMessage() + "; running in production mode, without ROM provisioning");
            return false;
        }
    }

    /** The keys of {@code public_key} and {@code public_keys} together, each once. */
    static List<PublicKey> publicKeys(RomConfiguration config) {
        List<PublicKey> keys = new ArrayList<>();
        try {
            PublicKey single = RomSigningKeys.publicKey(config.public_key());
            if (single != null) {
                keys.add(single);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": public_key: " + e.getMessage(), e);
        }
        String[] listed = config.public_keys() == null ? new String[0] : config.public_keys();
        for (int i = 0; i < listed.length; i++) {
            try {
                PublicKey key = RomSigningKeys.publicKey(listed[i]);
                if (key != null && !keys.contains(key)) {
                    keys.add(key);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid configuration of " + PID + ": public_keys[" + i + "]: "
                        + e.getMessage(), e);
            }
        }
        return List.copyOf(keys);
    }

    private static String dockId(RomConfiguration config, String property) {
        String id = config.dock_id() == null || config.dock_id().isBlank() ? property : config.dock_id();
        if (id == null || id.isBlank()) {
            return null;
        }
        RomImageFormat.dockIdProblem(id).ifPresent(problem -> {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": dock_id: " + problem);
        });
        return id;
    }

    private static Duration replaceWait(RomConfiguration config) {
        if (config.replace_wait_ms() < 0) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": replace_wait_ms must not be "
                    + "negative, not " + config.replace_wait_ms());
        }
        return Duration.ofMillis(config.replace_wait_ms());
    }

    @Override
    public String name() {
        return Partitions.ROM;
    }

    /** The store, or the refusal as the exception reads report. */
    private RomStore mounted(String name) {
        RomStore mounted = store;
        if (mounted == null) {
            throw new PartitionUnavailableException(Partitions.ROM, name, refusal);
        }
        return mounted;
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public Optional<EntryView> open(Namespace namespace, String name) {
        return mounted(name).open(namespace, name);
    }

    /** Decodes the value straight from the mapped flash, without a view; see {@link RomStore#read}. */
    @Override
    public <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return mounted(name).read(namespace, name, decoder);
    }

    @Override
    public <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return mounted(name).readOrNull(namespace, name, decoder);
    }

    /**
     * Probes the served images' on-flash hash tables; see {@link RomStore#mayContain}. A refused ROM
     * answers {@code true}, so that a read reports why it is unavailable.
     */
    @Override
    public boolean mayContain(Namespace namespace, String name) {
        RomStore mounted = store;
        return mounted == null || mounted.mayContain(namespace, name);
    }

    @Override
    public List<String> names(Namespace namespace) {
        return mounted(null).names(namespace);
    }

    /**
     * Always refuses: the ROM has no write path through the partition SPI.
     *
     * @throws ReadOnlyPartitionException always
     */
    @Override
    public void apply(List<Change> changes) {
        throw new ReadOnlyPartitionException(Partitions.ROM,
                changes == null || changes.isEmpty() ? null : changes.get(0).name());
    }

    @Override
    public PartitionUsage usage() {
        return mounted(null).usage();
    }

    /**
     * Always refuses: factory reset keeps the ROM.
     *
     * @throws ReadOnlyPartitionException always
     */
    @Override
    public void clear() {
        throw new ReadOnlyPartitionException(Partitions.ROM, null);
    }
}
