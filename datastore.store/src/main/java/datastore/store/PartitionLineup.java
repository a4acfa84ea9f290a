package datastore.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import datastore.spi.PartitionStore;

/**
 * The partitions in lookup order: an immutable array sorted by descending {@code service.ranking}
 * (ties: lower {@code service.id} first), replaced copy-on-write on every change, so that a read
 * costs one volatile read and no lock. A partition that leaves stays in the lineup as a departed
 * slot for a grace period, so that reads reaching its rank can wait for it to come back (the bundle
 * being updated) instead of answering without it; once the grace is over, the slot is ignored and
 * pruned at the next change.
 */
final class PartitionLineup {

    private static final System.Logger LOG = System.getLogger(PartitionLineup.class.getName());

    private static final Comparator<Slot> LOOKUP_ORDER = Comparator.comparingInt((Slot s) -> s.ranking).reversed()
            .thenComparingLong(s -> s.serviceId);

    /**
     * One partition at its rank: present (with its service) or departed and awaited until its
     * grace deadline.
     */
    static final class Slot {
        final String name;
        final int ranking;
        final long serviceId;
        /** The service, or null when the partition has departed. */
        final PartitionStore store;
        /** For a departed slot: the {@link #clock} time at which its grace ends. */
        final long graceEnd;

        private Slot(String name, int ranking, long serviceId, PartitionStore store, long graceEnd) {
            this.name = name;
            this.ranking = ranking;
            this.serviceId = serviceId;
            this.store = store;
            this.graceEnd = graceEnd;
        }

        boolean departed() {
            return store == null;
        }

        /** Whether this is the place of a partition that refused its flash ({@link UnavailablePartition}). */
        boolean refused() {
            return store instanceof UnavailablePartition;
        }

        @Override
        public String toString() {
            return name + "(ranking " + ranking + (departed() ? ", departed" : "") + ")";
        }
    }

    private static final Slot[] EMPTY = {};

    private final long graceNanos;
    private final LongSupplier clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicLong waits = new AtomicLong();
    private volatile Slot[] slots = EMPTY;
    private boolean closed;
    /**
     * When set, runs with the lock held each time a waiting caller is about to look at the lineup
     * again: tests use it to move their clock or bring a partition back at that very moment.
     */
    volatile Runnable onAwait;

    /**
     * @param graceMillis how long a departed partition is awaited; 0 for not at all
     * @param clock a nanosecond clock ({@link System#nanoTime()} outside tests)
     */
    PartitionLineup(long graceMillis, LongSupplier clock) {
        this.graceNanos = TimeUnit.MILLISECONDS.toNanos(graceMillis);
        this.clock = clock;
    }

    /** The current lineup; never modified once returned. */
    Slot[] slots() {
        return slots;
    }

    /** How many times a caller waited for a departed partition: for diagnostics and tests. */
    long waits() {
        return waits.get();
    }

    /** Whether the grace of a departed slot is still running. */
    boolean inGrace(Slot slot) {
        return slot.departed() && clock.getAsLong() - slot.graceEnd < 0;
    }

    /**
     * Adds a partition service. A departed slot of the same name ends here: the partition is back.
     *
     * @return whether a departed slot of that name was waiting for it
     */
    boolean add(String name, int ranking, long serviceId, PartitionStore store) {
        lock.lock();
        try {
            List<Slot> next = live();
            boolean returned = next.removeIf(s -> s.departed() && s.name.equals(name));
            next.removeIf(s -> s.serviceId == serviceId && !s.departed());
            if (!(store instanceof UnavailablePartition)) {
                // The partition mounted: it takes the place its refusal held.
                next.removeIf(s -> s.store instanceof UnavailablePartition && s.name.equals(name));
            }
            next.add(new Slot(name, ranking, serviceId, store, 0));
            publish(next);
            return returned;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Re-ranks a present partition service.
     *
     * @return whether the service was in the lineup
     */
    boolean rerank(long serviceId, int ranking) {
        lock.lock();
        try {
            List<Slot> next = live();
            for (int i = 0; i < next.size(); i++) {
                Slot s = next.get(i);
                if (!s.departed() && s.serviceId == serviceId) {
                    next.set(i, new Slot(s.name, ranking, serviceId, s.store, 0));
                    publish(next);
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes a partition service. Unless another service of the same name is still present, or the
     * grace is 0, the partition stays as a departed slot until its grace ends.
     *
     * @return the removed slot, if the service was in the lineup
     */
    Optional<Slot> remove(long serviceId) {
        lock.lock();
        try {
            List<Slot> next = live();
            Slot gone = null;
            for (int i = 0; i < next.size(); i++) {
                Slot s = next.get(i);
                if (!s.departed() && s.serviceId == serviceId) {
                    gone = next.remove(i);
                    break;
                }
            }
            if (gone == null) {
                return Optional.empty();
            }
            String name = gone.name;
            boolean stillPresent = next.stream().anyMatch(s -> !s.departed() && s.name.equals(name));
            if (!stillPresent && graceNanos > 0 && !closed) {
                next.removeIf(s -> s.departed() && s.name.equals(name));
                next.add(new Slot(name, gone.ranking, gone.serviceId, null, clock.getAsLong() + graceNanos));
            }
            publish(next);
            return Optional.of(gone);
        } finally {
            lock.unlock();
        }
    }

    /** Drops every departed slot and wakes every waiter: the store is going away. */
    void close() {
        lock.lock();
        try {
            closed = true;
            List<Slot> next = live();
            next.removeIf(Slot::departed);
            publish(next);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The first present partition of that name. If there is none but the partition departed and
     * its grace is running, waits (at most until the grace ends) for it to come back.
     */
    Optional<Slot> awaitPresent(String name) {
        // One snapshot for both questions: read twice, the lineup could change in between from
        // "departed" to "back", and the answer would be "neither" although the partition is there.
        Slot[] lineup = slots;
        Optional<Slot> present = present(lineup, name);
        if (present.isPresent() || departedInGrace(lineup, name).isEmpty()) {
            return present;
        }
        waits.incrementAndGet();
        lock.lock();
        try {
            for (;;) {
                Runnable hook = onAwait;
                if (hook != null) {
                    hook.run();
                }
                Slot[] now = slots;
                present = present(now, name);
                if (present.isPresent()) {
                    return present;
                }
                Optional<Slot> departed = departedInGrace(now, name);
                if (departed.isEmpty()) {
                    return Optional.empty();
                }
                long remaining = departed.get().graceEnd - clock.getAsLong();
                if (remaining <= 0) {
                    return Optional.empty();
                }
                changed.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return present(slots, name);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the service of {@code slot} is no longer present (it left while a caller used it). */
    boolean hasLeft(Slot slot) {
        for (Slot s : slots) {
            if (s.store == slot.store) {
                return false;
            }
        }
        return true;
    }

    private static Optional<Slot> present(Slot[] lineup, String name) {
        for (Slot s : lineup) {
            if (!s.departed() && s.name.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private Optional<Slot> departedInGrace(Slot[] lineup, String name) {
        for (Slot s : lineup) {
            if (s.name.equals(name) && inGrace(s)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The current slots without the departed ones whose grace is over; call with the lock held. */
    private List<Slot> live() {
        List<Slot> next = new ArrayList<>(Arrays.asList(slots));
        next.removeIf(s -> s.departed() && !inGrace(s));
        return next;
    }

    private void publish(List<Slot> next) {
        Slot[] sorted = next.toArray(EMPTY);
        Arrays.sort(sorted, LOOKUP_ORDER);
        slots = sorted;
        changed.signalAll();
        LOG.log(System.Logger.Level.DEBUG, () -> "partition lineup: " + Arrays.toString(sorted));
    }
}
