package datastore.rom;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

import datastore.Namespace;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;
import datastore.flash.FlashRegion;
import datastore.romformat.RomFixtures;
import datastore.romformat.RomReplaceException;
import datastore.romformat.RomSigningKeys;
import datastore.spi.Change;

public class RomPartitionTest {
    private final FlashRegion region = RomFixtures.romRegion(RomFixtures.smallFlash());

    private RomPartition partition(boolean development) throws Exception {
        RomPartition partition = new RomPartition(region, RomConfigs.of("capacity", RomFixtures.SMALL_CAPACITY),
                development);
        partition.imageFormat = RomFixtures.FORMATS;
        return partition;
    }

    @Test
    public void theSpiNeverWrites() throws Exception {
        RomPartition partition = partition(true);
        assertEquals(Partitions.ROM, partition.name());
        assertTrue(partition.readOnly());
        assertThrows(ReadOnlyPartitionException.class, () -> partition.apply(List.of(
                Change.put(Namespace.KV, "k", 0, java.nio.ByteBuffer.wrap(new byte[1])))));
        assertThrows(ReadOnlyPartitionException.class, partition::clear);
    }

    @Test
    public void provisioningReplacesInDevelopmentAndRefusesInProduction() throws Exception {
        RomPartition development = partition(true);
        assertEquals(1, development.provisioning.replace(RomFixtures.content("a")).generation());
        assertEquals(List.of("content_url", "dock_name", "timezone"), development.names(Namespace.KV));

        RomPartition production = partition(false);
        assertThrows(ReadOnlyPartitionException.class, () -> production.provisioning.replace(RomFixtures.content("b")));
        assertEquals(1, production.provisioning.info().generation());
    }

    @Test
    public void withoutAnImageFormatServiceAReplaceIsRefused() throws Exception {
        RomPartition partition = partition(true);
        partition.imageFormat = null;
        assertThrows(RomReplaceException.class, () -> partition.provisioning.replace(RomFixtures.content("a")));
        assertEquals(0, partition.provisioning.info().generation());
    }

    @Test
    public void modeDefaultsToProduction() {
        assertFalse(RomPartition.mode(null));
        assertFalse(RomPartition.mode("production"));
        assertFalse(RomPartition.mode("dev"));
        assertTrue(RomPartition.mode("development"));
        // The same reading as the development API's: case and surrounding blanks do not matter.
        assertTrue(RomPartition.mode(" Development "));
    }

    @Test
    public void invalidConfigurationFailsWithTheAttribute() {
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                () -> new RomPartition(region, RomConfigs.of("public_key", "not-a-key!"), false));
        assertTrue(key.getMessage(), key.getMessage().contains("public_key"));
        IllegalArgumentException capacity = assertThrows(IllegalArgumentException.class,
                () -> new RomPartition(region, RomConfigs.of(), false));
        assertTrue(capacity.getMessage(), capacity.getMessage().contains("capacity"));
    }

    @Test
    public void invalidKeysOrDockIdFailWithTheAttribute() {
        String good = RomSigningKeys.encode(RomSigningKeys.generate().getPublic());
        IllegalArgumentException keys = assertThrows(IllegalArgumentException.class, () -> new RomPartition(region,
                RomConfigs.of("public_keys", new String[] {good, "not-a-key!"}), false));
        assertTrue(keys.getMessage(), keys.getMessage().contains("public_keys[1]"));
        IllegalArgumentException dock = assertThrows(IllegalArgumentException.class, () -> new RomPartition(region,
                RomConfigs.of("dock_id", "DOCK\u202e1", "capacity", RomFixtures.SMALL_CAPACITY), false));
        assertTrue(dock.getMessage(), dock.getMessage().contains("dock_id"));
    }

    /** The dock id comes from the configuration, else from the framework property datastore.dock.id. */
    @Test
    public void theDockIdFallsBackToTheFrameworkProperty() throws Exception {
        java.security.KeyPair keys = RomSigningKeys.generate();
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), keys.getPrivate(), 0, 1, "DOCK-P"));
        String key = RomSigningKeys.encode(keys.getPublic());
        RomPartition byProperty = new RomPartition(region, RomConfigs.of("public_key", key, "capacity",
                RomFixtures.SMALL_CAPACITY), false, new RomFixtures.MemoryIndex(), "DOCK-P");
        assertTrue(String.valueOf(byProperty.store.info().problem()), byProperty.store.info().problem().isEmpty());
        RomPartition configured = new RomPartition(region, RomConfigs.of("public_key", key, "dock_id", "DOCK-C",
                "capacity", RomFixtures.SMALL_CAPACITY), false, new RomFixtures.MemoryIndex(), "DOCK-P");
        String problem = configured.store.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("not for this dock \"DOCK-C\""));
    }

    /**
     * Stopping the partition stops the background verifier that registration started and waits for
     * it: a stopped bundle leaves no thread hashing its region, competing with whatever starts next.
     * The image is large enough (8 MB of code and settings) that the verifier is still hashing when stop is called.
     */
    @Test
    public void stoppingStopsTheBackgroundVerifier() throws Exception {
        int block = 64 * 1024;
        long size = 24L * 1024 * 1024;
        FlashRegion large = datastore.device.NorFlash.inMemory(size, block, 16).region("rom", 0, size);
        long capacity = 9L * 1024 * 1024;
        RomPartition partition = new RomPartition(large, RomConfigs.of("capacity", capacity), true);
        partition.imageFormat = RomFixtures.FORMATS;
        java.util.Random random = new java.util.Random(5);
        byte[] code = new byte[4_000_000];
        random.nextBytes(code);
        java.util.Map<String, String> kv = new java.util.HashMap<>();
        for (int i = 0; i < 2000; i++) {
            kv.put("setting" + i, Long.toHexString(random.nextLong()).repeat(125));
        }
        partition.provisioning.replace(new datastore.spi.RomContent(code, kv, java.util.Map.of()));
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        partition.start(new datastore.testsupport.FakeFramework().context());
        List<Thread> verifiers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("datastore.rom verifier") && !before.contains(t)).toList();
        assertEquals("registration starts one verifier", 1, verifiers.size());
        partition.stop();
        assertFalse("the verifier still runs after stop", verifiers.get(0).isAlive());
    }
}
