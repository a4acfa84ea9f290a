package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import org.junit.Test;

import datastore.device.NorFlash;
import datastore.flash.FlashRegion;

/**
 * Golden fixtures: ROM regions written by the code of each format version (format 2: 40 blocks of
 * 1 KiB, by the code before format 3; format 3: 44 blocks), each with generation 2 committed after a
 * replace and a UPD section, with every entry they serve. A later format
 * change cannot pass unless these still mount and read entry for entry.
 */
public class RomGoldenFixtureTest {

    static byte[] golden(String name) throws IOException {
        try (InputStream in = RomGoldenFixtureTest.class.getResourceAsStream("/golden/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no golden fixture " + name);
            }
            return in.readAllBytes();
        }
    }

    static Map<String, String> expected(String name) throws IOException {
        Map<String, String> expected = new TreeMap<>();
        for (String line : new String(golden(name), StandardCharsets.UTF_8).split("\n")) {
            int tab = line.indexOf('\t');
            expected.put(line.substring(0, tab), line.substring(tab + 1));
        }
        return expected;
    }

    /** A region holding the fixture's bytes, as a dock's flash would. */
    static FlashRegion region(byte[] bytes) {
        NorFlash flash = NorFlash.inMemory(bytes.length, RomFixtures.SMALL_BLOCK, 16);
        FlashRegion region = RomFixtures.romRegion(flash);
        RomFixtures.flashImage(region, bytes);
        return region;
    }

    private static RomStore mountsAndReadsEveryEntry(int version) throws Exception {
        byte[] bytes = golden("rom-v" + version + ".img");
        Map<String, String> expected = expected("rom-v" + version + ".expected");
        RomStore store = RomFixtures.mount(region(bytes));
        assertEquals(version, store.layout().formatVersion());
        assertEquals(2, store.info().generation());
        assertTrue(store.info().problem().toString(), store.info().problem().isEmpty());
        assertEquals(expected, RomFixtures.snapshot(store));
        assertTrue(store.verifyAll().isEmpty());
        assertTrue("the fixture has code, images, settings and UPD entries", expected.containsKey("code/main")
                && expected.containsKey("image/default") && expected.containsKey("kv/enrolment_token"));
        return store;
    }

    @Test
    public void formatVersion2MountsAndServesEveryEntry() throws Exception {
        mountsAndReadsEveryEntry(2);
    }

    @Test
    public void formatVersion3MountsAndServesEveryEntry() throws Exception {
        mountsAndReadsEveryEntry(3);
    }

    /**
     * A format 2 region is read as it is and stays format 2: a development replace writes a format 2
     * image and record into its format 2 layout, and keeps its UPD data.
     */
    @Test
    public void aReplaceOnFormat2KeepsFormat2() throws Exception {
        FlashRegion region = region(golden("rom-v2.img"));
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("c"), RomFixtures.FORMATS);
        RomStore remounted = RomFixtures.mount(region);
        assertEquals(2, remounted.layout().formatVersion());
        assertEquals(3, remounted.info().generation());
        Map<String, String> expected = RomFixtures.expected(RomFixtures.content("c"), null);
        expected.put("kv/dock_name", "0:" + java.util.HexFormat.of().formatHex("DOCK-SERIAL-GOLDEN".getBytes()));
        expected.put("kv/enrolment_token", "0:" + java.util.HexFormat.of().formatHex("tok-golden-0001".getBytes()));
        assertEquals(expected, RomFixtures.snapshot(remounted));
        assertTrue(remounted.info().problem().toString(), remounted.info().problem().isEmpty());
    }

    /** A damaged copy of the format 3 fixture's metadata costs nothing: the fixture has its copies. */
    @Test
    public void theFormat3FixtureCarriesItsCopies() throws Exception {
        byte[] bytes = golden("rom-v3.img");
        RomLayout layout = RomLayout.of(region(bytes).geometry());
        bytes[(int) layout.slotOffset(1) + RomImageFormat.OFF_ENTRY_COUNT] ^= 0x10;
        bytes[(int) layout.updOffset() + RomImageFormat.OFF_ENTRY_COUNT] ^= 0x10;
        bytes[(int) layout.recordOffset(0, 1) + 30] ^= 0x10;
        RomStore store = RomFixtures.mount(region(bytes));
        assertEquals(2, store.info().generation());
        assertEquals(expected("rom-v3.expected"), RomFixtures.snapshot(store));
    }

    /**
     * A format 3 region of bound, signed images (the code of the rollback fix): application signed
     * generation 7 from the tools, then 8 installed (commit generation 2), a UPD section signed for dock
     * {@code DOCK-GOLDEN}. It must keep mounting with its signed generation and dock id, and keep being
     * refused by another dock and below its generation.
     */
    @Test
    public void theBoundFixtureServesItsSignedGenerationForItsDockOnly() throws Exception {
        byte[] bytes = golden("rom-v3-bound.img");
        java.util.List<java.security.PublicKey> keys = java.util.List.of(RomSigningKeys.publicKey(
                new String(golden("rom-v3-bound.key"), StandardCharsets.US_ASCII)));
        RomFixtures.MemoryIndex index = new RomFixtures.MemoryIndex();
        RomStore store = new RomStore(region(bytes), RomFixtures.SMALL_CAPACITY, keys, "DOCK-GOLDEN", index,
                java.time.Duration.ZERO);
        assertEquals(2, store.info().generation());
        assertEquals(8, store.signedGeneration());
        assertEquals(8, index.highest());
        assertEquals(datastore.spi.RomInfo.SignatureState.VERIFIED, store.info().signature());
        assertTrue(store.info().problem().toString(), store.info().problem().isEmpty());
        assertEquals(expected("rom-v3-bound.expected"), RomFixtures.snapshot(store));

        String transplanted = new RomStore(region(bytes), RomFixtures.SMALL_CAPACITY, keys, "DOCK-OTHER", index,
                java.time.Duration.ZERO).info().problem().orElseThrow();
        assertTrue(transplanted, transplanted.contains("signed for dock \"DOCK-GOLDEN\", not for this dock \"DOCK-OTHER\""));
        index.advance(9);
        RomStore rolledBack = new RomStore(region(bytes), RomFixtures.SMALL_CAPACITY, keys, "DOCK-GOLDEN", index,
                java.time.Duration.ZERO);
        String problem = rolledBack.info().problem().orElseThrow();
        assertTrue(problem, problem.contains("signed generation 8 is older than generation 9"));
        assertTrue(problem, problem.contains("signed generation 7 is older than generation 9"));
        assertTrue(RomFixtures.snapshot(rolledBack).keySet().stream().noneMatch(k -> k.startsWith("code/")));
    }

    /** Format 2 took regions of 5 to 9 blocks, too small for format 3's layout: they stay readable. */
    @Test
    public void aSmallFormat2RegionStaysReadable() throws Exception {
        NorFlash flash = NorFlash.inMemory(8 * 4096, 4096, 16);
        FlashRegion region = RomFixtures.romRegion(flash);
        RomImageBuilder legacy = new RomImageBuilder(RomFixtures.FORMATS, 4000, RomLayout.legacy(region.geometry()));
        RomFixtures.flashImage(region, legacy.buildFlash(RomFixtures.content("s"), RomFixtures.upd(), null));
        RomStore store = new RomStore(region, 4000, null, java.time.Duration.ZERO);
        assertEquals(2, store.layout().formatVersion());
        assertEquals(RomFixtures.expected(RomFixtures.content("s"), RomFixtures.upd()), RomFixtures.snapshot(store));
    }
}
