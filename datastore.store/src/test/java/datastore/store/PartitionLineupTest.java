package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import datastore.store.PartitionLineup.Member;
import datastore.testsupport.MemoryPartition;

import org.junit.Test;

public class PartitionLineupTest {

    /** A clock the test moves by hand, so grace periods pass without sleeping. */
    private final AtomicLong now = new AtomicLong(1_000_000);

    private PartitionLineup lineup(long graceMillis) {
        return new PartitionLineup(graceMillis, now::get);
    }

    private static List<String> order(PartitionLineup lineup) {
        return Arrays.stream(lineup.members()).map(Member::toString).toList();
    }

    @Test
    public void membersAreSortedByDescendingRankingThenAscendingServiceId() {
        PartitionLineup lineup = lineup(0);
        lineup.add("c", 100, 3, new MemoryPartition("c"));
        lineup.add("b", 300, 7, new MemoryPartition("b"));
        lineup.add("a", 300, 5, new MemoryPartition("a"));
        lineup.add("d", -1, 1, new MemoryPartition("d"));
        assertEquals(List.of("a(ranking 300)", "b(ranking 300)", "c(ranking 100)", "d(ranking -1)"), order(lineup));
    }

    @Test
    public void eachChangePublishesANewArrayAndLeavesTheOldOneAlone() {
        PartitionLineup lineup = lineup(0);
        lineup.add("a", 1, 1, new MemoryPartition("a"));
        Member[] before = lineup.members();
        lineup.add("b", 2, 2, new MemoryPartition("b"));
        assertEquals(1, before.length);
        assertEquals(2, lineup.members().length);
    }

    @Test
    public void rerankMovesTheService() {
        PartitionLineup lineup = lineup(0);
        lineup.add("a", 300, 1, new MemoryPartition("a"));
        lineup.add("b", 200, 2, new MemoryPartition("b"));
        assertTrue(lineup.rerank(2, 400));
        assertEquals(List.of("b(ranking 400)", "a(ranking 300)"), order(lineup));
        assertFalse(lineup.rerank(99, 1));
    }

    @Test
    public void aDepartedPartitionStaysAtItsRankUntilItsGraceIsOver() {
        PartitionLineup lineup = lineup(2000);
        lineup.add("a", 300, 1, new MemoryPartition("a"));
        lineup.add("b", 200, 2, new MemoryPartition("b"));
        assertTrue(lineup.remove(1).isPresent());
        assertEquals(List.of("a(ranking 300, departed)", "b(ranking 200)"), order(lineup));
        assertTrue(lineup.inGrace(lineup.members()[0]));

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2000));
        assertFalse(lineup.inGrace(lineup.members()[0]));
        assertEquals("over, and nobody waits for it", Optional.empty(), lineup.awaitPresent("a"));
        assertEquals(0, lineup.waits());

        lineup.add("c", 100, 3, new MemoryPartition("c"));
        assertEquals("pruned at the next change", List.of("b(ranking 200)", "c(ranking 100)"), order(lineup));
    }

    @Test
    public void aReturningPartitionReplacesItsDepartedMember() {
        PartitionLineup lineup = lineup(2000);
        lineup.add("a", 300, 1, new MemoryPartition("a"));
        lineup.remove(1);
        MemoryPartition successor = new MemoryPartition("a");
        assertTrue(lineup.add("a", 300, 9, successor));
        assertEquals(List.of("a(ranking 300)"), order(lineup));
        assertSame(successor, lineup.awaitPresent("a").orElseThrow().store);
    }

    @Test
    public void noDepartedMemberWhileAnotherServiceOfTheNameIsPresent() {
        PartitionLineup lineup = lineup(2000);
        lineup.add("a", 300, 1, new MemoryPartition("a"));
        lineup.add("a", 300, 2, new MemoryPartition("a"));
        lineup.remove(1);
        assertEquals(List.of("a(ranking 300)"), order(lineup));
        assertFalse(lineup.remove(1).isPresent());
    }

    @Test
    public void aDepartedMemberDoesNotHideAPresentServiceOfTheSameName() {
        PartitionLineup lineup = lineup(2000);
        MemoryPartition present = new MemoryPartition("a");
        lineup.add("a", 100, 1, new MemoryPartition("a"));
        lineup.remove(1);
        lineup.add("b", 50, 2, new MemoryPartition("b"));
        lineup.add("a", 400, 3, present);
        assertSame(present, lineup.awaitPresent("a").orElseThrow().store);
        assertEquals(0, lineup.waits());
    }

    @Test
    public void hasLeftTellsWhetherAServiceIsStillPresent() {
        PartitionLineup lineup = lineup(2000);
        lineup.add("a", 300, 1, new MemoryPartition("a"));
        Member member = lineup.members()[0];
        lineup.rerank(1, 5);
        assertFalse("a re-ranked service has not left", lineup.hasLeft(member));
        lineup.remove(1);
        assertTrue(lineup.hasLeft(member));
    }
}
