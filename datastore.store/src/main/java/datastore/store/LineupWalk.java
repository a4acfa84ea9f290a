package datastore.store;

import java.util.Optional;

import datastore.store.PartitionLineup.Member;

/**
 * One walk of the lineup in lookup order, and the rules every walk follows. A departed partition
 * in its grace is waited for; the walk then starts over on the fresh lineup, up to
 * {@code maxRestarts} times, after which the returning partition is asked in the departed one's
 * place: never skipped, so a read never answers from a lower partition while a higher one is
 * being replaced. A partition that fails because it left the lineup under the call restarts the
 * walk likewise.
 */
final class LineupWalk {
    private final PartitionLineup lineup;
    private final int maxRestarts;
    Member[] members;
    private int restarts;
    /** Set by {@link #standIn}: start over on {@link #members}. */
    boolean restarted;

    LineupWalk(PartitionLineup lineup, int maxRestarts) {
        this(lineup, maxRestarts, lineup.members());
    }

    /** A walk already under way on {@code members}, which it started over none of. */
    LineupWalk(PartitionLineup lineup, int maxRestarts, Member[] members) {
        this.lineup = lineup;
        this.maxRestarts = maxRestarts;
        this.members = members;
    }

    private boolean restart() {
        if (restarts >= maxRestarts) {
            return false;
        }
        members = lineup.members();
        restarts++;
        return true;
    }

    /**
     * The partition to ask in place of a departed one: null to pass it (its grace is over, or
     * the walk restarts: see {@link #restarted}), else its successor.
     */
    Member standIn(Member departed) {
        restarted = false;
        if (!lineup.inGrace(departed)) {
            return null;
        }
        Optional<Member> back = lineup.awaitPresent(departed.name);
        if (restart()) {
            restarted = true;
            return null;
        }
        return back.orElse(null);
    }

    /** Whether to start over after {@code member} failed: only if it left the lineup under the call. */
    boolean restartAfterFailure(Member member) {
        return restarts < maxRestarts && lineup.hasLeft(member) && restart();
    }
}
