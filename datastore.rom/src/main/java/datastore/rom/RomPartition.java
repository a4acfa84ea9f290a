package datastore.rom;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import datastore.Namespace;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;
import datastore.flash.FlashRegion;
import datastore.image.ImageFormat;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;
import datastore.spi.RomProvisioning;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceRanking;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The ROM partition service: a read-only {@link PartitionStore} over a {@link RomStore} on the
 * {@code rom} flash region. Through this SPI it never writes; in development mode (framework
 * property {@value #MODE} = {@code development}) it also registers {@link RomProvisioning} for
 * atomic replaces of the application ROM store. After mounting it hashes every page once in the
 * background, so corruption shows in {@link RomProvisioning#info()} and the log even for entries
 * nobody reads.
 */
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"datastore.spi.RomProvisioning\"",
        uses = RomProvisioning.class)
@Component(service = PartitionStore.class, immediate = true, configurationPid = RomPartition.PID)
@Designate(ocd = RomConfiguration.class)
@ServiceRanking(RomPartition.RANKING)
@Partition(Partitions.ROM)
public class RomPartition implements PartitionStore {
    static final String PID = "datastore.rom";
    static final int RANKING = 100;
    /** Framework property: {@code development} or {@code production}; absent means production. */
    public static final String MODE = "datastore.mode";
    public static final String DEVELOPMENT = "development";
    public static final String PRODUCTION = "production";

    private static final System.Logger LOG = System.getLogger(RomPartition.class.getName());

    final RomStore store;
    final RomProvisioningService provisioning;
    private final boolean development;
    private ServiceRegistration<RomProvisioning> registration;
    private Thread verifier;

    /** Validates images for development replaces; optional, a product without it still serves the ROM. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ImageFormat imageFormat;

    /**
     * Mounts the ROM of the region.
     *
     * @throws IllegalArgumentException if the configuration is invalid, saying which attribute and why
     * @throws IOException if the region cannot be mapped
     */
    @Activate
    public RomPartition(@Reference(target = "(" + FlashRegion.REGION + "=" + Partitions.ROM + ")",
            policyOption = ReferencePolicyOption.GREEDY) FlashRegion region, RomConfiguration config,
            BundleContext context) throws IOException {
        this(region, config, mode(context.getProperty(MODE)));
    }

    RomPartition(FlashRegion region, RomConfiguration config, boolean development) throws IOException {
        PublicKey key = publicKey(config);
        Duration wait = replaceWait(config);
        try {
            this.store = new RomStore(region, config.capacity(), key, wait);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration of " + PID + " (capacity) or of its "
                    + Partitions.ROM + " flash region: " + e.getMessage(), e);
        }
        this.development = development;
        this.provisioning = new RomProvisioningService(store, () -> imageFormat, development);
    }

    /** Registers provisioning in development mode and starts the background check, once references are bound. */
    @Activate
    void start(BundleContext context) {
        if (development) {
            registration = context.registerService(RomProvisioning.class, provisioning, FrameworkUtil.asDictionary(
                    Map.of(Constants.SERVICE_DESCRIPTION, "Development replaces of the application ROM store")));
        }
        store.info().problem().ifPresent(problem -> LOG.log(Level.ERROR, "ROM mounted with problems: " + problem));
        verifier = new Thread(store::verifyAll, "datastore.rom verifier");
        verifier.setDaemon(true);
        verifier.start();
    }

    @Deactivate
    void stop() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The framework unregisters a stopping bundle's services itself.
            }
            registration = null;
        }
    }

    static boolean mode(String value) {
        if (value == null || value.isBlank() || value.strip().equals(PRODUCTION)) {
            return false;
        }
        if (value.strip().equals(DEVELOPMENT)) {
            return true;
        }
        LOG.log(Level.WARNING, "framework property " + MODE + " is \"" + value + "\", neither " + DEVELOPMENT + " nor "
                + PRODUCTION + "; running in production mode, without ROM provisioning");
        return false;
    }

    private static PublicKey publicKey(RomConfiguration config) {
        try {
            return RomSigningKeys.publicKey(config.public_key());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": public_key: " + e.getMessage(), e);
        }
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

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public Optional<EntryView> open(Namespace namespace, String name) {
        return store.open(namespace, name);
    }

    /** Decodes the value straight from the mapped flash, without a view; see {@link RomStore#read}. */
    @Override
    public <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return store.read(namespace, name, decoder);
    }

    @Override
    public List<String> names(Namespace namespace) {
        return store.names(namespace);
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
        return store.usage();
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
