package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.Test;

import datastore.Namespace;
import datastore.flash.FlashRegion;
import datastore.spi.RomContent;

/** The ROM's presence check: a probe of the served images' on-flash hash tables, current across replaces. */
public class RomPresenceTest {
    private final FlashRegion region = RomFixtures.romRegion(RomFixtures.smallFlash());

    private static RomContent settings(String... names) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String name : names) {
            kv.put(name, "value of " + name);
        }
        return new RomContent(new byte[0], kv, Map.of());
    }

    @Test
    public void anErasedRomHoldsNothing() {
        RomStore store = RomFixtures.mount(region);
        assertFalse(store.mayContain(Namespace.KV, "dock_name"));
    }

    @Test
    public void aReplaceRulesInItsNamesAndRulesOutTheOldOnes() {
        RomStore store = RomFixtures.mount(region);
        store.replace(settings("only_in_a", "shared"), RomFixtures.FORMATS);
        assertTrue(store.mayContain(Namespace.KV, "only_in_a"));
        assertTrue(store.mayContain(Namespace.KV, "shared"));
        assertFalse(store.mayContain(Namespace.KV, "only_in_b"));
        assertFalse("names are per namespace", store.mayContain(Namespace.IMAGE, "shared"));

        store.replace(settings("only_in_b", "shared"), RomFixtures.FORMATS);
        assertFalse(store.mayContain(Namespace.KV, "only_in_a"));
        assertTrue(store.mayContain(Namespace.KV, "only_in_b"));
        assertTrue(store.mayContain(Namespace.KV, "shared"));
        for (int i = 0; i < 1000; i++) {
            assertEquals("never ruled out while readable", store.open(Namespace.KV, "k" + i).isPresent(),
                    store.mayContain(Namespace.KV, "k" + i));
        }
        RomStore remounted = RomFixtures.mount(region);
        assertTrue(remounted.mayContain(Namespace.KV, "only_in_b"));
        assertFalse(remounted.mayContain(Namespace.KV, "only_in_a"));
    }

    @Test
    public void uniquePerDockNamesAreRuledInThroughReplaces() {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), null));
        RomStore store = RomFixtures.mount(region);
        store.replace(settings("other"), RomFixtures.FORMATS);
        assertTrue(store.mayContain(Namespace.KV, "enrolment_token"));
        assertTrue(store.mayContain(Namespace.KV, "other"));
        assertFalse(store.mayContain(Namespace.KV, "timezone"));
    }

    @Test
    public void aMissAllocatesNothing() {
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int calls = 200_000;
        boolean any = false;
        for (int i = 0; i < calls; i++) { // warm up: the pages the probes touch get checked once
            any |= store.mayContain(Namespace.KV, "absent_name");
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            any |= store.mayContain(Namespace.KV, "absent_name");
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertFalse(any);
        assertTrue(allocated + " bytes for " + calls + " misses", allocated < calls);
    }
}
