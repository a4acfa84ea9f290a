package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.EntryView;
import datastore.spi.RomContent;

/** Many small entries: they fit the default slot, mounting reads no page, and damage stays on its page. */
public class RomScaleTest {
    private static final long MIB = 1024 * 1024;

    private static String key(int i) {
        return String.format("key%07d", i);
    }

    private static String value(int i) {
        String digits = Integer.toString(i);
        return digits + "v".repeat(100 - digits.length());
    }

    @Test
    public void hundredThousandSmallValuesFitTheDefaultRegionAndMountWithoutReadingAPage() throws Exception {
        NorFlash flash = NorFlash.inMemory(28 * MIB, 65536, 16);
        FlashRegion region = flash.region("rom", 0, 28 * MIB);
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < 100_000; i++) {
            kv.put(key(i), value(i));
        }
        RomStore store = new RomStore(region, 13631488, null, Duration.ZERO);
        store.replace(new RomContent(null, kv, Map.of()), RomFixtures.FORMATS);

        RomStore mounted = new RomStore(region, 13631488, null, Duration.ZERO);
        assertTrue(mounted.info().problem().isEmpty());
        assertEquals("mounting hashes only the header and the page table", 0, mounted.verifiedPages());
        for (int i : new int[] {0, 1, 4242, 99_999}) {
            try (EntryView view = mounted.open(Namespace.KV, key(i)).orElseThrow()) {
                assertEquals(value(i), RomStoreTest.utf8(view.data()));
            }
        }
        assertTrue(mounted.open(Namespace.KV, "key-none").isEmpty());
        assertTrue("each read touches a slot, a record and a value: " + mounted.verifiedPages() + " pages",
                mounted.verifiedPages() <= 5 * 3);
        assertEquals(100_000 * 110L, mounted.usage().used());
        assertEquals(Integer.valueOf(100_000), mounted.usage().entries().get(Namespace.KV));
        RomImage image = RomImage.read(region.map(), store.layout().slotOffset(0), store.layout().slotSize(),
                RomImageFormat.KIND_APPLICATION);
        long overhead = image.length() - image.payload();
        // 12 bytes of index record, 12 of hash table (two thirds full; format 3 keeps each entry's hash in its
        // slot, 6 bytes more than format 2) and the page hashes.
        assertTrue("per entry beyond name and value: " + overhead / 100_000.0 + " bytes", overhead <= 26L * 100_000);
    }

    @Test
    public void aFlippedBitMakesExactlyTheEntriesOnItsPageCorrupted() throws Exception {
        NorFlash flash = NorFlash.inMemory(256 * 1024, 4096, 16);
        FlashRegion region = flash.region("rom", 0, 256 * 1024);
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < 300; i++) {
            kv.put(key(i), value(i));
        }
        RomStore store = new RomStore(region, 64 * 1024, null, Duration.ofMillis(50));
        store.replace(new RomContent(null, kv, Map.of()), RomFixtures.FORMATS);
        long slot = store.layout().slotOffset(0);
        RomImage clean = RomImage.read(region.map(), slot, store.layout().slotSize(), RomImageFormat.KIND_APPLICATION);
        int paged = (int) RomImageFormat.pagedStart(clean.pageCount());
        List<RomEntry> entries = clean.entries();
        assertEquals(300, entries.size());
        // A bit in the middle of the data area's second page: exactly the values touching that page go.
        int dataStart = entries.stream().mapToInt(RomEntry::offset).min().orElseThrow();
        int page = (dataStart - paged) / RomImageFormat.PAGE_SIZE + 1;
        int at = paged + page * RomImageFormat.PAGE_SIZE + 1000;
        assertTrue(at < clean.length());
        flash.corrupt(slot + at, (byte) 0x08);
        List<String> expectedBad = new ArrayList<>();
        for (RomEntry entry : entries) {
            int first = (entry.offset() - paged) / RomImageFormat.PAGE_SIZE;
            int last = (entry.offset() + entry.length() - 1 - paged) / RomImageFormat.PAGE_SIZE;
            if (first <= page && page <= last) {
                expectedBad.add(entry.name());
            }
        }
        assertTrue(expectedBad.size() >= 30);
        RomStore damaged = new RomStore(region, 64 * 1024, null, Duration.ofMillis(50));
        assertTrue(damaged.info().problem().isEmpty());
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String name = key(i);
            try (EntryView view = damaged.open(Namespace.KV, name).orElseThrow()) {
                assertEquals(value(i), RomStoreTest.utf8(view.data()));
            } catch (CorruptedEntryException e) {
                bad.add(name);
            }
        }
        assertEquals(expectedBad, bad);
        assertTrue(damaged.info().problem().orElseThrow(), damaged.info().problem().get().contains("page " + page));
        assertThrows(CorruptedEntryException.class, () -> damaged.open(Namespace.KV, expectedBad.get(0)));
    }
}
