package datastore.runtime;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import datastore.Namespace;
import datastore.Partitions;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceRanking;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The runtime partition service: a thin shell over a {@link LogStore} on the {@code runtime} flash
 * region, mounted (recovered by scanning the log) at activation. Damage found while mounting is
 * logged at activation, damage a read finds later when it is found; both stay in {@link #problems()}.
 * A region too small for the configuration, or one that cannot be read, fails activation with a
 * message saying why.
 */
@Component(service = PartitionStore.class, immediate = true, configurationPid = RuntimePartition.PID)
@Designate(ocd = RuntimeConfiguration.class)
@ServiceRanking(RuntimePartition.RANKING)
@Partition(Partitions.RUNTIME)
public class RuntimePartition implements PartitionStore {
    static final String PID = "datastore.runtime";
    static final int RANKING = 200;
    static final long DEFAULT_CAPACITY = 13L * 1024 * 1024;
    static final int DEFAULT_MAX_ENTRIES = 131072;

    private static final System.Logger LOG = System.getLogger(RuntimePartition.class.getName());

    final LogStore store;

    /**
     * Mounts the partition on its region.
     *
     * @throws IllegalArgumentException if the configuration does not fit the region, with the numbers
     * @throws IllegalStateException if the region cannot be read
     */
    @Activate
    public RuntimePartition(
            @Reference(name = "region", target = "(" + FlashRegion.REGION + "=" + Partitions.RUNTIME + ")",
                    policyOption = ReferencePolicyOption.GREEDY) FlashRegion region,
            RuntimeConfiguration config) {
        this(mount(region, config));
    }

    RuntimePartition(LogStore store) {
        this.store = store;
    }

    static LogStore mount(FlashRegion region, RuntimeConfiguration config) {
        LogStore store;
        try {
            store = new LogStore(region, config.capacity(), config.max_entries(), config.view_wait_millis());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration of " + PID + ": " + e.getMessage(), e);
        }
        try {
            store.mount();
        } catch (IOException e) {
            throw new IllegalStateException("cannot mount the runtime partition on region " + region.name() + ": " + e, e);
        }
        List<String> problems = store.problems();
        for (String problem : problems) {
            LOG.log(System.Logger.Level.WARNING, "runtime partition: {0}", problem);
        }
        PartitionUsage usage = store.usage();
        LOG.log(System.Logger.Level.INFO, "runtime partition mounted: {0} of {1} payload bytes used, {2} problems",
                usage.used(), usage.capacity(), problems.size());
        return store;
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
        return store.open(namespace, name);
    }

    @Override
    public List<String> names(Namespace namespace) {
        return store.names(namespace);
    }

    @Override
    public void apply(List<Change> changes) {
        store.apply(changes);
    }

    @Override
    public PartitionUsage usage() {
        return store.usage();
    }

    @Override
    public void clear() {
        store.clear();
    }

    /** Damage found when mounting and by reads since (each logged once), for diagnostics; unmodifiable. */
    public List<String> problems() {
        return store.problems();
    }
}
