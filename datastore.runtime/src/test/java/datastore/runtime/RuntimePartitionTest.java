package datastore.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.lang.annotation.Annotation;
import java.util.List;

import datastore.Namespace;
import datastore.Partitions;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;

import org.junit.Test;

/** The component shell: mounts at construction, refuses a region too small for its configuration. */
public class RuntimePartitionTest {

    static RuntimeConfiguration config(long capacity, int maxEntries) {
        return config(capacity, maxEntries, false);
    }

    static RuntimeConfiguration config(long capacity, int maxEntries, boolean formatRefused) {
        return new RuntimeConfiguration() {
            @Override
            public boolean format_refused() {
                return formatRefused;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return RuntimeConfiguration.class;
            }

            @Override
            public long capacity() {
                return capacity;
            }

            @Override
            public int max_entries() {
                return maxEntries;
            }

            @Override
            public long view_wait_millis() {
                return 100;
            }
        };
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
}
