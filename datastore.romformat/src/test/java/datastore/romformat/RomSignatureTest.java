package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.security.KeyPair;
import java.time.Duration;

import org.junit.Test;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.RomInfo;
import datastore.spi.RomInfo.SignatureState;

public class RomSignatureTest {
    private static final KeyPair KEYS = RomSigningKeys.generate();
    private static final KeyPair OTHER = RomSigningKeys.generate();

    private final NorFlash flash = RomFixtures.smallFlash();
    private final FlashRegion region = RomFixtures.romRegion(flash);

    private void flashSigned(java.security.PrivateKey key) {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), key));
    }

    private RomStore mountRequiring(KeyPair keys) {
        return RomFixtures.mount(region, keys.getPublic(), Duration.ZERO);
    }

    @Test
    public void aSignedImageVerifies() {
        flashSigned(KEYS.getPrivate());
        RomStore store = mountRequiring(KEYS);
        RomInfo info = store.info();
        assertEquals(SignatureState.VERIFIED, info.signature());
        assertTrue(info.problem().isEmpty());
        assertEquals(RomFixtures.expected(RomFixtures.content("a"), RomFixtures.upd()), RomFixtures.snapshot(store));
        // Without a configured key, signatures are optional and the image is served as unsigned.
        assertEquals(SignatureState.UNSIGNED, RomFixtures.mount(region).info().signature());
    }

    @Test
    public void anImageSignedWithAnotherKeyIsRefusedAndNothingIsServed() {
        flashSigned(OTHER.getPrivate());
        RomStore store = mountRequiring(KEYS);
        String problem = store.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("signature does not verify"));
        assertTrue(problem, problem.contains("unique-per-dock section refused"));
        assertTrue(RomFixtures.snapshot(store).isEmpty());
    }

    @Test
    public void anUnsignedImageIsRefusedWhenAKeyIsConfigured() {
        flashSigned(null);
        RomStore store = mountRequiring(KEYS);
        assertTrue(store.info().problem().orElseThrow().contains("not signed"));
        assertTrue(RomFixtures.snapshot(store).isEmpty());
        // And a development replace, which cannot sign, is refused rather than written.
        RomReplaceException e = assertThrows(RomReplaceException.class,
                () -> store.replace(RomFixtures.content("b"), RomFixtures.FORMATS));
        assertTrue(e.getMessage(), e.getMessage().contains("signed"));
    }

    @Test
    public void tamperedSignatureIndexOrDataIsCaught() throws Exception {
        flashSigned(KEYS.getPrivate());
        RomStore clean = mountRequiring(KEYS);
        long slot = clean.layout().slotOffset(0);
        long copy = clean.layout().slotCopyOffset(0);

        // Both copies of the header and page table are changed alike, as a forger would; one changed
        // copy is only damage, which the other copy covers.
        for (long at : new long[] {slot, copy}) {
            flash.corrupt(at + RomImageFormat.OFF_SIGNATURE + 5, (byte) 0x04);
        }
        assertTrue(mountRequiring(KEYS).info().problem().isPresent());
        for (long at : new long[] {slot, copy}) {
            flash.corrupt(at + RomImageFormat.OFF_SIGNATURE + 5, (byte) 0x04);
        }

        // A page table change resealed with a matching digest and CRC is refused: the digest no longer matches
        // the commit record, nor would the signature verify.
        int pages = region.map().getInt((int) slot + RomImageFormat.OFF_PAGE_COUNT);
        byte[] image = new byte[(int) RomImageFormat.pagedStart(pages)];
        region.map().get((int) slot, image);
        byte[] forged = image.clone();
        forged[RomImageFormat.HEADER_SIZE + 1] ^= 0x01;
        RomImageFormatTest.reseal(forged);
        for (int i = 0; i < forged.length; i++) {
            if (forged[i] != image[i]) {
                flash.corrupt(slot + i, (byte) (forged[i] ^ image[i]));
                flash.corrupt(copy + i, (byte) (forged[i] ^ image[i]));
            }
        }
        RomStore tampered = mountRequiring(KEYS);
        assertTrue(tampered.info().problem().orElseThrow().contains("generation 1 in slot 0 refused"));
        assertFalse(RomFixtures.snapshot(tampered).containsKey("code/main"));
        for (int i = 0; i < forged.length; i++) {
            if (forged[i] != image[i]) {
                flash.corrupt(slot + i, (byte) (forged[i] ^ image[i]));
                flash.corrupt(copy + i, (byte) (forged[i] ^ image[i]));
            }
        }

        // Data is covered through the page hashes the signed page table holds.
        int at = RomStoreTest.indexOf(RomFixtures.bytes(region.map()), RomFixtures.resource("small.png"));
        flash.corrupt(at + 7, (byte) 0x80);
        RomStore store = mountRequiring(KEYS);
        assertEquals(SignatureState.VERIFIED, store.info().signature());
        assertThrows(CorruptedEntryException.class, () -> store.open(Namespace.IMAGE, "default"));
        assertTrue(store.info().problem().isPresent());
    }
}
