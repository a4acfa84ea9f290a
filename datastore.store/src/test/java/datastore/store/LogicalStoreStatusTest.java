package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import datastore.Namespace;
import datastore.system.PartitionStatus;
import datastore.testsupport.MemoryPartition;

import org.junit.Test;

public class LogicalStoreStatusTest {

    private static List<String> names(List<PartitionStatus> partitions) {
        return partitions.stream().map(p -> p.name() + "@" + p.ranking()).toList();
    }

    @Test
    public void partitionsAreListedInLookupOrderWithTheirUsage() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("brand", "Acme").withKv("k", "factory");
        dock.kv.put("k", "user", "runtime");

        List<PartitionStatus> partitions = dock.status.partitions();

        assertEquals(List.of("ephemeral@300", "runtime@200", "rom@100"), names(partitions));
        PartitionStatus rom = partitions.get(2);
        assertTrue(rom.readOnly());
        assertTrue(rom.ok());
        assertNull(rom.error());
        assertEquals("rom", rom.usage().partition());
        assertEquals(Integer.valueOf(2), rom.usage().entries().get(Namespace.KV));
        PartitionStatus runtime = partitions.get(1);
        assertFalse(runtime.readOnly());
        assertEquals(Integer.valueOf(1), runtime.usage().entries().get(Namespace.KV));
        assertEquals("k".length() + "user".length(), runtime.usage().used());
        assertThrows(UnsupportedOperationException.class, () -> partitions.remove(0));
    }

    @Test
    public void theListFollowsPartitionsArrivingLeavingAndReRanked() {
        TestDock dock = TestDock.standard();
        dock.rerank(dock.partition("rom"), 400);
        assertEquals(List.of("rom@400", "ephemeral@300", "runtime@200"), names(dock.status.partitions()));
        dock.remove(dock.partition("ephemeral"));
        assertEquals(List.of("rom@400", "runtime@200"), names(dock.status.partitions()));
        dock.add(new MemoryPartition("ephemeral"), 300);
        assertEquals(List.of("rom@400", "ephemeral@300", "runtime@200"), names(dock.status.partitions()));
        assertEquals(List.of(), new TestDock().status.partitions());
    }

    @Test
    public void aDepartedPartitionInItsGraceIsNotListedAndNotAwaited() {
        TestDock dock = new TestDock("runtime", 60_000);
        MemoryPartition runtime = new MemoryPartition("runtime");
        dock.add(runtime, 200);
        dock.add(new MemoryPartition("rom").makeReadOnly(), 100);
        dock.remove(runtime);
        // With a minute's grace, waiting for the runtime partition would hold the test up for a minute; the status answers at once.
        assertEquals(List.of("rom@100"), names(dock.status.partitions()));
    }

    @Test
    public void aPartitionWhoseUsageFailsIsListedWithItsErrorWithoutHidingTheOthers() {
        TestDock dock = TestDock.standard();
        dock.partition("runtime").usageFailure = new IllegalStateException("flash unmounted");
        dock.partition("rom").usageFailure = new IllegalStateException();

        List<PartitionStatus> partitions = dock.status.partitions();

        assertEquals(List.of("ephemeral@300", "runtime@200", "rom@100"), names(partitions));
        assertTrue(partitions.get(0).ok());
        PartitionStatus runtime = partitions.get(1);
        assertFalse(runtime.ok());
        assertNull(runtime.usage());
        assertEquals("flash unmounted", runtime.error());
        PartitionStatus rom = partitions.get(2);
        assertTrue("read-only was answered before usage failed", rom.readOnly());
        assertEquals(IllegalStateException.class.getName(), rom.error());
    }

    @Test
    public void aStatusHasEitherUsageOrError() {
        assertThrows(IllegalArgumentException.class, () -> new PartitionStatus("rom", 100, true, null, null));
        assertThrows(NullPointerException.class, () -> new PartitionStatus(null, 100, true, null, "x"));
    }
}
