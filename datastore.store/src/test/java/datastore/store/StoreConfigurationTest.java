package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Map;

import datastore.testsupport.Configurations;

import org.junit.Test;

public class StoreConfigurationTest {

    private static StoreConfiguration config(String defaultPartition, long graceMillis) {
        return Configurations.of(StoreConfiguration.class,
                Map.of("default.partition", defaultPartition, "departure.grace.ms", graceMillis));
    }

    @Test
    public void theDefaultsAreRuntimeAndTwoSeconds() throws Exception {
        assertEquals("runtime", StoreConfiguration.class.getMethod("default_partition").getDefaultValue());
        assertEquals(2000L, StoreConfiguration.class.getMethod("departure_grace_ms").getDefaultValue());
        assertEquals("runtime", new LogicalStore(Configurations.defaults(StoreConfiguration.class)).defaultPartition());
    }

    @Test
    public void invalidValuesFailActivationNamingTheProperty() {
        // Configuration Admin holds no null values; the constructor the component uses is checked for it.
        IllegalArgumentException nullName = assertThrows(IllegalArgumentException.class,
                () -> new LogicalStore(null, 2000, System::nanoTime));
        assertTrue(nullName.getMessage(), nullName.getMessage().startsWith("datastore.store: default.partition is invalid: "));
        for (String bad : new String[] {"", "tab\t", "x".repeat(256)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LogicalStore(config(bad, 2000)));
            assertTrue(e.getMessage(), e.getMessage().startsWith("datastore.store: default.partition is invalid: "));
        }
        for (long bad : new long[] {-1, 60_001, Long.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LogicalStore(config("runtime", bad)));
            assertTrue(e.getMessage(), e.getMessage().startsWith("datastore.store: departure.grace.ms is " + bad));
        }
        new LogicalStore(config("runtime", 0));
        new LogicalStore(config("runtime", 60_000));
    }
}
