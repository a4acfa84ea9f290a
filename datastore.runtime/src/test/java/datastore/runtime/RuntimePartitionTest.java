package datastore.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

import datastore.Namespace;
import datastore.PartitionUnavailableException;
import datastore.Partitions;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.logstore.RuntimePromise;
import datastore.spi.Change;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;
import datastore.testsupport.Configurations;
import datastore.testsupport.FakeFramework;

import org.junit.Test;

/**
 * The component shell: mounts at construction, refuses a region too small for its configuration, serves
 * the promise a self-describing region keeps, and turns a refused region into a RefusedPartition until it
 * is formatted (explicitly or by the configuration flag). The engine's own tests are in datastore.logstore.
 */
public class RuntimePartitionTest {

    static RuntimeConfiguration config(long capacity) {
        return config(capacity, false);
    }

    static RuntimeConfiguration config(long capacity, boolean formatRefused) {
        return Configurations.of(RuntimeConfiguration.class, "capacity", capacity, "view.wait.ms", 100L,
                "format.refused", formatRefused);
    }

    static FlashRegion region(int blocks) {
        return NorFlash.inMemory(blocks * 4096L, 4096, 16).region("runtime", 0, blocks * 4096L);
    }

    /** A region of {@code blocks} holding random bytes: neither erased nor a runtime log, so refused. */
    static FlashRegion foreign(int blocks) throws IOException {
        FlashRegion region = region(blocks);
        byte[] random = new byte[blocks * 4096];
        new Random(9).nextBytes(random);
        region.program(0, ByteBuffer.wrap(random));
        return region;
    }

    static Change put(String name, String value) {
        return Change.put(Namespace.KV, name, 0, ByteBuffer.wrap(bytes(value)));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The value of a KV entry as the partition reads it, or null when absent. */
    static byte[] get(PartitionStore partition, String name) {
        return partition.read(Namespace.KV, name, data -> {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            return bytes;
        }).orElse(null);
    }

    @Test
    public void mountsAndServesThePartition() {
        FlashRegion region = region(64);
        RuntimePartition partition = new RuntimePartition(region, config(32 * 1024));
        assertEquals(Partitions.RUNTIME, partition.name());
        assertFalse(partition.readOnly());
        partition.apply(List.of(put("a", "1")));
        RuntimePartition again = new RuntimePartition(region, config(32 * 1024));
        assertArrayEquals(bytes("1"), get(again, "a"));
        assertEquals(List.of("a"), again.names(Namespace.KV));
        assertEquals(2 + RuntimePromise.ENTRY_CHARGE, again.usage().used());
        assertTrue(again.problems().isEmpty());
        again.clear();
        assertEquals(0, again.usage().used());
    }

    @Test
    public void aRegionTooSmallForTheConfigurationFailsActivationWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RuntimePartition(region(64), config(13L * 1024 * 1024)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("invalid configuration of datastore.runtime: "));
        assertTrue(e.getMessage(), e.getMessage().contains("262144 bytes") && e.getMessage().contains("13631488"));
    }

    @Test
    public void aConfigurationStillSettingTheFormerEntryLimitActivatesWithoutOne() {
        // max.entries capped the number of entries in earlier builds; entries are now charged instead.
        Map<String, Object> properties = Map.of("capacity", 3 * 1024L, "max.entries", 2, "view.wait.ms", 100L);
        FlashRegion region = region(64);
        RuntimePartition partition = new RuntimePartition(null, region,
                Configurations.of(RuntimeConfiguration.class, properties), properties);
        for (int i = 0; i < 5; i++) {
            partition.apply(List.of(Change.put(Namespace.KV, "k" + i, 0, ByteBuffer.wrap(bytes("v")))));
        }
        assertEquals(5, partition.usage().entries().get(Namespace.KV).intValue());
        assertEquals(5 * (2 + 1 + RuntimePromise.ENTRY_CHARGE), partition.usage().used());
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

    @Test
    public void aConfigurationThatFitsIsKeptAndOneThatDoesNotBecomesTheRegionsPromise() {
        FlashGeometry defaultRegion = new FlashGeometry(80L << 20, 65536, 16);
        RuntimeConfiguration config = config(RuntimePartition.DEFAULT_CAPACITY);
        assertSame(config, RuntimePartition.promisedByRegion(config, defaultRegion));
        FlashRegion small = region(64);
        RuntimeConfiguration promised = RuntimePartition.promisedByRegion(config, small.geometry());
        assertEquals(RuntimePromise.largestCapacity(small.geometry()), promised.capacity());
        RuntimePartition partition = new RuntimePartition(small, promised);
        assertEquals(promised.capacity(), partition.usage().capacity());
    }

    @Test
    public void aRefusedRegionLeavesThePartitionUnavailableUntilFormatted() throws IOException {
        FlashRegion region = foreign(16);
        ByteBuffer before = copy(region);
        RuntimePartition partition = new RuntimePartition(region, config(3 * 1024));
        assertNotNull(partition.refusal());
        assertTrue(partition.refusal(), partition.refusal().contains("neither erased nor a runtime log"));
        assertNull(partition.store);
        PartitionUnavailableException e = assertThrows(PartitionUnavailableException.class,
                () -> partition.open(Namespace.KV, "k1"));
        assertTrue(e.getMessage(), e.getMessage().contains(partition.refusal()));
        assertTrue("a refused region may hold the name", partition.mayContain(Namespace.KV, "k1"));
        assertEquals("the region changed", before, copy(region));
        partition.formatRefused();
        assertNull(partition.refusal());
        partition.apply(List.of(put("a", "1")));
        assertArrayEquals(bytes("1"), get(new RuntimePartition(region, config(3 * 1024)), "a"));
    }

    @Test
    public void theConfigurationFlagFormatsARefusedRegionAtActivation() throws IOException {
        FlashRegion region = foreign(16);
        RuntimePartition partition = new RuntimePartition(region, config(3 * 1024, true));
        assertNull(partition.refusal());
        assertNotNull(partition.store);
        assertEquals(List.of(), partition.names(Namespace.KV));
        partition.apply(List.of(put("b", "2")));
        assertArrayEquals(bytes("2"), get(new RuntimePartition(region, config(3 * 1024)), "b"));
    }

    @Test
    public void aRefusedRegionRegistersRefusedPartitionAndFormatSwitchesToThePartitionStore() throws IOException {
        FakeFramework framework = new FakeFramework();
        RuntimePartition component = new RuntimePartition(framework.context(), foreign(16), config(3 * 1024),
                Map.of());
        assertEquals(1, framework.live());
        FakeFramework.Registered refused = live(framework).get(0);
        assertEquals(RefusedPartition.class, refused.clazz);
        assertEquals("runtime", refused.properties.get(RefusedPartition.PARTITION));
        RefusedPartition service = (RefusedPartition) refused.service;
        assertEquals("runtime", service.name());
        assertEquals(component.refusal(), service.reason());
        service.format();
        assertEquals(1, framework.live());
        FakeFramework.Registered store = live(framework).get(0);
        assertEquals(PartitionStore.class, store.clazz);
        assertEquals(200, store.properties.get(org.osgi.framework.Constants.SERVICE_RANKING));
        PartitionStore partition = (PartitionStore) store.service;
        assertEquals(List.of(), partition.names(Namespace.KV));
        partition.apply(List.of(put("x", "y")));
        assertArrayEquals(bytes("y"), get(partition, "x"));
        component.deactivate();
        assertEquals(0, framework.live());
    }

    private static List<FakeFramework.Registered> live(FakeFramework framework) {
        return framework.registered.stream().filter(r -> !r.unregistered).toList();
    }

    private static ByteBuffer copy(FlashRegion region) throws IOException {
        ByteBuffer map = region.map();
        ByteBuffer copy = ByteBuffer.allocate(map.capacity());
        copy.put(map.duplicate().clear()).flip();
        return copy;
    }
}
