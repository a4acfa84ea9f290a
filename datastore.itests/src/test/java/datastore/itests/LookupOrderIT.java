package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import datastore.KvStore;
import datastore.Partitions;
import datastore.spi.PartitionStore;
import datastore.testsupport.MemoryPartition;

/**
 * The minimal product answers reads from the partitions present, highest {@code service.ranking}
 * first, while partitions appear, disappear and change ranking at run time.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LookupOrderIT extends DockTestSupport {

    @Override
    protected Option extra() throws Exception {
        return Products.testSupport();
    }

    @Override
    protected String product() {
        return "minimal";
    }

    private ServiceRegistration<PartitionStore> register(MemoryPartition partition, int ranking) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(PartitionStore.PARTITION, partition.name());
        properties.put(Constants.SERVICE_RANKING, ranking);
        return context.registerService(PartitionStore.class, partition, properties);
    }

    @Test
    public void theEphemeralPartitionIsPresentWithRanking300() {
        service(PartitionStore.class, "(&(datastore.partition=ephemeral)(service.ranking=300))");
        KvStore kv = service(KvStore.class);
        kv.put("ephemeral-only", "here", Partitions.EPHEMERAL);
        assertEquals("here", kv.get("ephemeral-only"));
        assertEquals(Partitions.EPHEMERAL, kv.lookup("ephemeral-only").orElseThrow().partition());
        assertTrue(kv.remove("ephemeral-only", Partitions.EPHEMERAL));
        assertEquals("", kv.get("ephemeral-only"));
    }

    @Test
    public void readsAskPartitionsInDescendingRankingAndRemovalUncovers() {
        KvStore kv = service(KvStore.class);
        MemoryPartition factory = new MemoryPartition("factory", 1 << 20).makeReadOnly();
        factory.withKv("greeting", "from factory");
        MemoryPartition middle = new MemoryPartition("middle", 1 << 20);
        ServiceRegistration<PartitionStore> low = register(factory, 100);
        ServiceRegistration<PartitionStore> mid = register(middle, 200);
        try {
            assertEquals("from factory", kv.get("greeting"));
            assertEquals("factory", kv.lookup("greeting").orElseThrow().partition());

            kv.put("greeting", "from middle", "middle");
            assertEquals("from middle", kv.get("greeting"));

            kv.put("greeting", "from ephemeral", Partitions.EPHEMERAL);
            assertEquals("from ephemeral", kv.get("greeting"));
            assertEquals(Partitions.EPHEMERAL, kv.lookup("greeting").orElseThrow().partition());

            assertTrue(kv.remove("greeting", Partitions.EPHEMERAL));
            assertEquals("from middle", kv.get("greeting"));
            assertTrue(kv.remove("greeting", "middle"));
            assertEquals("from factory", kv.get("greeting"));
            assertFalse(kv.remove("greeting", "middle"));
            assertTrue(kv.list().contains("greeting"));
        } finally {
            mid.unregister();
            low.unregister();
        }
    }

    @Test
    public void partitionsAddedRemovedAndReRankedAtRunTime() {
        KvStore kv = service(KvStore.class);
        kv.put("colour", "ephemeral blue", Partitions.EPHEMERAL);
        MemoryPartition overlay = new MemoryPartition("overlay", 1 << 20);
        overlay.withKv("colour", "overlay red");
        overlay.withKv("overlay-only", "yes");
        ServiceRegistration<PartitionStore> registration = register(overlay, 400);
        try {
            assertEquals("overlay red", kv.get("colour"));
            assertTrue(kv.list().contains("overlay-only"));

            Dictionary<String, Object> lower = new Hashtable<>();
            lower.put(PartitionStore.PARTITION, "overlay");
            lower.put(Constants.SERVICE_RANKING, 50);
            registration.setProperties(lower);
            assertEquals("ephemeral blue", kv.get("colour"));
            assertEquals("yes", kv.get("overlay-only"));
        } finally {
            registration.unregister();
        }
        // Gone for good: once its grace has passed, the store answers without it.
        assertEquals("ephemeral blue", kv.get("colour"));
        assertEquals("", kv.get("overlay-only"));
        assertFalse(kv.list().contains("overlay-only"));
        assertTrue(kv.remove("colour", Partitions.EPHEMERAL));
    }
}
