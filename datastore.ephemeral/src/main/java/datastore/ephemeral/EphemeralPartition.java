package datastore.ephemeral;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import datastore.Namespace;
import datastore.Partitions;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.propertytypes.ServiceRanking;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The ephemeral partition service: a thin shell over an {@link Arena} in a memory-mapped file outside
 * the heap and outside the bundle. Replacing this bundle re-opens the same file and keeps every entry;
 * a new framework launch (its {@code org.osgi.framework.uuid} differs) starts empty. Deactivation waits
 * for the write in progress, so a hot-replace never tears a record.
 */
@Component(service = PartitionStore.class, immediate = true, configurationPid = EphemeralPartition.PID)
@Designate(ocd = EphemeralConfiguration.class)
@ServiceRanking(EphemeralPartition.RANKING)
@Partition(Partitions.EPHEMERAL)
public class EphemeralPartition implements PartitionStore {
    static final String PID = "datastore.ephemeral";
    static final int RANKING = 300;

    final Arena arena;

    /**
     * Opens the arena of this framework launch.
     *
     * @throws IllegalArgumentException if the configuration is invalid, saying which attribute and why
     */
    @Activate
    public EphemeralPartition(BundleContext context, EphemeralConfiguration config) {
        this(openArena(config, context.getProperty(Constants.FRAMEWORK_STORAGE),
                context.getProperty(Constants.FRAMEWORK_UUID)));
    }

    EphemeralPartition(Arena arena) {
        this.arena = arena;
    }

    static Arena openArena(EphemeralConfiguration config, String storage, String launchId) {
        long capacity = config.capacity();
        if (capacity <= 0 || capacity > Arena.MAX_CAPACITY) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": capacity must be between 1 and "
                    + Arena.MAX_CAPACITY + " bytes, not " + capacity);
        }
        if (launchId == null) {
            throw new IllegalStateException("the framework does not report " + Constants.FRAMEWORK_UUID
                    + ", which tells a bundle update (keep the arena) from a restart (empty it)");
        }
        Path file = ArenaLocation.resolve(config.path(), storage, capacity);
        return new Arena(file, capacity, launchId);
    }

    @Deactivate
    void deactivate() {
        arena.close();
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
