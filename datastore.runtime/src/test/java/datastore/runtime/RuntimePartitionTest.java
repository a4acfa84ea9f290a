package datastore.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import datastore.Namespace;
import datastore.Partitions;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.testsupport.Configurations;

import org.junit.Test;

/** The component shell: mounts at construction, refuses a region too small for its configuration. */
public class RuntimePartitionTest {

    static RuntimeConfiguration config(long capacity, int maxEntries) {
        return config(capacity, maxEntries, false);
    }

    static RuntimeConfiguration config(long capacity, int maxEntries, boolean formatRefused) {
        return Configurations.of(RuntimeConfiguration.class, "capacity", capacity, "max.entries", maxEntries,
                "view.wait.ms", 100L, "format.refused", formatRefused);
    }

    static FlashRegion region(int blocks) {
        return NorFlash.inMemory(blocks * 4096L, 4096, 16).region("runtime", 0, blocks * 4096L);
    }

    @Test
    public void mountsAndServesThePartition() {
        FlashRegion region = region(64);
        RuntimePartition partition = new RuntimePartition(region, config(32 * 1024, 128));
        assertEquals(Partitions.RUNTIME, partition.name());
        assertFalse(partition.readOnly());
        partition.apply(List.of(Stores.put("a", Stores.bytes("1"))));
        RuntimePartition again = new RuntimePartition(region, config(32 * 1024, 128));
        assertArrayEquals(Stores.bytes("1"), Stores.get(again.store, "a"));
        assertEquals(List.of("a"), again.names(Namespace.KV));
        assertEquals(2, again.usage().used());
        assertTrue(again.problems().isEmpty());
        again.clear();
        assertEquals(0, again.usage().used());
    }

    @Test
    public void aRegionTooSmallForTheConfigurationFailsActivationWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RuntimePartition(region(64), config(13L * 1024 * 1024, 12288)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("invalid configuration of datastore.runtime: "));
        assertTrue(e.getMessage(), e.getMessage().contains("262144 bytes") && e.getMessage().contains("13631488"));
        IllegalArgumentException entries = assertThrows(IllegalArgumentException.class,
                () -> new RuntimePartition(region(64), config(1024, 70000)));
        assertTrue(entries.getMessage(), entries.getMessage().contains("70000"));
    }

    @Test
    public void theViewWaitIsReadFromItsKeyAndFromTheFormerOneWhenItIsAbsent() {
        Map<String, Object> current = Map.of("view.wait.ms", 250L);
        assertEquals(250, RuntimePartition.viewWaitMs(Configurations.of(RuntimeConfiguration.class, current), current));
        Map<String, Object> former = Map.of("view.wait.millis", "750");
        assertEquals(750, RuntimePartition.viewWaitMs(Configurations.of(RuntimeConfiguration.class, former), former));
        Map<String, Object> both = Map.of("view.wait.ms", 250L, "view.wait.millis", 750L);
        assertEquals(250, RuntimePartition.viewWaitMs(Configurations.of(RuntimeConfiguration.class, both), both));
        // As Declarative Services passes them: the component description's defaults beside the configuration.
        Map<String, Object> formerInFramework = Map.of("view.wait.ms", 5000L, "view.wait.millis", 750L);
        assertEquals(750, RuntimePartition.viewWaitMs(
                Configurations.of(RuntimeConfiguration.class, formerInFramework), formerInFramework));
        assertEquals(RuntimePartition.DEFAULT_VIEW_WAIT_MS,
                RuntimePartition.viewWaitMs(Configurations.defaults(RuntimeConfiguration.class), Map.of()));
    }

    @Test
    public void aFormerViewWaitThatIsNoNumberFailsActivationNamingTheKey() {
        Map<String, Object> properties = Map.of("view.wait.millis", "soon");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RuntimePartition(null,
                region(64), Configurations.of(RuntimeConfiguration.class, properties), properties));
        assertTrue(e.getMessage(), e.getMessage().startsWith("invalid configuration of datastore.runtime: ")
                && e.getMessage().contains("view.wait.millis (now view.wait.ms)") && e.getMessage().contains("soon"));
    }
}
