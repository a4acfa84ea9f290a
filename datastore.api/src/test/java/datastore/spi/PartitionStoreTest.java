package datastore.spi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Map;

import org.junit.Test;

public class PartitionStoreTest {

    @Test
    public void servicePropertiesHoldTheNameAndTheRanking() {
        Map<String, Object> properties = PartitionStore.serviceProperties("runtime", 200);
        // The names partitions, the store, filters in products and the shell's users already know.
        assertEquals(Map.of("datastore.partition", "runtime", "service.ranking", 200), properties);
        assertEquals(Integer.class, properties.get(PartitionStore.SERVICE_RANKING).getClass());
        assertEquals("datastore.partition", RefusedPartition.PARTITION);
    }

    @Test
    public void eachCallGivesAMapOfItsOwnToAddTo() {
        Map<String, Object> first = PartitionStore.serviceProperties("rom", 100);
        Map<String, Object> second = PartitionStore.serviceProperties("rom", 100);
        assertNotSame(first, second);
        first.put("service.description", "ROM partition");
        assertEquals(Map.of("datastore.partition", "rom", "service.ranking", 100), second);
        assertEquals(3, first.size());
    }

    @Test
    public void aPartitionWithoutANameIsRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PartitionStore.serviceProperties(null, 300))
                .getMessage().contains("not null"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PartitionStore.serviceProperties("", 300))
                .getMessage().contains("not an empty string"));
    }
}
