package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.Namespace;
import datastore.spi.PartitionStore;
import datastore.testsupport.MemoryPartition;

import org.junit.Test;

/**
 * A read passes the partitions whose {@link PartitionStore#mayContain} rules the name out, and only
 * those: a {@code true} (the SPI default) is always asked, and a failing test fails the read instead
 * of being taken for an absence, which would answer from a lower partition.
 */
public class PresenceSkipTest {

    @Test
    public void aPartitionThatRulesTheNameOutIsNotAsked() {
        TestDock dock = TestDock.standard();
        dock.partition("runtime").withKv("k", "runtime");
        dock.partition("rom").withKv("k", "rom");
        dock.partition("ephemeral").presence = (namespace, name) -> false;
        int before = dock.partition("ephemeral").opens.get();

        assertEquals("runtime", dock.kv.get("k"));
        assertEquals(Optional.of("runtime"), dock.kv.find("k"));
        assertEquals("runtime", dock.kv.lookup("k").orElseThrow().partition());
        assertEquals(before, dock.partition("ephemeral").opens.get());
    }

    @Test
    public void aMissAboveIsAnsweredBelowWhetherAskedOrPassed() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("k", "rom");
        dock.partition("runtime").presence = (namespace, name) -> !name.equals("k");

        assertEquals("rom", dock.kv.get("k"));
        assertEquals("rom", dock.kv.lookup("k").orElseThrow().partition());
        assertEquals("", dock.kv.get("absent"));
        assertEquals(Optional.empty(), dock.kv.lookup("absent"));
    }

    @Test
    public void theDefaultAsksEveryPartition() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("k", "rom");
        int ephemeral = dock.partition("ephemeral").opens.get();
        int runtime = dock.partition("runtime").opens.get();

        assertEquals("rom", dock.kv.lookup("k").orElseThrow().value());
        assertEquals(ephemeral + 1, dock.partition("ephemeral").opens.get());
        assertEquals(runtime + 1, dock.partition("runtime").opens.get());
    }

    @Test
    public void theLowestPartitionIsReadWithoutItsTest() {
        // Nothing lies below the lowest partition: its test could only repeat the lookup of its read.
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("k", "rom");
        AtomicInteger asked = new AtomicInteger();
        dock.partition("rom").presence = (namespace, name) -> {
            asked.incrementAndGet();
            return true;
        };
        AtomicInteger above = new AtomicInteger();
        dock.partition("runtime").presence = (namespace, name) -> {
            above.incrementAndGet();
            return false;
        };

        assertEquals("rom", dock.kv.get("k"));
        assertEquals("rom", dock.kv.lookup("k").orElseThrow().value());
        assertEquals("", dock.kv.get("absent"));
        assertEquals(Optional.empty(), dock.kv.lookup("absent"));
        assertEquals(0, asked.get());
        assertEquals(4, above.get());
    }

    @Test
    public void aFailingTestFailsTheReadInsteadOfPassingThePartition() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("k", "rom");
        CorruptedEntryException damaged = new CorruptedEntryException("runtime", Namespace.KV, "k", "test");
        dock.partition("runtime").presence = (namespace, name) -> {
            throw damaged;
        };
        assertSame(damaged, assertThrows(CorruptedEntryException.class, () -> dock.kv.get("k")));
        assertSame(damaged, assertThrows(CorruptedEntryException.class, () -> dock.kv.lookup("k")));

        dock.partition("runtime").presence = (namespace, name) -> {
            throw new IllegalStateException("broken");
        };
        DatastoreException wrapped = assertThrows(DatastoreException.class, () -> dock.kv.get("k"));
        assertEquals(Optional.of("runtime"), wrapped.partition());
    }

    @Test
    public void aWriteAndARemovalSeenThroughThePartitionsOwnTest() {
        // A partition whose test follows its contents, as a real one's does.
        TestDock dock = TestDock.standard();
        MemoryPartition runtime = dock.partition("runtime");
        runtime.presence = (namespace, name) -> runtime.open(namespace, name).map(view -> {
            view.close();
            return true;
        }).orElse(false);
        dock.partition("rom").withKv("k", "rom");
        assertEquals("rom", dock.kv.get("k"));
        dock.kv.put("k", "runtime", "runtime");
        assertEquals("runtime", dock.kv.get("k"));
        dock.kv.remove("k", "runtime");
        assertEquals("rom", dock.kv.get("k"));
    }
}
