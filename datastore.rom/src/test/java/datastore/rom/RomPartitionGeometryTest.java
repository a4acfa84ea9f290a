package datastore.rom;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;
import org.osgi.framework.BundleContext;

import datastore.Namespace;
import datastore.PartitionUnavailableException;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.romformat.RomFixtures;
import datastore.romformat.RomStore;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;
import datastore.spi.RomProvisioning;
import datastore.testsupport.FakeFramework;

/**
 * A region the partition refuses (the store's own geometry checks are in the library's {@code
 * RomGeometryTest}): it registers its refusal instead of its store, formats on request or with the
 * {@code format.refused} flag, and a mountable region registers as before.
 */
public class RomPartitionGeometryTest {
    private static final int BLOCK = RomFixtures.SMALL_BLOCK;
    private static final int BLOCKS = RomFixtures.SMALL_BLOCKS;
    private static final long SIZE = (long) BLOCK * BLOCKS;

    @Test
    public void aRefusedPartitionRegistersItsRefusalAndFormatsOnRequest() throws Exception {
        NorFlash flash = RomFixtures.manufacturedAt(0);
        FlashRegion resized = flash.region("rom", 0, SIZE + BLOCK);
        byte[] before = RomFixtures.bytes(flash);
        RomPartition partition = new RomPartition(resized, RomConfigs.of("capacity", RomFixtures.SMALL_CAPACITY),
                true);
        partition.imageFormat = RomFixtures.FORMATS;
        Registry registry = new Registry();
        partition.start(registry.context());
        assertEquals("only the refusal, no partition and no provisioning", List.of(RefusedPartition.class),
                registry.live());
        assertEquals("rom", registry.property(RefusedPartition.class, PartitionStore.PARTITION));
        RefusedPartition refused = partition.refused;
        assertEquals("rom", refused.name());
        assertTrue(refused.reason(), refused.reason().contains(SIZE + " bytes")
                && refused.reason().contains((SIZE + BLOCK) + " bytes"));
        PartitionUnavailableException unavailable = assertThrows(PartitionUnavailableException.class,
                () -> partition.open(Namespace.KV, "dock_name"));
        assertTrue(unavailable.getMessage(), unavailable.getMessage().contains("dock_name"));
        assertNull(partition.provisioning);
        assertArrayEquals(before, RomFixtures.bytes(flash));

        refused.format();
        assertEquals(List.of(PartitionStore.class, RomProvisioning.class), registry.live());
        assertEquals(100, registry.property(PartitionStore.class, org.osgi.framework.Constants.SERVICE_RANKING));
        assertEquals("rom", registry.property(PartitionStore.class, PartitionStore.PARTITION));
        assertTrue(partition.names(Namespace.KV).isEmpty());
        assertEquals(1, partition.provisioning.replace(RomFixtures.content("d")).generation());
        assertEquals(List.of("content_url", "dock_name", "timezone"), partition.names(Namespace.KV));
        partition.stop();
        assertTrue(registry.live().isEmpty());
    }

    @Test
    public void theFormatRefusedFlagFormatsAtActivation() throws Exception {
        NorFlash flash = RomFixtures.manufacturedAt(0);
        FlashRegion moved = flash.region("rom", BLOCK, SIZE);
        RomPartition partition = new RomPartition(moved, RomConfigs.of("capacity", RomFixtures.SMALL_CAPACITY,
                "format_refused", true), false);
        Registry registry = new Registry();
        partition.start(registry.context());
        assertEquals("production: the partition, no provisioning", List.of(PartitionStore.class), registry.live());
        assertEquals(0, partition.store.info().generation());
        assertTrue(RomStore.refusal(moved).isEmpty());
        byte[] erased = new byte[(int) SIZE];
        java.util.Arrays.fill(erased, (byte) 0xFF);
        byte[] now = new byte[(int) SIZE];
        moved.map().get(0, now);
        assertArrayEquals("formatting erased the region", erased, now);
    }

    @Test
    public void aMountablePartitionRegistersAsBefore() throws Exception {
        NorFlash flash = RomFixtures.manufacturedAt(0);
        RomPartition partition = new RomPartition(flash.region("rom", 0, SIZE),
                RomConfigs.of("capacity", RomFixtures.SMALL_CAPACITY), true);
        Registry registry = new Registry();
        partition.start(registry.context());
        assertEquals(List.of(PartitionStore.class, RomProvisioning.class), registry.live());
        assertSame(partition, registry.framework.registered.get(0).service);
        assertFalse(partition.names(Namespace.KV).isEmpty());
    }

    /** Services registered through a fake bundle context, and whether each is still registered. */
    private static final class Registry {
        final FakeFramework framework = new FakeFramework();

        BundleContext context() {
            return framework.context();
        }

        List<Class<?>> live() {
            return framework.registered.stream().filter(r -> !r.unregistered).<Class<?>>map(r -> (Class<?>) r.clazz)
                    .toList();
        }

        Object property(Class<?> type, String key) {
            return framework.registered.stream().filter(r -> r.clazz == type && !r.unregistered)
                    .map(r -> r.properties.get(key)).findFirst().orElseThrow();
        }
    }
}
