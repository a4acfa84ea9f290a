package datastore.ephemeral;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import datastore.DatastoreException;
import datastore.Namespace;
import datastore.Partitions;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;
import datastore.spi.RefusedPartition;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The ephemeral partition service: a thin shell over an {@link Arena} in a memory-mapped file outside
 * the heap and outside the bundle. Replacing this bundle re-opens the same file and keeps every entry;
 * a new framework launch (its {@code org.osgi.framework.uuid} differs) starts empty. Deactivation waits
 * for the write in progress, so a hot-replace never tears a record. The component registers its
 * services itself: this {@link PartitionStore} when the arena opens, or - when the file is not an arena
 * it may reuse (not ours, a newer format of this launch, a damaged header) - a {@link RefusedPartition}
 * naming what was found, with the file untouched until its {@code format()} replaces it. One instance
 * at a time owns the arena ({@link ArenaLock}): a second instance, such as a bundle of another version
 * installed beside this one, waits without registering anything until the owner stops.
 */
@Component(service = {}, immediate = true, configurationPid = EphemeralPartition.PID)
@Designate(ocd = EphemeralConfiguration.class)
public class EphemeralPartition implements PartitionStore {
    static final String PID = "datastore.ephemeral";
    static final int RANKING = Partitions.EPHEMERAL_RANKING;
    private static final System.Logger LOG = System.getLogger(EphemeralPartition.class.getName());

    volatile Arena arena;
    // Guarded by this:
    private BundleContext context;
    private ServiceRegistration<?> registration;
    private RefusedArena refusal;
    private boolean deactivated;
    private EphemeralConfiguration config;
    private String storage;
    private String launchId;
    private long capacity;
    private Path file;
    /** The arena's lock while this instance owns the arena (open or refused). */
    private ArenaLock lock;
    /** Listens for the owner's bundle to stop while another instance owns the arena. */
    private BundleListener waiting;

    /** For DS, which then calls {@link #activate}. */
    public EphemeralPartition() {
    }

    EphemeralPartition(Arena arena) {
        this.arena = arena;
    }

    /**
     * Takes the arena of this framework launch and registers the partition, or its refusal. When
     * another instance owns the arena (a bundle of another version installed beside this one), this
     * one registers nothing - two instances never write one arena - and takes the arena over once a
     * bundle of the same symbolic name stops.
     *
     * @throws IllegalArgumentException if the configuration is invalid, saying which attribute and why
     */
    @Activate
    synchronized void activate(BundleContext context, EphemeralConfiguration config) {
        this.context = context;
        this.config = config;
        storage = context.getProperty(Constants.FRAMEWORK_STORAGE);
        launchId = checkLaunch(context.getProperty(Constants.FRAMEWORK_UUID));
        capacity = checkCapacity(config);
        file = ArenaLocation.resolve(config.path(), storage, capacity, memo(context));
        if (takeArena()) {
            return;
        }
        LOG.log(System.Logger.Level.ERROR, "the ephemeral arena " + file + " is owned by another instance of the "
                + "ephemeral partition (a datastore.ephemeral bundle of another version installed beside this one, "
                + "or another process configured with the same path): this instance registers no partition, so that "
                + "two instances never write one arena, and takes the arena over when the other one stops. To "
                + "replace the running bundle, update it in place with a jar of the same symbolic name and version, "
                + "or uninstall the other one.");
        Bundle own = context.getBundle();
        waiting = event -> {
            Bundle other = event.getBundle();
            int type = event.getType();
            if (other.getBundleId() != own.getBundleId() && own.getSymbolicName().equals(other.getSymbolicName())
                    && (type == BundleEvent.STOPPED || type == BundleEvent.UNINSTALLED)) {
                takeOver();
            }
        };
        context.addBundleListener(waiting);
        // The owner may have stopped between the first attempt and the listener.
        takeOver();
    }

    /** Takes the arena once its owner has stopped; called on the framework's event thread. */
    private synchronized void takeOver() {
        if (deactivated || lock != null) {
            return;
        }
        try {
            if (takeArena()) {
                LOG.log(System.Logger.Level.INFO, "the ephemeral partition took over the arena " + file
                        + " from the instance that stopped");
                context.removeBundleListener(waiting);
                waiting = null;
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the ephemeral partition could not take over the arena " + file, e);
        }
    }

    /**
     * Locks the arena file if no other instance owns it, then opens it and registers the partition, or
     * its refusal; guarded by this.
     *
     * @return whether this instance now owns the arena
     */
    private boolean takeArena() {
        Optional<ArenaLock> taken;
        try {
            taken = ArenaLock.tryAcquire(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot lock the ephemeral arena " + file + " (" + ArenaLock.lockFile(file)
                    + "): " + e, e);
        }
        if (taken.isEmpty()) {
            return false;
        }
        lock = taken.get();
        try {
            arena = new Arena(file, capacity, launchId);
        } catch (ArenaRefusedException e) {
            LOG.log(System.Logger.Level.ERROR, "the ephemeral partition refuses to start: " + e.getMessage());
            refusal = new RefusedArena(e.getMessage(), config, storage, launchId, memo(context));
            Map<String, Object> properties = PartitionStore.serviceProperties(Partitions.EPHEMERAL, RANKING);
            properties.put(Constants.SERVICE_DESCRIPTION, "Refused ephemeral partition");
            registration = context.registerService(RefusedPartition.class, refusal,
                    FrameworkUtil.asDictionary(properties));
            return true;
        } catch (RuntimeException e) {
            lock.close();
            lock = null;
            throw e;
        }
        registerPartition();
        return true;
    }

    private void registerPartition() {
        Map<String, Object> properties = PartitionStore.serviceProperties(Partitions.EPHEMERAL, RANKING);
        properties.put(Constants.SERVICE_DESCRIPTION, "Ephemeral partition in " + arena.path());
        registration = context.registerService(PartitionStore.class, this, FrameworkUtil.asDictionary(properties));
    }

    /** Where the bundle remembers an arena folder of unpredictable name, across its own updates. */
    private static Path memo(BundleContext context) {
        java.io.File file = context.getDataFile("arena-folder");
        return file == null ? null : file.toPath();
    }

    static Arena openArena(EphemeralConfiguration config, String storage, String launchId, Path memo) {
        long capacity = checkCapacity(config);
        Path file = ArenaLocation.resolve(config.path(), storage, capacity, memo);
        return new Arena(file, capacity, checkLaunch(launchId));
    }

    private static long checkCapacity(EphemeralConfiguration config) {
        long capacity = config.capacity();
        if (capacity <= 0 || capacity > Arena.MAX_CAPACITY) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": capacity must be between 1 and "
                    + Arena.MAX_CAPACITY + " bytes, not " + capacity);
        }
        return capacity;
    }

    private static String checkLaunch(String launchId) {
        if (launchId == null) {
            throw new IllegalStateException("the framework does not report " + Constants.FRAMEWORK_UUID
                    + ", which tells a bundle update (keep the arena) from a restart (empty it)");
        }
        return launchId;
    }

    /**
     * Unregisters first, so the store stops using the partition before its arena closes; releases the
     * arena last, so that an instance waiting for it finds it closed.
     */
    @Deactivate
    synchronized void deactivate() {
        deactivated = true;
        if (waiting != null) {
            try {
                context.removeBundleListener(waiting);
            } catch (IllegalStateException stopping) {
                // The bundle's context is gone; so are its listeners.
            }
            waiting = null;
        }
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The framework unregisters a stopping bundle's services itself.
            }
            registration = null;
        }
        Arena open = arena;
        if (open != null) {
            open.close();
        }
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }

    /** Replaces the refused file by a fresh arena and registers the partition in place of the refusal. */
    synchronized void format(RefusedArena refused) throws IOException {
        if (deactivated || refusal != refused) {
            throw new IOException("the ephemeral partition is no longer refused: it was deactivated or formatted "
                    + "already");
        }
        long capacity = checkCapacity(refused.config);
        Path file = ArenaLocation.resolve(refused.config.path(), refused.storage, capacity, refused.memo);
        LOG.log(System.Logger.Level.WARNING, "formatting the ephemeral arena " + file + " on request, which replaces "
                + "what it held; it was refused because " + refused.reason);
        try {
            Arena.replace(file, refused.launchId);
            arena = new Arena(file, capacity, refused.launchId);
        } catch (DatastoreException e) {
            throw new IOException(e.getMessage(), e);
        }
        refusal = null;
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // The bundle is stopping.
        }
        registerPartition();
    }

    /** The refusal registered while the arena file is not one this build may reuse. */
    final class RefusedArena implements RefusedPartition {
        final String reason;
        final EphemeralConfiguration config;
        final String storage;
        final String launchId;
        final Path memo;

        RefusedArena(String reason, EphemeralConfiguration config, String storage, String launchId, Path memo) {
            this.reason = reason;
            this.config = config;
            this.storage = storage;
            this.launchId = launchId;
            this.memo = memo;
        }

        @Override
        public String name() {
            return Partitions.EPHEMERAL;
        }

        @Override
        public String reason() {
            return reason;
        }

        /** Replaces the arena file by a fresh, empty arena (destroying what it held) and starts the partition. */
        @Override
        public void format() throws IOException {
            EphemeralPartition.this.format(this);
        }
    }

    @Override
    public String name() {
        return Partitions.EPHEMERAL;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public Optional<EntryView> open(Namespace namespace, String name) {
        return arena.open(namespace, name);
    }

    /** {@inheritDoc} Small values are read without pinning (see {@link Arena#read}). */
    @Override
    public <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return arena.read(namespace, name, decoder);
    }

    @Override
    public <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return arena.readOrNull(namespace, name, decoder);
    }

    /** {@inheritDoc} A probe of the arena's compact index (see {@link Arena#mayContain}). */
    @Override
    public boolean mayContain(Namespace namespace, String name) {
        return arena.mayContain(namespace, name);
    }

    @Override
    public List<String> names(Namespace namespace) {
        return arena.names(namespace);
    }

    @Override
    public void apply(List<Change> changes) {
        arena.apply(changes);
    }

    @Override
    public PartitionUsage usage() {
        return arena.usage();
    }

    @Override
    public void clear() {
        arena.clear();
    }
}
