package datastore.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import datastore.Namespace;

import org.junit.Test;

/** The filter alone: every name added tests present, and few absent names do at its sized load. */
public class PresenceFilterTest {

    private static String randomName(SplittableRandom random) {
        int length = 1 + random.nextInt(40);
        StringBuilder name = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            // Mostly ASCII, some of it beyond, as names may be any UTF-8.
            name.append(random.nextInt(10) == 0 ? (char) (0xA0 + random.nextInt(0x2000)) : (char) (0x21 + random.nextInt(94)));
        }
        return name.toString();
    }

    @Test
    public void everyNameAddedTestsPresentInItsNamespace() {
        PresenceFilter filter = new PresenceFilter(50_000);
        SplittableRandom random = new SplittableRandom(7);
        List<String> names = new ArrayList<>();
        List<Namespace> namespaces = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            String name = randomName(random);
            Namespace namespace = Namespace.values()[random.nextInt(Namespace.values().length)];
            filter.add(namespace, name);
            names.add(name);
            namespaces.add(namespace);
        }
        for (int i = 0; i < names.size(); i++) {
            assertTrue(names.get(i), filter.mayContain(namespaces.get(i), names.get(i)));
        }
    }

    @Test
    public void aboutOnePercentOfAbsentNamesTestPresentAtItsSizedLoad() {
        PresenceFilter filter = new PresenceFilter(100_000);
        for (int i = 0; i < filter.sizedFor(); i++) {
            filter.add(Namespace.KV, "key" + i);
        }
        int present = 0;
        int trials = 200_000;
        for (int i = 0; i < trials; i++) {
            if (filter.mayContain(Namespace.KV, "absent" + i)) {
                present++;
            }
        }
        double rate = (double) present / trials;
        System.out.println("presence filter: sized for " + filter.sizedFor() + " names, " + filter.bytes()
                + " B, false positives " + rate);
        assertTrue("false positive rate " + rate, rate < 0.03);
    }

    @Test
    public void sizedInWholeWordsForAtLeastWhatWasAsked() {
        assertEquals(PresenceFilter.MIN_NAMES, new PresenceFilter(0).sizedFor());
        for (int names : new int[] {1, 255, 256, 257, 1000, 100_000, 131_072, 1_000_000}) {
            PresenceFilter filter = new PresenceFilter(names);
            assertTrue(names + " -> " + filter.sizedFor(), filter.sizedFor() >= names);
            assertTrue(filter.sizedFor() < 2 * Math.max(names, PresenceFilter.MIN_NAMES));
            assertEquals(filter.sizedFor() * (long) PresenceFilter.BITS_PER_NAME / 8, filter.bytes());
        }
    }

    @Test
    public void countingPastItsSizeAsksForARebuild() {
        PresenceFilter filter = new PresenceFilter(0);
        for (int i = 0; i < filter.sizedFor(); i++) {
            assertFalse(filter.countAdded());
        }
        assertTrue(filter.countAdded());
    }
}
