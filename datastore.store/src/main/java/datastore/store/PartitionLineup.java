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
 * member for a grace period, so that reads reaching its rank can wait for it to come back (the bundle
 * being updated) instead of answering without it; once the grace is over, the member is ignored and
 * pruned at the next change.
 */
final class PartitionLineup {

    private static final System.Logger LOG = System.getLogger(PartitionLineup.class.getName());

    private static final Comparator<Member> LOOKUP_ORDER = Comparator.comparingInt((Member s) -> s.ranking).reversed()
            .thenComparingLong(s -> s.serviceId);

    /**
     * One partition at its rank: present (with its service) or departed and awaited until its
     * grace deadline.
     */
    static final class Member {
        final String name;
        final int ranking;
        final long serviceId;
        /** The service, or null when the partition has departed. */
        final PartitionStore store;
        /** For a departed member: the {@link #clock} time at which its grace ends. */
        final long graceEnd;

        private Member(String name, int ranking, long serviceId, PartitionStore store, long graceEnd) {
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

    private static final Member[] EMPTY = {};

    private final long graceNanos;
    private final LongSupplier clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicLong waits = new AtomicLong();
    private volatile Member[] members = EMPTY;
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
    Member[] members() {
        return members;
    }

    /** How many times a caller waited for a departed partition: for diagnostics and tests. */
    long waits() {
        return waits.get();
    }

    /** Whether the grace of a departed member is still running. */
    boolean inGrace(Member member) {
        return member.departed() && clock.getAsLong() - member.graceEnd < 0;
    }

    /**
     * Adds a partition service. A departed member of the same name ends here: the partition is back.
     *
     * @return whether a departed member of that name was waiting for it
     */
    boolean add(String name, int ranking, long serviceId, PartitionStore store) {
        lock.lock();
        try {
            List<Member> next = live();
            boolean returned = next.removeIf(s -> s.departed() && s.name.equals(name));
            next.removeIf(s -> s.serviceId == serviceId && !s.departed());
            if (!(store instanceof UnavailablePartition)) {
                // The partition mounted: it takes the place its refusal held.
                next.removeIf(s -> s.store instanceof UnavailablePartition && s.name.equals(name));
            }
            next.add(new Member(name, ranking, serviceId, store, 0));
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
            List<Member> next = live();
            for (int i = 0; i < next.size(); i++) {
                Member s = next.get(i);
                if (!s.departed() && s.serviceId == serviceId) {
                    next.set(i, new Member(s.name, ranking, serviceId, s.store, 0));
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
     * grace is 0, the partition stays as a departed member until its grace ends.
     *
     * @return the removed member, if the service was in the lineup
     */
    Optional<Member> remove(long serviceId) {
        lock.lock();
        try {
            List<Member> next = live();
            Member gone = null;
            for (int i = 0; i < next.size(); i++) {
                Member s = next.get(i);
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
                next.add(new Member(name, gone.ranking, gone.serviceId, null, clock.getAsLong() + graceNanos));
            }
            publish(next);
            return Optional.of(gone);
        } finally {
            lock.unlock();
        }
    }

    /** Drops every departed member and wakes every waiter: the store is going away. */
    void close() {
        lock.lock();
        try {
            closed = true;
            List<Member> next = live();
            next.removeIf(Member::departed);
            publish(next);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The first present partition of that name. If there is none but the partition departed and
     * its grace is running, waits (at most until the grace ends) for it to come back.
     */
    Optional<Member> awaitPresent(String name) {
        // One snapshot for both questions: read twice, the lineup could change in between from
        // "departed" to "back", and the answer would be "neither" although the partition is there.
        Member[] lineup = members;
        Optional<Member> present = present(lineup, name);
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
                Member[] now = members;
                present = present(now, name);
                if (present.isPresent()) {
                    return present;
                }
                Optional<Member> departed = departedInGrace(now, name);
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
            return present(members, name);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the service of {@code member} is no longer present (it left while a caller used it). */
    boolean hasLeft(Member member) {
        for (Member s : members) {
            if (s.store == member.store) {
                return false;
            }
        }
        return true;
    }

    private static Optional<Member> present(Member[] lineup, String name) {
        for (Member s : lineup) {
            if (!s.departed() && s.name.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private Optional<Member> departedInGrace(Member[] lineup, String name) {
        for (Member s : lineup) {
            if (s.name.equals(name) && inGrace(s)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The current members without the departed ones whose grace is over; call with the lock held. */
    private List<Member> live() {
        List<Member> next = new ArrayList<>(Arrays.asList(members));
        next.removeIf(s -> s.departed() && !inGrace(s));
        return next;
    }

    private void publish(List<Member> next) {
        Member[] sorted = next.toArray(EMPTY);
        Arrays.sort(sorted, LOOKUP_ORDER);
        members = sorted;
        changed.signalAll();
        LOG.log(System.Logger.Level.DEBUG, () -> "partition lineup: " + Arrays.toString(sorted));
    }
}
