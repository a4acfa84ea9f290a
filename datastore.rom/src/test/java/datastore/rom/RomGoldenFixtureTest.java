package datastore.rom;

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
 * Golden fixtures: ROM regions written by the code of each format version (40 or 44 blocks of 1 KiB,
 * generation 2 committed after a replace, a UPD section), with every entry they serve. A later format
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

    private static void mountsAndReadsEveryEntry(int version) throws Exception {
        byte[] bytes = golden("rom-v" + version + ".img");
        Map<String, String> expected = expected("rom-v" + version + ".expected");
        RomStore store = RomFixtures.mount(region(bytes));
        assertEquals(2, store.info().generation());
        assertTrue(store.info().problem().toString(), store.info().problem().isEmpty());
        assertEquals(expected, RomFixtures.snapshot(store));
        assertTrue(store.verifyAll().isEmpty());
        assertTrue("the fixture has code, images, settings and UPD entries", expected.containsKey("code/main")
                && expected.containsKey("image/default") && expected.containsKey("kv/enrolment_token"));
    }

    @Test
    public void formatVersion2MountsAndServesEveryEntry() throws Exception {
        mountsAndReadsEveryEntry(2);
    }
}
