package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import datastore.PartitionUnavailableException;
import datastore.spi.RefusedPartition;
import datastore.system.PartitionRefusal;
import datastore.system.PartitionStatus;
import datastore.testsupport.MemoryPartition;
import datastore.testsupport.ServiceProperties;

import org.junit.Test;

/**
 * A partition that refused its flash holds its rank: nothing is answered from below it, because a
 * lower partition may hold an older value of a name the refused one overrides.
 */
public class RefusedPartitionTest {

    private static final String REASON = "the flash table says [0x2000000, 0x7000000), the configuration [0x2010000, 0x7010000)";

    private static final class Refusal implements RefusedPartition {
        private final String name;
        int formats;

        Refusal(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String reason() {
            return REASON;
        }

        @Override
        public void format() {
            formats++;
        }
    }

    private static Map<String, Object> refuse(TestDock dock, String name, int ranking) {
        Map<String, Object> properties = ServiceProperties.partition(name, ranking);
        dock.store.bindRefused(new Refusal(name), properties);
        return properties;
    }

    private static TestDock dockWithRefusedRuntime() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("ephemeral"), 300);
        dock.add(new MemoryPartition("rom").makeReadOnly(), 100);
        dock.partition("rom").withKv("brightness", "factory").withKv("brand", "Acme");
        dock.partition("ephemeral").withKv("session", "abc");
        refuse(dock, "runtime", 200);
        return dock;
    }

    @Test
    public void readsPassingARefusedPartitionFailInsteadOfAnsweringFromBelow() {
        TestDock dock = dockWithRefusedRuntime();

        PartitionUnavailableException e = assertThrows(PartitionUnavailableException.class,
                () -> dock.kv.get("brightness"));
        assertEquals("runtime", e.partition().orElseThrow());
        assertEquals("brightness", e.name().orElseThrow());
        assertTrue(e.getMessage(), e.getMessage().contains(REASON));
        assertThrows(PartitionUnavailableException.class, () -> dock.kv.lookup("brand"));
        // A partition above the refused one still answers.
        assertEquals("abc", dock.kv.get("session"));
    }

    @Test
    public void writesToARefusedPartitionFailNamingTheReasonAndChangeNothing() {
        TestDock dock = dockWithRefusedRuntime();

        PartitionUnavailableException e = assertThrows(PartitionUnavailableException.class,
                () -> dock.kv.put("brightness", "70", "runtime"));
        assertTrue(e.getMessage(), e.getMessage().contains(REASON));
        assertEquals(List.of("session"), dock.partition("ephemeral").names(datastore.Namespace.KV));
    }

    @Test
    public void statusListsTheRefusalApartFromThePartitions() {
        TestDock dock = dockWithRefusedRuntime();

        assertEquals(List.of("ephemeral", "rom"), dock.status.partitions().stream().map(PartitionStatus::name).toList());
        assertEquals(List.of(new PartitionRefusal("runtime", REASON)), dock.status.refused());
    }

    @Test
    public void theMountedPartitionTakesTheRefusalsPlace() {
        TestDock dock = dockWithRefusedRuntime();
        MemoryPartition runtime = new MemoryPartition("runtime");
        runtime.withKv("brightness", "user");
        dock.add(runtime, 200);

        assertEquals("user", dock.kv.get("brightness"));
        assertEquals("Acme", dock.kv.get("brand"));
        assertEquals(List.of(), dock.status.refused());
        assertEquals(List.of("ephemeral", "runtime", "rom"),
                dock.status.partitions().stream().map(PartitionStatus::name).toList());
    }

    @Test
    public void aRefusalWithoutARankingTakesItsPartitionsRankOrTheFirst() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("ephemeral"), 300);
        dock.add(new MemoryPartition("rom").makeReadOnly(), 100);
        dock.partition("ephemeral").withKv("session", "abc");
        dock.partition("rom").withKv("brand", "Acme");
        dock.store.bindRefused(new Refusal("runtime"), ServiceProperties.partition("runtime", null));
        assertEquals("abc", dock.kv.get("session"));
        assertThrows(PartitionUnavailableException.class, () -> dock.kv.get("brand"));

        dock.store.bindRefused(new Refusal("cache"), ServiceProperties.partition("cache", null));
        assertThrows(PartitionUnavailableException.class, () -> dock.kv.get("session"));
    }

    @Test
    public void aRefusalThatLeavesFreesItsRank() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("rom").makeReadOnly(), 100);
        dock.partition("rom").withKv("brightness", "factory");
        Map<String, Object> refusal = refuse(dock, "runtime", 200);
        assertThrows(PartitionUnavailableException.class, () -> dock.kv.get("brightness"));

        dock.store.unbindRefused(refusal);

        assertEquals("factory", dock.kv.get("brightness"));
        assertEquals(List.of(), dock.status.refused());
    }
}
