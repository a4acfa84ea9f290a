package datastore.testsupport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import datastore.InvalidNameException;
import datastore.KvBatch;
import datastore.NoSuchPartitionException;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;

import org.junit.Test;

/** The fake store's batches behave as the store's: one partition, all changes at once, spent by a commit. */
public class FakeKvStoreTest {

    @Test
    public void aBatchLandsWhole() {
        FakeKvStore kv = new FakeKvStore().with("gone", "old", Partitions.RUNTIME).with("kept", "rom", Partitions.ROM);
        KvBatch batch = kv.batch(Partitions.RUNTIME).put("a", "1").put("b", "2").remove("gone").put("a", "3");
        assertEquals("", kv.get("a"));
        assertEquals("old", kv.get("gone"));

        batch.commit();

        assertEquals("3", kv.get("a"));
        assertEquals("2", kv.lookup("b").orElseThrow().value());
        assertEquals(Partitions.RUNTIME, kv.lookup("b").orElseThrow().partition());
        assertEquals("", kv.get("gone"));
        assertEquals("rom", kv.get("kept"));
        assertThrows(IllegalStateException.class, batch::commit);
        assertThrows(IllegalStateException.class, () -> batch.put("c", "4"));
    }

    @Test
    public void aRefusedBatchChangesNothing() {
        FakeKvStore kv = new FakeKvStore().with("a", "1", Partitions.RUNTIME);
        String before = kv.snapshot();

        assertThrows(ReadOnlyPartitionException.class, () -> kv.batch(Partitions.ROM));
        assertThrows(NoSuchPartitionException.class, () -> kv.batch("nowhere"));
        KvBatch batch = kv.batch(Partitions.EPHEMERAL).put("b", "2");
        assertThrows(InvalidNameException.class, () -> batch.put("bad\nname", "3"));
        assertThrows(InvalidNameException.class, () -> batch.remove(""));
        assertEquals(before, kv.snapshot());

        batch.commit();
        assertEquals("2", kv.lookup("b").orElseThrow().value());
        assertEquals(Partitions.EPHEMERAL, kv.lookup("b").orElseThrow().partition());
    }
}
