package datastore.system;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Whether the dock is ready: every partition of its product mounted (or refused with a reason),
 * the store's services registered, and every other part that asked to be awaited serving. A
 * bundle takes part through its manifest:
 * <ul>
 * <li>{@value #PARTITION_HEADER}{@code : NAME}: a partition bundle; while it is active, the dock
 * is not ready until a {@link datastore.spi.PartitionStore} or a
 * {@link datastore.spi.RefusedPartition} named {@code NAME} is registered.</li>
 * <li>{@value #CONDITION_HEADER}{@code : ID}: while the bundle is active, the dock is not ready
 * until an {@link org.osgi.service.condition.Condition} with {@code osgi.condition.id=ID} is
 * registered (the development API registers one once its servlets are serving).</li>
 * <li>{@value #ANNOUNCER_HEADER}{@code : true}: the bundle opens the dock to clients once the
 * dock is ready (the HTTP port) and announces readiness itself, after that.</li>
 * </ul>
 * Once ready, the store registers the condition {@value #CONDITION} (the OSGi R8 condition
 * service, so components can require it with a target filter), and it is withdrawn only when a
 * part departs.
 */
@ProviderType
public interface Readiness {

    /** Manifest header of a partition bundle: the partition's name. */
    String PARTITION_HEADER = "Dock-Partition";

    /** Manifest header: the {@code osgi.condition.id} of a condition the dock awaits. */
    String CONDITION_HEADER = "Dock-Ready-Condition";

    /** Manifest header of the bundle that opens the dock and announces readiness. */
    String ANNOUNCER_HEADER = "Dock-Ready-Announcer";

    /** The {@code osgi.condition.id} of the condition registered while the dock is ready. */
    String CONDITION = "datastore.ready";

    /** The line printed on standard output when the dock becomes ready. */
    String ANNOUNCEMENT = "dock: ready";

    /** Whether the dock is ready now. */
    boolean ready();

    /**
     * What the dock is still waiting for, one short phrase each ("partition runtime", "KvStore",
     * "condition datastore.devapi"); empty when ready.
     *
     * @return an unmodifiable snapshot
     */
    List<String> waitingFor();
}
