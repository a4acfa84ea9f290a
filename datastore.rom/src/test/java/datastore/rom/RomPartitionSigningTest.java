package datastore.rom;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.romformat.RomFixtures;
import datastore.romformat.RomSigningKeys;
import datastore.romformat.RomStore;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomInfo.SignatureState;

/**
 * The attacks of issue 11 that reach the partition rather than the store (the store's own are in the
 * library's {@code RomRollbackTest}): an older signed image refused at provisioning with nothing written,
 * and an image signed with a retired key, while a rotated-in key is accepted.
 */
public class RomPartitionSigningTest {
    private static final KeyPair KEYS = RomSigningKeys.generate();
    private static final KeyPair ROTATED = RomSigningKeys.generate();

    private final NorFlash flash = RomFixtures.smallFlash();
    private final FlashRegion region = RomFixtures.romRegion(flash);
    private final RomFixtures.MemoryIndex index = new RomFixtures.MemoryIndex();

    private void flashSigned(PrivateKey key, long generation, String dockId) {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), key, 0, generation, dockId));
    }

    private RomStore mount(List<PublicKey> keys, String dockId) {
        try {
            return new RomStore(region, RomFixtures.SMALL_CAPACITY, keys, dockId, index, Duration.ZERO);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private byte[] signedApplication(String variant, PrivateKey key, long generation) {
        return RomFixtures.builder(region).buildSignedApplication(RomFixtures.content(variant), 200, key, generation);
    }

    private byte[] regionBytes() throws IOException {
        return RomFixtures.bytes(region.map());
    }

    @Test
    public void anOlderSignedImageIsRefusedAtProvisioningAndNothingIsWritten() throws IOException {
        flashSigned(KEYS.getPrivate(), 5, "DOCK-A");
        RomStore store = mount(List.of(KEYS.getPublic()), "DOCK-A");
        Map<String, String> served = RomFixtures.snapshot(store);
        byte[] flashBefore = regionBytes();
        InvalidRomContentException e = assertThrows(InvalidRomContentException.class,
                () -> store.install(signedApplication("old", KEYS.getPrivate(), 4)));
        assertEquals("image", e.problems().get(0).field());
        assertTrue(e.getMessage(), e.getMessage().contains("signed generation 4 is older than generation 5"));
        assertArrayEquals("not one byte written", flashBefore, regionBytes());
        assertEquals(served, RomFixtures.snapshot(store));
        assertEquals(5, index.value);
        // Through the provisioning service, as the development API reaches it.
        RomProvisioningService provisioning = new RomProvisioningService(store, () -> RomFixtures.FORMATS, true);
        assertThrows(InvalidRomContentException.class, () -> provisioning.install(java.nio.ByteBuffer.wrap(
                signedApplication("old", KEYS.getPrivate(), 4))));
        assertArrayEquals(flashBefore, regionBytes());
    }

    @Test
    public void aRetiredKeyVerifiesNothingAndARotatedInKeyIsAccepted() throws IOException {
        flashSigned(ROTATED.getPrivate(), 5, "DOCK-A");
        String old = RomSigningKeys.encode(KEYS.getPublic());
        String rotated = RomSigningKeys.encode(ROTATED.getPublic());
        // During the rotation both keys are configured: the image signed with the new one verifies.
        RomPartition both = new RomPartition(region, RomConfigs.of("public_key", old, "public_keys",
                new String[] {rotated}, "capacity", RomFixtures.SMALL_CAPACITY), true, index, "DOCK-A");
        assertEquals(SignatureState.VERIFIED, both.store.info().signature());
        assertTrue(String.valueOf(both.store.info().problem()), both.store.info().problem().isEmpty());

        // The new key only: an image signed with the retired one is refused, at provisioning and at mount.
        RomPartition retiredOut = new RomPartition(region, RomConfigs.of("public_keys", new String[] {rotated},
                "capacity", RomFixtures.SMALL_CAPACITY), true, index, "DOCK-A");
        byte[] flashBefore = regionBytes();
        InvalidRomContentException e = assertThrows(InvalidRomContentException.class,
                () -> retiredOut.provisioning.install(java.nio.ByteBuffer.wrap(signedApplication("b", KEYS.getPrivate(), 9))));
        assertTrue(e.getMessage(), e.getMessage().contains("does not verify"));
        assertArrayEquals(flashBefore, regionBytes());

        NorFlash oldFlash = RomFixtures.smallFlash();
        FlashRegion oldRegion = RomFixtures.romRegion(oldFlash);
        RomFixtures.flashImage(oldRegion, RomFixtures.builder(oldRegion).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), KEYS.getPrivate(), 0, 9, "DOCK-A"));
        RomPartition refusing = new RomPartition(oldRegion, RomConfigs.of("public_keys", new String[] {rotated},
                "capacity", RomFixtures.SMALL_CAPACITY), true, new RomFixtures.MemoryIndex(), "DOCK-A");
        String problem = refusing.store.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("does not verify against the configured public key"));
        assertTrue(RomFixtures.snapshot(refusing.store).isEmpty());
    }
}
