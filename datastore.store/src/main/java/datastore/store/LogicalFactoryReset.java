package datastore.store;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import datastore.ChangeEvents;
import datastore.DatastoreException;
import datastore.store.PartitionLineup.Member;
import datastore.system.FactoryReset;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceDescription;

/**
 * The {@link FactoryReset} service: empties every partition present that is not read-only, in
 * lookup order, after waiting for partitions that are being replaced (so a returning partition
 * does not bring back its data). One partition failing does not stop the others from being
 * emptied; the reset then throws, naming it, and posts no {@code RESET} event, since the store is
 * not in its factory state.
 */
@Component(name = "datastore.store.reset", service = FactoryReset.class)
@ServiceDescription("Returns the dock's store to its factory state")
public class LogicalFactoryReset implements FactoryReset {

    private static final System.Logger LOG = System.getLogger(LogicalFactoryReset.class.getName());

    private final LogicalStore store;

    @Activate
    public LogicalFactoryReset(@Reference(name = "store", policyOption = ReferencePolicyOption.GREEDY) LogicalStore store) {
        this.store = store;
    }

    /**
     * {@inheritDoc}
     *
     * @return the names of the partitions emptied, in lookup order; unmodifiable
     * @throws DatastoreException naming the first partition that could not be emptied; the others
     *         are emptied all the same, and further failures are suppressed exceptions of this one
     */
    @Override
    public List<String> reset() {
        Set<String> cleared = new LinkedHashSet<>();
        List<DatastoreException> failures = new ArrayList<>();
        for (Member member : store.settledPartitions()) {
            try {
                if (member.store.readOnly()) {
                    continue;
                }
                member.store.clear();
                cleared.add(member.name);
            } catch (RuntimeException e) {
                failures.add(PartitionCalls.failure(member.name, null, "clear", e));
            }
        }
        if (!failures.isEmpty()) {
            DatastoreException first = failures.get(0);
            DatastoreException incomplete = new DatastoreException("factory reset incomplete: partition "
                    + first.partition().orElse("?") + " could not be emptied (" + first.getMessage()
                    + "); emptied: " + cleared, first.partition().orElse(null), null, first);
            failures.stream().skip(1).forEach(incomplete::addSuppressed);
            throw incomplete;
        }
        LOG.log(System.Logger.Level.INFO, "factory reset emptied " + cleared);
        store.post(ChangeEvents.TOPIC_RESET, Map.of());
        return List.copyOf(cleared);
    }
}
