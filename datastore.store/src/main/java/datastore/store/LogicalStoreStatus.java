package datastore.store;

import java.util.ArrayList;
import java.util.List;

import datastore.spi.PartitionUsage;
import datastore.store.PartitionLineup.Member;
import datastore.system.PartitionStatus;
import datastore.system.PartitionRefusal;
import datastore.system.StoreStatus;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceDescription;

/**
 * The {@link StoreStatus} service: the store's own lineup, so that the tools show the partitions in
 * the order reads consult them. It never waits for a departed partition (a status view should answer
 * at once); a partition that fails to report its usage is listed with the failure, not left out.
 */
@Component(name = "datastore.store.status", service = StoreStatus.class)
@ServiceDescription("The partitions of the dock's store in lookup order, with their usage")
public class LogicalStoreStatus implements StoreStatus {

    private static final System.Logger LOG = System.getLogger(LogicalStoreStatus.class.getName());

    private final LogicalStore store;

    @Activate
    public LogicalStoreStatus(@Reference(name = "store", policyOption = ReferencePolicyOption.GREEDY) LogicalStore store) {
        this.store = store;
    }

    @Override
    public List<PartitionStatus> partitions() {
        List<PartitionStatus> result = new ArrayList<>();
        for (Member member : store.lineup.members()) {
            if (!member.departed() && !member.refused()) {
                result.add(status(member));
            }
        }
        return List.copyOf(result);
    }

    @Override
    public List<PartitionRefusal> refused() {
        List<PartitionRefusal> result = new ArrayList<>();
        for (Member member : store.lineup.members()) {
            if (member.refused()) {
                result.add(new PartitionRefusal(member.name, ((UnavailablePartition) member.store).reason()));
            }
        }
        result.sort(java.util.Comparator.comparing(PartitionRefusal::name));
        return List.copyOf(result);
    }

    private static PartitionStatus status(Member member) {
        boolean readOnly = false;
        try {
            readOnly = member.store.readOnly();
            PartitionUsage usage = member.store.usage();
            if (usage == null) {
                throw new IllegalStateException("the partition reported no usage");
            }
            return new PartitionStatus(member.name, member.ranking, readOnly, usage, null);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "partition " + member.name + " could not report its usage", e);
            String message = e.getMessage();
            return new PartitionStatus(member.name, member.ranking, readOnly, null,
                    message == null || message.isBlank() ? e.getClass().getName() : message);
        }
    }
}
