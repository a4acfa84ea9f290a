package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

import datastore.itests.ConcurrencyIT.Op;

/** The history check of {@link ConcurrencyIT} flags what it must and passes what it may. */
public class HistoryCheckTest {

    private static Op write(String value, long start, long end) {
        return new Op("r", true, value, start, end, "w");
    }

    private static Op read(String value, long start, long end) {
        return new Op("r", false, value, start, end, "r");
    }

    private static String only(List<Op> history) {
        List<String> violations = ConcurrencyIT.check(history);
        assertEquals(violations.toString(), 1, violations.size());
        return violations.get(0);
    }

    @Test
    public void linearizableHistoriesPass() {
        assertEquals(List.of(), ConcurrencyIT.check(List.of(
                read(null, 0, 1),
                write("a", 2, 5),
                read("a", 3, 4), // overlaps its write
                read(null, 3, 4), // also overlaps it: may still see the state before
                write("b", 6, 7),
                read("b", 8, 9),
                write(null, 10, 11),
                read(null, 12, 13))));
    }

    @Test
    public void aValueNeverWrittenIsFlagged() {
        assertTrue(only(List.of(write("a", 0, 1), read("torn", 2, 3))).contains("never written"));
    }

    @Test
    public void aValueFromTheFutureIsFlagged() {
        assertTrue(only(List.of(read("a", 0, 1), write("a", 2, 3))).contains("only after"));
    }

    @Test
    public void aLostUpdateIsFlagged() {
        assertTrue(only(List.of(write("a", 0, 1), write("b", 2, 3), read("a", 4, 5))).contains("overwritten"));
        assertTrue(only(List.of(write("a", 0, 1), read(null, 2, 3))).contains("overwritten"));
    }

    @Test
    public void readsSeeingWritesInReverseOrderAreFlagged() {
        // b is still running when both reads happen, so each read alone is fine: the first may see b,
        // the second a; but a ended before b began, so after seeing b no later read may see a.
        assertTrue(only(List.of(write("a", 0, 10), write("b", 11, 30), read("b", 12, 13), read("a", 14, 15)))
                .contains("reverse order"));
        assertEquals(List.of(), ConcurrencyIT.check(List.of(write("a", 0, 10), write("b", 11, 30), read("a", 12, 13),
                read("b", 14, 15))));
    }
}
