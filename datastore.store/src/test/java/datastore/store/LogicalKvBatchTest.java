package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.List;
import java.util.Map;

import datastore.ChangeEvents;
import datastore.KvBatch;
import datastore.NoSuchPartitionException;
import datastore.PartitionFullException;
import datastore.testsupport.MemoryPartition;

import org.junit.Test;

public class LogicalKvBatchTest {

    @Test
    public void aBatchAppliesEveryChangeInOneCall() {
        TestDock dock = TestDock.standard();
        dock.kv.put("old", "1", "runtime");
        MemoryPartition runtime = dock.partition("runtime");
        int before = runtime.applyCalls();

        dock.kv.batch("runtime").put("a", "1").put("b", "2").remove("old").commit();

        assertEquals(before + 1, runtime.applyCalls());
        assertEquals(List.of("a", "b"), dock.kv.list());
    }

    @Test
    public void laterChangesOfAKeyReplaceEarlierOnes() {
        TestDock dock = TestDock.standard();
        dock.kv.put("gone", "x", "runtime");
        dock.kv.batch("runtime").put("k", "first").put("k", "second").put("gone", "back").remove("gone").commit();
        assertEquals("second", dock.kv.get("k"));
        assertEquals("", dock.kv.get("gone"));
    }

    @Test
    public void aBatchThatDoesNotFitAppliesNothing() {
        TestDock dock = new TestDock();
        MemoryPartition small = new MemoryPartition("runtime", 10);
        dock.add(small, 200);
        dock.kv.put("k", "12345");
        dock.events.clear();
        Map<String, String> before = small.snapshot();

        KvBatch batch = dock.kv.batch("runtime").put("a", "1").remove("k").put("b", "too long for it");
        assertThrows(PartitionFullException.class, batch::commit);

        assertEquals(before, small.snapshot());
        assertEquals(List.of(), dock.events.posted());
    }

    @Test
    public void aBatchIsCommittedOnce() {
        TestDock dock = TestDock.standard();
        KvBatch batch = dock.kv.batch("ephemeral").put("a", "1");
        batch.commit();
        assertThrows(IllegalStateException.class, batch::commit);
        assertThrows(IllegalStateException.class, () -> batch.put("b", "2"));
        assertThrows(IllegalStateException.class, () -> batch.remove("a"));
        assertEquals(List.of("a"), dock.kv.list());
    }

    @Test
    public void aFailedCommitSpendsTheBatchToo() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("runtime", 4), 200);
        KvBatch batch = dock.kv.batch("runtime").put("key", "value");
        assertThrows(PartitionFullException.class, batch::commit);
        assertThrows(IllegalStateException.class, batch::commit);
    }

    @Test
    public void thePartitionIsCheckedAgainAtCommit() {
        TestDock dock = TestDock.standard();
        KvBatch batch = dock.kv.batch("ephemeral").put("a", "1");
        dock.remove(dock.partition("ephemeral"));
        assertThrows(NoSuchPartitionException.class, batch::commit);
        assertEquals("", dock.kv.get("a"));
    }

    @Test
    public void anEmptyBatchWritesNothing() {
        TestDock dock = TestDock.standard();
        int before = dock.partition("runtime").applyCalls();
        dock.kv.batch("runtime").commit();
        assertEquals(before, dock.partition("runtime").applyCalls());
        assertEquals(List.of(), dock.events.posted());
    }

    @Test
    public void aBatchPostsOneEventPerChangedName() {
        TestDock dock = TestDock.standard();
        dock.kv.put("old", "1", "runtime");
        dock.events.clear();

        dock.kv.batch("runtime").put("a", "1").put("a", "2").remove("old").remove("never-there").commit();

        assertEquals(List.of("datastore/kv/PUT", "datastore/kv/REMOVED"), dock.events.topics());
        assertEquals("a", dock.events.posted().get(0).getProperty(ChangeEvents.NAME));
        assertEquals("old", dock.events.posted().get(1).getProperty(ChangeEvents.NAME));
        dock.events.posted().forEach(e -> assertEquals("runtime", e.getProperty(ChangeEvents.PARTITION)));
    }
}
