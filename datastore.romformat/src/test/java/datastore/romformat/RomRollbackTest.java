package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
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
import datastore.spi.RomInfo.SignatureState;

/**
 * The attacks of issue 11 on the store of a dock that requires signed images, each made as someone who
 * can write the flash would make it: a rollback to an older signed image, a UPD section transplanted from
 * another dock. Each is refused at mount, the store unchanged. Provisioning and key rotation are the ROM
 * bundle's {@code RomPartitionSigningTest}.
 */
public class RomRollbackTest {
    private static final KeyPair KEYS = RomSigningKeys.generate();

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
    public void aSignedImageAdvancesTheIndexAndANewerOneIsInstalled() throws IOException {
        flashSigned(KEYS.getPrivate(), 5, "DOCK-A");
        RomStore store = mount(List.of(KEYS.getPublic()), "DOCK-A");
        assertEquals(SignatureState.VERIFIED, store.info().signature());
        assertTrue(String.valueOf(store.info().problem()), store.info().problem().isEmpty());
        assertEquals("the served generation is accepted at mount", 5, index.value);
        assertEquals(RomFixtures.expected(RomFixtures.content("a"), RomFixtures.upd()), RomFixtures.snapshot(store));

        store.install(signedApplication("b", KEYS.getPrivate(), 6));
        assertEquals("advanced after the commit", 6, index.value);
        assertEquals(RomFixtures.expected(RomFixtures.content("b"), RomFixtures.upd()), RomFixtures.snapshot(store));
        assertEquals(RomFixtures.expected(RomFixtures.content("b"), RomFixtures.upd()),
                RomFixtures.snapshot(mount(List.of(KEYS.getPublic()), "DOCK-A")));
    }

    /**
     * The attacker writes an older signed image into the other slot and appends a commit record naming it
     * (here with an unkeyed store over the same flash, which writes exactly that): the dock refuses it and
     * serves the newer image of the older record.
     */
    @Test
    public void anOlderSignedImageCommittedOnTheFlashIsRefusedAtMount() throws IOException {
        flashSigned(KEYS.getPrivate(), 5, "DOCK-A");
        Map<String, String> before = RomFixtures.snapshot(mount(List.of(KEYS.getPublic()), "DOCK-A"));
        RomFixtures.mount(region).install(signedApplication("old", KEYS.getPrivate(), 3));
        assertEquals("the flash now commits the older image", 2, RomFixtures.mount(region).info().generation());

        RomStore store = mount(List.of(KEYS.getPublic()), "DOCK-A");
        String problem = store.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("signed generation 3 is older than generation 5"));
        assertTrue(problem, problem.contains("rollback"));
        assertEquals("the newer image of the older record is served", 1, store.info().generation());
        assertEquals(before, RomFixtures.snapshot(store));
        assertEquals(5, index.value);
    }

    /**
     * The finding as filed: one appended commit record, naming the slot that still holds the older signed
     * image, with a higher commit generation. Refused; the newer image stays served.
     */
    @Test
    public void oneAppendedRecordNamingTheOlderImageIsRefusedAtMount() throws IOException {
        flashSigned(KEYS.getPrivate(), 5, "DOCK-A");
        RomStore store = mount(List.of(KEYS.getPublic()), "DOCK-A");
        store.install(signedApplication("b", KEYS.getPrivate(), 6));
        Map<String, String> served = RomFixtures.snapshot(store);
        RomLayout layout = store.layout();
        byte[] oldDigest = new byte[32];
        region.map().get((int) layout.slotOffset(0) + RomImageFormat.OFF_DIGEST, oldDigest);
        int oldLength = region.map().getInt((int) layout.slotOffset(0) + RomImageFormat.OFF_IMAGE_LENGTH);
        java.nio.ByteBuffer record = new CommitRecord(0, 3, oldLength, oldDigest, RomIdentity.of(region))
                .encode(layout.commitRecordSize());
        int position = 0;
        while (!CommitRecord.isErased(region.map(), layout.recordOffset(0, position), layout.commitRecordSize())) {
            position++;
        }
        for (int block = 0; block < layout.recordCopies(); block++) {
            region.program(layout.recordOffset(block, position), record.duplicate());
        }
        region.sync();
        assertEquals("an unkeyed dock would now serve the older image", 5,
                RomFixtures.mount(region).signedGeneration());

        RomStore remounted = mount(List.of(KEYS.getPublic()), "DOCK-A");
        String problem = remounted.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("generation 3 in slot 0 refused: its signed generation 5 is older than "
                + "generation 6"));
        assertEquals(6, remounted.signedGeneration());
        assertEquals(served, RomFixtures.snapshot(remounted));
        assertEquals(6, index.value);
    }

    /** The UPD sections of two docks, each signed for its own: the other dock's copied over this one's. */
    @Test
    public void aUpdSectionTransplantedFromAnotherDockIsRefused() throws IOException {
        NorFlash otherFlash = RomFixtures.smallFlash();
        FlashRegion other = RomFixtures.romRegion(otherFlash);
        RomFixtures.flashImage(other, RomFixtures.builder(other).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), KEYS.getPrivate(), 0, 5, "DOCK-B"));
        flashSigned(KEYS.getPrivate(), 5, "DOCK-A");
        RomLayout layout = RomLayout.of(region.geometry());
        byte[] foreign = RomFixtures.bytes(other.map());
        try {
            int blockSize = layout.geometry().eraseBlockSize();
            for (long at = layout.updOffset(); at < layout.updOffset() + layout.updSize(); at += blockSize) {
                region.erase((int) (at / blockSize));
            }
            region.program(layout.updOffset(), java.nio.ByteBuffer.wrap(foreign, (int) layout.updOffset(),
                    (int) layout.updSize()));
            region.sync();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        RomStore store = mount(List.of(KEYS.getPublic()), "DOCK-A");
        String problem = store.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("signed for dock \"DOCK-B\", not for this dock \"DOCK-A\""));
        assertNull("no UPD entry is served", RomFixtures.snapshot(store).get("kv/enrolment_token"));
        assertEquals(RomFixtures.expected(RomFixtures.content("a"), null), RomFixtures.snapshot(store));
        // The same bytes serve on the dock they were signed for.
        assertEquals("DOCK-B's section is sound", "0:" + java.util.HexFormat.of().formatHex("tok-0001".getBytes()),
                RomFixtures.snapshot(mount(List.of(KEYS.getPublic()), "DOCK-B")).get("kv/enrolment_token"));
        assertTrue(mount(List.of(KEYS.getPublic()), "DOCK-B").info().problem().isEmpty());
    }

    @Test
    public void aSignedUpdSectionWithoutADockIdIsRefusedByADockThatHasOne() throws IOException {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), KEYS.getPrivate()));
        String problem = mount(List.of(KEYS.getPublic()), "DOCK-A").info().problem().orElseThrow();
        assertTrue(problem, problem.contains("carries no signed dock id"));
    }

    /**
     * Cuts the power at every program and erase of three installs (signed generations 6, 7, 8 over 5), and
     * tears each once: the remounted dock serves the image before or after the install in progress, and
     * the index (advanced only after the commit, and at mount to what is served) then equals what is
     * served and never went down.
     */
    @Test
    public void aPowerCutDuringAnInstallServesTheOldOrTheNewAndTheIndexFollows() throws IOException {
        byte[][] images = new byte[4][];
        for (int g = 6; g <= 8; g++) {
            images[g - 5] = signedApplication("g" + g, KEYS.getPrivate(), g);
        }
        long operations = -1;
        for (boolean tear : new boolean[] {false, true}) {
            for (long cut = tear ? 1 : 0; operations < 0 || cut < operations; cut++) {
                NorFlash cutFlash = RomFixtures.smallFlash();
                FlashRegion target = RomFixtures.romRegion(cutFlash);
                RomFixtures.flashImage(target, RomFixtures.builder(target).buildFlash(RomFixtures.content("a"),
                        RomFixtures.upd(), KEYS.getPrivate(), 0, 5, "DOCK-A"));
                datastore.device.FaultInjectingRegion faulty = new datastore.device.FaultInjectingRegion(target);
                if (operations >= 0) {
                    if (tear) {
                        faulty.tearProgramAt(cut);
                    } else {
                        faulty.cutPowerAfter(cut);
                    }
                }
                RomFixtures.MemoryIndex kept = new RomFixtures.MemoryIndex();
                RomStore store = new RomStore(faulty, RomFixtures.SMALL_CAPACITY, List.of(KEYS.getPublic()), "DOCK-A",
                        kept, Duration.ZERO);
                long returned = 5;
                long attempted = 5;
                try {
                    for (int g = 6; g <= 8; g++) {
                        attempted = g;
                        store.install(images[g - 5]);
                        returned = g;
                    }
                } catch (RomReplaceException e) {
                    assertTrue(e.getMessage(), e.getCause() instanceof datastore.device.PowerCutException);
                }
                if (operations < 0) {
                    operations = faulty.operations();
                    assertEquals(8, returned);
                    cut = tear ? 0 : -1;
                    continue;
                }
                long before = kept.value;
                RomStore remounted = new RomStore(target, RomFixtures.SMALL_CAPACITY, List.of(KEYS.getPublic()),
                        "DOCK-A", kept, Duration.ZERO);
                long served = remounted.signedGeneration();
                String where = (tear ? "tear at " : "cut after ") + cut;
                assertTrue(where + ": serves " + served, served == returned || served == attempted);
                assertTrue(where, before <= kept.value);
                assertEquals(where + ": the index is what is served", served, kept.value);
                assertEquals(where, RomFixtures.expected(RomFixtures.content(served == 5 ? "a" : "g" + served),
                        RomFixtures.upd()), RomFixtures.snapshot(remounted));
            }
        }
    }

    @Test
    public void anUnsignedDockKeepsTodaysBehaviourAndLeavesTheIndexAlone() throws IOException {
        flashSigned(KEYS.getPrivate(), 5, "DOCK-A");
        RomStore store = mount(List.of(), "DOCK-B");
        assertEquals(SignatureState.UNSIGNED, store.info().signature());
        store.install(signedApplication("old", KEYS.getPrivate(), 1));
        store.replace(RomFixtures.content("c"), RomFixtures.FORMATS);
        assertEquals(0, index.advances);
        assertFalse(RomFixtures.snapshot(store).isEmpty());
    }
}
