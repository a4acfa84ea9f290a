package datastore.store;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.LongSupplier;

import datastore.ChangeEvents;
import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.InvalidNameException;
import datastore.Names;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;
import datastore.store.PartitionLineup.Member;

import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The one logical store over every {@link PartitionStore} service: it keeps the partitions in
 * lookup order, answers reads from the first partition that has the entry, routes writes to the
 * named partition, waits for partitions that are being replaced, and posts the change events. The
 * public services ({@code KvStore}, {@code ImageStore}, {@code ApplicationCodeStore},
 * {@code FactoryReset}) are small components on top of it: one class cannot implement both
 * {@code KvStore} and {@code ImageStore}, whose {@code get(String)} methods differ only in their
 * return type. This component registers itself under its own class, which no other bundle can see,
 * so that they all share one partition lineup and one configuration.
 *
 * <p>Callers validate names and values before calling; partition names are only looked up, so an
 * unknown or null one is a {@link NoSuchPartitionException}.
 */
@Component(name = LogicalStore.PID, service = LogicalStore.class, immediate = true)
@Designate(ocd = StoreConfiguration.class)
public class LogicalStore {

    /** The configuration PID, also the component name. */
    static final String PID = "datastore.store";

    /**
     * How often one operation starts over because a partition left under it or came back; beyond
     * this it no longer starts over, so no operation can be kept busy forever: a partition it finds
     * departed is awaited and its successor asked in its place (never skipped while its grace runs),
     * and a partition failing under it fails the operation.
     */
    private static final int MAX_RESTARTS = 16;

    private static final long MAX_GRACE_MS = 60_000;

    private static final System.Logger LOG = System.getLogger(LogicalStore.class.getName());

    /** Reads one open entry of a partition; the view is closed when this returns. */
    @FunctionalInterface
    interface EntryReader<T> {
        T read(String partition, EntryView view);
    }

    /** One write to a present, writable partition. */
    @FunctionalInterface
    interface PartitionWrite<T> {
        T apply(PartitionStore partition);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile EventAdmin eventAdmin;

    private final String defaultPartition;
    private final long graceMillis;
    final PartitionLineup lineup;
    /** {@link #MAX_RESTARTS}; tests lower it to reach the bound without depending on the scheduler. */
    int maxRestarts = MAX_RESTARTS;
    private volatile boolean closing;

    @Activate
    public LogicalStore(StoreConfiguration config) {
        this(config.default_partition(), config.departure_grace_ms(), System::nanoTime);
    }

    /**
     * @throws IllegalArgumentException naming the configuration property that is invalid
     */
    LogicalStore(String defaultPartition, long graceMillis, LongSupplier clock) {
        try {
            Names.check(defaultPartition);
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException(PID + ": default.partition is invalid: " + e.getMessage(), e);
        }
        if (graceMillis < 0 || graceMillis > MAX_GRACE_MS) {
            throw new IllegalArgumentException(PID + ": departure.grace.ms is " + graceMillis
                    + "; it must be between 0 and " + MAX_GRACE_MS);
        }
        this.defaultPartition = defaultPartition;
        this.graceMillis = graceMillis;
        this.lineup = new PartitionLineup(graceMillis, clock);
    }

    @Deactivate
    void deactivate() {
        // The unbinds that follow are this store going away, not partitions leaving: no grace, no events.
        closing = true;
        lineup.close();
    }

    @Reference(name = "partition", service = PartitionStore.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindPartition", updated = "updatedPartition")
    void bindPartition(PartitionStore partition, Map<String, Object> properties) {
        String name;
        try {
            name = partition.name();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "partition service " + serviceId(properties)
                    + " does not say its name; it is left out", e);
            return;
        }
        Object property = properties.get(PartitionStore.PARTITION);
        if (property != null && !name.equals(property)) {
            LOG.log(System.Logger.Level.WARNING, "partition service " + serviceId(properties) + " is named " + name
                    + " but registered with " + PartitionStore.PARTITION + "=" + property + "; the name wins");
        }
        int ranking = ranking(properties);
        boolean returned = lineup.add(name, ranking, serviceId(properties), partition);
        LOG.log(System.Logger.Level.INFO, returned
                ? "partition " + name + " is back (ranking " + ranking + "); waiting reads and writes go on with it"
                : "partition " + name + " added at ranking " + ranking);
        post(ChangeEvents.TOPIC_PARTITION_ADDED, Map.of(ChangeEvents.PARTITION, name));
    }

    /**
     * A partition that refused its flash keeps its rank in the lineup through an
     * {@link UnavailablePartition}: reads reaching it fail, naming the reason, instead of answering
     * from a lower partition; writes to it fail likewise. Its mounted service, once registered,
     * replaces it.
     */
    @Reference(name = "refused", service = RefusedPartition.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindRefused")
    void bindRefused(RefusedPartition refused, Map<String, Object> properties) {
        String name;
        String reason;
        try {
            name = refused.name();
            reason = refused.reason();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "refused partition service " + serviceId(properties)
                    + " does not say its name or reason; it is left out", e);
            return;
        }
        // Without a ranking of its own, a refusal takes the rank its partition would have; a partition
        // the API does not know is placed first, so no read answers from anywhere below it.
        int ranking = properties.get(PartitionStore.SERVICE_RANKING) instanceof Integer own ? own
                : Partitions.ranking(name).orElse(Integer.MAX_VALUE);
        lineup.add(name, ranking, serviceId(properties), new UnavailablePartition(name, reason));
        LOG.log(System.Logger.Level.ERROR, "partition " + name + " refused its flash and is unavailable (ranking "
                + ranking + "): " + reason + "; reads reaching its rank and writes to it fail until it is formatted "
                + "explicitly (datastore:format " + name + ")");
        post(ChangeEvents.TOPIC_PARTITION_REMOVED, Map.of(ChangeEvents.PARTITION, name));
    }

    void unbindRefused(Map<String, Object> properties) {
        lineup.remove(serviceId(properties));
    }

    void updatedPartition(Map<String, Object> properties) {
        int ranking = ranking(properties);
        if (lineup.rerank(serviceId(properties), ranking)) {
            LOG.log(System.Logger.Level.INFO, "partition service " + serviceId(properties) + " now ranks " + ranking);
        }
    }

    void unbindPartition(Map<String, Object> properties) {
        Optional<Member> gone = lineup.remove(serviceId(properties));
        if (gone.isEmpty() || closing) {
            return;
        }
        String name = gone.get().name;
        LOG.log(System.Logger.Level.INFO, graceMillis > 0
                ? "partition " + name + " left; reads reaching ranking " + gone.get().ranking + " and writes to it wait up to "
                        + graceMillis + " ms for it to return"
                : "partition " + name + " left");
        post(ChangeEvents.TOPIC_PARTITION_REMOVED, Map.of(ChangeEvents.PARTITION, name));
    }

    /** Where writes without a partition go. */
    String defaultPartition() {
        return defaultPartition;
    }

    /**
     * The names present in a namespace of any partition, sorted, without duplicates; unmodifiable.
     * A partition that fails with anything but a {@link DatastoreException} is logged and left out,
     * so that one broken partition does not hide the others.
     */
    List<String> names(Namespace namespace) {
        LineupWalk scan = new LineupWalk(lineup, maxRestarts);
        scan:
        for (;;) {
            TreeSet<String> names = new TreeSet<>();
            for (Member member : scan.members) {
                if (member.departed()) {
                    member = scan.standIn(member);
                    if (scan.restarted) {
                        continue scan;
                    }
                    if (member == null) {
                        continue;
                    }
                }
                try {
                    names.addAll(member.store.names(namespace));
                } catch (RuntimeException e) {
                    if (scan.restartAfterFailure(member)) {
                        continue scan;
                    }
                    if (e instanceof DatastoreException) {
                        throw e;
                    }
                    LOG.log(System.Logger.Level.WARNING, "partition " + member.name + " failed to list its "
                            + namespace.id() + " names; the list goes on without them", e);
                }
            }
            return List.copyOf(names);
        }
    }

    /**
     * Reads the visible entry: asks the partitions in lookup order and answers from the first that
     * has it, passing those whose {@link PartitionStore#mayContain} rules the name out (a partition
     * answers that from its own state, under its own writes, so no write path can leave it behind;
     * see the SPI). The lowest partition is asked without its test: with nothing below it to pass on
     * to, the test could only repeat the lookup its read makes. A read that reaches the rank of a
     * departed partition in its grace waits for it.
     *
     * @throws CorruptedEntryException if the winning entry fails its checksum
     * @throws DatastoreException naming the partition, if a partition fails otherwise
     */
    <T> Optional<T> read(Namespace namespace, String name, EntryReader<T> reader) {
        LineupWalk scan = new LineupWalk(lineup, maxRestarts);
        scan:
        for (;;) {
            Member[] members = scan.members;
            for (int i = 0; i < members.length; i++) {
                Member member = members[i];
                if (member.departed()) {
                    member = scan.standIn(member);
                    if (scan.restarted) {
                        continue scan;
                    }
                    if (member == null) {
                        continue;
                    }
                }
                Optional<EntryView> view;
                try {
                    if (i < members.length - 1 && !member.store.mayContain(namespace, name)) {
                        continue;
                    }
                    view = member.store.open(namespace, name);
                } catch (RuntimeException e) {
                    // A partition closed under this read has left the lineup: read again without it.
                    if (scan.restartAfterFailure(member)) {
                        continue scan;
                    }
                    throw PartitionCalls.failure(member.name, name, "read " + namespace.id() + " entry", e);
                }
                if (view.isPresent()) {
                    try (EntryView entry = view.get()) {
                        return Optional.ofNullable(reader.read(member.name, entry));
                    }
                }
            }
            return Optional.empty();
        }
    }

    /**
     * Decodes the visible entry's value, as {@link #read} finds it, through
     * {@link PartitionStore#read(Namespace, String, Function)}: the path of reads that need the value
     * only, where a partition may answer without opening a view and a miss costs the partition's lookup.
     *
     * @param decoder must not keep the buffer it is given, nor return null
     * @return the decoded value, or null if no partition has the entry
     * @throws CorruptedEntryException if the winning entry fails its checksum
     * @throws DatastoreException naming the partition, if a partition fails otherwise
     */
    <T> T readValue(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        // The walk's state is made only when a partition departs or fails: a plain read allocates nothing.
        Member[] members = lineup.members();
        LineupWalk scan = null;
        scan:
        for (;;) {
            for (int i = 0; i < members.length; i++) {
                Member member = members[i];
                if (member.departed()) {
                    scan = scan != null ? scan : new LineupWalk(lineup, maxRestarts, members);
                    member = scan.standIn(member);
                    if (scan.restarted) {
                        members = scan.members;
                        continue scan;
                    }
                    if (member == null) {
                        continue;
                    }
                }
                T value;
                try {
                    if (i < members.length - 1 && !member.store.mayContain(namespace, name)) {
                        continue;
                    }
                    value = member.store.readOrNull(namespace, name, decoder);
                } catch (RuntimeException e) {
                    scan = scan != null ? scan : new LineupWalk(lineup, maxRestarts, members);
                    if (scan.restartAfterFailure(member)) {
                        members = scan.members;
                        continue scan;
                    }
                    throw PartitionCalls.failure(member.name, name, "read " + namespace.id() + " entry", e);
                }
                if (value != null) {
                    return value;
                }
            }
            return null;
        }
    }

    /**
     * Opens an entry of the named partition only, waiting for the partition during its departure
     * grace; if the partition leaves under the call, opens it in its successor.
     *
     * @throws NoSuchPartitionException if no partition of that name is present
     */
    Optional<EntryView> openIn(String partition, Namespace namespace, String name) {
        for (int restarts = 0;; restarts++) {
            Member member = lineup.awaitPresent(partition).orElseThrow(() -> new NoSuchPartitionException(partition));
            try {
                return member.store.open(namespace, name);
            } catch (RuntimeException e) {
                if (restarts < maxRestarts && lineup.hasLeft(member)) {
                    continue;
                }
                throw PartitionCalls.failure(member.name, name, "open " + namespace.id() + " entry", e);
            }
        }
    }

    /**
     * Reads an entry of the named partition only, through {@code reader}, closing the view after it.
     *
     * @throws NoSuchPartitionException if no partition of that name is present
     */
    <T> Optional<T> readIn(String partition, Namespace namespace, String name, Function<EntryView, T> reader) {
        Optional<EntryView> view = openIn(partition, namespace, name);
        if (view.isEmpty()) {
            return Optional.empty();
        }
        try (EntryView entry = view.get()) {
            return Optional.of(reader.apply(entry));
        }
    }

    /**
     * The partitions present, in lookup order, once every departed partition in its grace has come
     * back or its grace is over.
     */
    List<Member> settledPartitions() {
        for (Member member : lineup.members()) {
            if (lineup.inGrace(member)) {
                lineup.awaitPresent(member.name);
            }
        }
        return Arrays.stream(lineup.members()).filter(member -> !member.departed()).toList();
    }

    /**
     * Runs one write on the named partition, which must be present (or come back within its grace)
     * and writable. If the partition leaves while the write runs, the write is tried again on its
     * successor: a partition applies a change list entirely or not at all.
     *
     * @param name the entry written, for the exceptions' context; null for several
     * @throws NoSuchPartitionException if no partition of that name is present
     * @throws ReadOnlyPartitionException if the partition is read-only
     * @throws DatastoreException what the partition threw, unchanged; anything else wrapped, naming the partition
     */
    <T> T write(String partition, String name, PartitionWrite<T> write) {
        for (int restarts = 0;; restarts++) {
            Member member = lineup.awaitPresent(partition).orElseThrow(() -> new NoSuchPartitionException(partition));
            try {
                if (member.store.readOnly()) {
                    throw new ReadOnlyPartitionException(member.name, name);
                }
                return write.apply(member.store);
            } catch (RuntimeException e) {
                if (!(e instanceof ReadOnlyPartitionException) && restarts < maxRestarts && lineup.hasLeft(member)) {
                    continue;
                }
                throw PartitionCalls.failure(member.name, name, "write", e);
            }
        }
    }

    /**
     * Fails unless the named partition is present and writable: the check a write makes before any
     * costly validation of its value.
     */
    void checkWritable(String partition, String name) {
        write(partition, name, p -> null);
    }

    /** Stores one validated entry and posts its {@code PUT} event. */
    void putEntry(Namespace namespace, String name, int format, ByteBuffer data, String partition) {
        write(partition, name, p -> {
            p.apply(List.of(Change.put(namespace, name, format, data)));
            return null;
        });
        changed(partition, namespace, name, ChangeEvents.PUT);
    }

    /**
     * Removes one entry from the named partition only, posting its {@code REMOVED} event.
     *
     * @return whether the partition held the entry
     */
    boolean removeEntry(Namespace namespace, String name, String partition) {
        boolean held = write(partition, name, p -> {
            if (!PartitionCalls.holds(p, namespace, name)) {
                return false;
            }
            p.apply(List.of(Change.remove(namespace, name)));
            return true;
        });
        if (held) {
            changed(partition, namespace, name, ChangeEvents.REMOVED);
        }
        return held;
    }

    /** Posts the event of one changed entry. */
    void changed(String partition, Namespace namespace, String name, String change) {
        post(ChangeEvents.topic(namespace, change), Map.of(ChangeEvents.PARTITION, partition,
                ChangeEvents.NAMESPACE, namespace.id(), ChangeEvents.NAME, name));
    }

    /** Posts an event asynchronously if Event Admin is there; a change that succeeded never fails for want of it. */
    void post(String topic, Map<String, ?> properties) {
        EventAdmin events = eventAdmin;
        if (events == null) {
            return;
        }
        try {
            events.postEvent(new Event(topic, properties));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not post " + topic, e);
        }
    }

    private static int ranking(Map<String, Object> properties) {
        // The framework treats a service.ranking that is not an Integer as 0, and so does the lineup.
        return properties.get(PartitionStore.SERVICE_RANKING) instanceof Integer ranking ? ranking : 0;
    }

    /** The framework's id of the service, which every service's properties hold. */
    private static long serviceId(Map<String, Object> properties) {
        return (Long) properties.get(Constants.SERVICE_ID);
    }
}
