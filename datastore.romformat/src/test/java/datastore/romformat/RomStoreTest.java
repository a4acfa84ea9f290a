package datastore.romformat;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.EntryView;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;

public class RomStoreTest {
    private final NorFlash flash = RomFixtures.smallFlash();
    private final FlashRegion region = RomFixtures.romRegion(flash);

    @Test
    public void anErasedRegionMountsEmptyAndSound() {
        RomStore store = RomFixtures.mount(region);
        RomInfo info = store.info();
        assertEquals(0, info.generation());
        assertEquals("", info.sha256());
        assertTrue(info.problem().isEmpty());
        assertTrue(store.names(Namespace.KV).isEmpty());
        assertTrue(store.open(Namespace.KV, "dock_name").isEmpty());
        assertEquals(0, store.usage().used());
    }

    @Test
    public void aReplaceIsVisibleAtOnceAndAfterRemount() {
        RomStore store = RomFixtures.mount(region);
        RomInfo first = store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        assertEquals(1, first.generation());
        assertEquals(0, first.slot());
        assertEquals(RomFixtures.expected(RomFixtures.content("a"), null), RomFixtures.snapshot(store));
        RomInfo second = store.replace(RomFixtures.content("b"), RomFixtures.FORMATS);
        assertEquals(2, second.generation());
        assertEquals("slots alternate", 1, second.slot());
        assertNotEquals(first.sha256(), second.sha256());
        assertEquals(RomFixtures.expected(RomFixtures.content("b"), null), RomFixtures.snapshot(store));
        RomStore remounted = RomFixtures.mount(region);
        assertEquals(second, remounted.info());
        assertEquals(RomFixtures.snapshot(store), RomFixtures.snapshot(remounted));
        assertEquals(List.of("content_url", "dock_name", "timezone"), remounted.names(Namespace.KV));
        assertEquals(List.of("main"), remounted.names(Namespace.CODE));
        assertEquals(Integer.valueOf(3), remounted.usage().entries().get(Namespace.KV));
        assertEquals(second.payloadBytes(), remounted.usage().used());
    }

    @Test
    public void viewsAreSlicesOfTheMappedFlash() throws Exception {
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        try (EntryView view = store.open(Namespace.IMAGE, "default").orElseThrow()) {
            ByteBuffer data = view.data();
            assertTrue(data.isReadOnly());
            assertEquals(0, data.position());
            assertArrayEquals(RomFixtures.resource("small.png"), RomFixtures.bytes(data));
            // Find the view's bytes in the region and flip one there: the view shows it, so it is no copy.
            byte[] all = RomFixtures.bytes(region.map());
            int at = indexOf(all, RomFixtures.resource("small.png"));
            byte before = data.get(10);
            flash.corrupt(at + 10, (byte) 0x01);
            assertEquals((byte) (before ^ 0x01), view.data().get(10));
            assertEquals(0, at % RomImageFormat.ALIGNMENT);
        }
    }

    @Test
    public void aViewOpenedBeforeAReplaceKeepsItsBytesAndItsRevisionGoesStale() {
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        EntryView old = store.open(Namespace.KV, "dock_name").orElseThrow();
        long oldRevision = old.revision();
        store.replace(RomFixtures.content("b"), RomFixtures.FORMATS);
        try (EntryView fresh = store.open(Namespace.KV, "dock_name").orElseThrow()) {
            assertTrue(fresh.revision() > oldRevision);
            assertEquals("RW02-b", utf8(fresh.data()));
        }
        assertEquals("RW02-a", utf8(old.data()));

        // The next replace would overwrite the old view's slot: it waits, then fails and changes nothing.
        RomInfo before = store.info();
        RomReplaceException busy = assertThrows(RomReplaceException.class,
                () -> store.replace(RomFixtures.content("c"), RomFixtures.FORMATS));
        assertTrue(busy.getMessage(), busy.getMessage().contains("open view"));
        assertEquals(before, store.info());
        assertEquals("RW02-a", utf8(old.data()));
        assertEquals(before, RomFixtures.mount(region).info());

        old.close();
        old.close();
        assertThrows(IllegalStateException.class, old::data);
        assertEquals(3, store.replace(RomFixtures.content("c"), RomFixtures.FORMATS).generation());
    }

    @Test
    public void updDataWinsAndSurvivesReplaces() throws Exception {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), null));
        RomStore store = RomFixtures.mount(region);
        RomLayout layout = store.layout();
        byte[] updBytes = slice(layout.updOffset(), layout.updSize());
        assertEquals(RomFixtures.expected(RomFixtures.content("a"), RomFixtures.upd()), RomFixtures.snapshot(store));
        assertEquals("DOCK-SERIAL-0001", read(store, "dock_name"));

        store.replace(RomFixtures.content("b"), RomFixtures.FORMATS);
        store.replace(RomFixtures.content("c"), RomFixtures.FORMATS);
        assertEquals(RomFixtures.expected(RomFixtures.content("c"), RomFixtures.upd()), RomFixtures.snapshot(store));
        assertEquals("tok-0001", read(store, "enrolment_token"));
        assertEquals("DOCK-SERIAL-0001", read(store, "dock_name"));
        assertEquals("https://content.example.com/c", read(store, "content_url"));
        assertArrayEquals("a replace never touches the UPD section", updBytes, slice(layout.updOffset(), layout.updSize()));
        assertEquals(List.of("content_url", "dock_name", "enrolment_token", "timezone"), store.names(Namespace.KV));
        assertEquals("tools can tell UPD names from the application's", List.of("dock_name", "enrolment_token"),
                store.uniquePerDockNames(Namespace.KV));
        assertEquals(List.of(), store.uniquePerDockNames(Namespace.IMAGE));
        assertEquals(RomFixtures.snapshot(store), RomFixtures.snapshot(RomFixtures.mount(region)));

        // The capacity is shared: content that fits alone does not fit next to the UPD data.
        byte[] code = new byte[(int) RomFixtures.SMALL_CAPACITY - 4 - 10];
        RomContent almostFull = new RomContent(code, Map.of(), Map.of());
        InvalidRomContentException full = assertThrows(InvalidRomContentException.class,
                () -> store.replace(almostFull, RomFixtures.FORMATS));
        assertEquals(RomImageBuilder.PAYLOAD_FIELD, full.problems().get(0).field());
        assertTrue(full.getMessage(), full.getMessage().contains("unique-per-dock"));
    }

    @Test
    public void readDecodesWhatOpenServesWithoutAView() throws Exception {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), null));
        RomStore store = RomFixtures.mount(region);
        for (String key : List.of("dock_name", "enrolment_token", "content_url", "timezone")) {
            assertEquals(key, read(store, key), store.read(Namespace.KV, key, RomStoreTest::utf8).orElseThrow());
        }
        assertTrue(store.read(Namespace.KV, "absent", RomStoreTest::utf8).isEmpty());
        assertThrows(NullPointerException.class, () -> store.read(Namespace.KV, "timezone", data -> null));
        // No pin is left behind by reads, decoder failures included: the next replaces need both slots.
        store.replace(RomFixtures.content("b"), RomFixtures.FORMATS);
        store.replace(RomFixtures.content("c"), RomFixtures.FORMATS);
        assertEquals("https://content.example.com/c", store.read(Namespace.KV, "content_url", RomStoreTest::utf8)
                .orElseThrow());
        int at = indexOf(RomFixtures.bytes(region.map()), RomFixtures.resource("small.png"));
        flash.corrupt(at + 100, (byte) 0x40);
        RomStore damaged = RomFixtures.mount(region);
        assertThrows(datastore.CorruptedEntryException.class, () -> damaged.read(Namespace.IMAGE, "default", b -> b));
    }

    @Test
    public void eachReadDecodesItsOwnBytesThroughTheThreadsWindow() throws Exception {
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"),
                RomFixtures.upd(), null));
        RomStore store = RomFixtures.mount(region);
        List<String> keys = List.of("dock_name", "content_url", "enrolment_token", "timezone");
        // A decoder that reads again, from the same image or the other, finds the window in use: the
        // inner read decodes its own bytes, and the outer buffer still holds the outer value after it.
        for (String outer : keys) {
            for (String inner : keys) {
                String both = store.read(Namespace.KV, outer, data -> {
                    String nested = store.read(Namespace.KV, inner, RomStoreTest::utf8).orElseThrow();
                    return utf8(data) + "|" + nested;
                }).orElseThrow();
                assertEquals(read(store, outer) + "|" + read(store, inner), both);
            }
        }
        // Nothing a decoder leaves on the window (its byte order, a mark) reaches the next read: for some
        // of these pairs the second value lies after the first in one map, where a mark would stand.
        for (String first : keys) {
            for (String second : keys) {
                store.read(Namespace.KV, first, data -> {
                    data.mark().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    return 0;
                });
                assertEquals(read(store, second), store.read(Namespace.KV, second, data -> {
                    assertEquals(java.nio.ByteOrder.BIG_ENDIAN, data.order());
                    assertThrows(java.nio.InvalidMarkException.class, data::reset);
                    return utf8(data);
                }).orElseThrow());
            }
        }
        // Reads alternate between the unique-per-dock section and the application image, and go on
        // across replaces, which serve another slot's image.
        for (String content : List.of("b", "c", "d")) {
            store.replace(RomFixtures.content(content), RomFixtures.FORMATS);
            for (int round = 0; round < 2; round++) {
                for (String key : keys) {
                    assertEquals(key, read(store, key), store.read(Namespace.KV, key, RomStoreTest::utf8).orElseThrow());
                }
            }
            assertEquals("https://content.example.com/" + content, store.read(Namespace.KV, "content_url",
                    RomStoreTest::utf8).orElseThrow());
        }
    }

    @Test
    public void aCorruptedEntryIsNeverServedAndIsReported() throws Exception {
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        int at = indexOf(RomFixtures.bytes(region.map()), RomFixtures.resource("small.png"));
        flash.corrupt(at + 100, (byte) 0x40);
        RomStore remounted = RomFixtures.mount(region);
        assertTrue("data damage is caught lazily, the mount is clean", remounted.info().problem().isEmpty());
        assertThrows(datastore.CorruptedEntryException.class, () -> remounted.open(Namespace.IMAGE, "default"));
        assertThrows(datastore.CorruptedEntryException.class, () -> remounted.open(Namespace.IMAGE, "default"));
        // The sample image is a single 4 KiB page, so its other entries share the damaged page and are
        // refused too; RomScaleTest shows that entries on other pages stay readable.
        assertThrows(datastore.CorruptedEntryException.class, () -> read(remounted, "dock_name"));
        assertTrue(remounted.info().problem().orElseThrow().contains("\"default\""));

        RomStore another = RomFixtures.mount(region);
        assertEquals(1, another.verifyAll().size());
        assertTrue(another.info().problem().isPresent());
    }

    @Test
    public void aDamagedNewestImageFallsBackToTheOlderOneAndSaysSo() throws Exception {
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        store.replace(RomFixtures.content("b"), RomFixtures.FORMATS);
        // One damaged copy of the header and page table costs nothing (RomRedundancyTest); both damaged
        // lose the image, and the mount says so as it serves the older one.
        flash.corrupt(store.layout().slotOffset(1) + RomImageFormat.HEADER_SIZE + 3, (byte) 0x02);
        flash.corrupt(store.layout().slotCopyOffset(1) + RomImageFormat.HEADER_SIZE + 5, (byte) 0x08);
        RomStore remounted = RomFixtures.mount(region);
        RomInfo info = remounted.info();
        assertEquals(1, info.generation());
        assertTrue(info.problem().orElseThrow(), info.problem().get().contains("generation 2"));
        assertEquals(RomFixtures.expected(RomFixtures.content("a"), null), RomFixtures.snapshot(remounted));
        // A replace after the fallback outranks the damaged generation.
        assertEquals(3, remounted.replace(RomFixtures.content("c"), RomFixtures.FORMATS).generation());
        RomStore again = RomFixtures.mount(region);
        assertEquals(3, again.info().generation());
        assertTrue(again.info().problem().isEmpty());
    }

    @Test
    public void randomBitFlipsNeverYieldWrongBytes() throws Exception {
        java.util.Random random = new java.util.Random(7450);
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        RomInfo good = store.info();
        Map<String, String> expected = RomFixtures.expected(RomFixtures.content("a"), null);
        long base = store.layout().slotOffset(good.slot());
        int length = (int) RomImageFormat.encodedLength(List.of()) + 2048;
        int detected = 0;
        for (int trial = 0; trial < 300; trial++) {
            long at = base + random.nextInt(length);
            byte mask = (byte) (1 << random.nextInt(8));
            flash.corrupt(at, mask);
            RomStore damaged = RomFixtures.mount(region);
            Map<String, String> seen = RomFixtures.snapshot(damaged);
            for (Map.Entry<String, String> entry : seen.entrySet()) {
                if (!entry.getValue().equals("CORRUPTED")) {
                    assertEquals("trial " + trial + " at " + at, expected.get(entry.getKey()), entry.getValue());
                }
            }
            if (!seen.equals(expected)) {
                detected++;
                assertTrue(damaged.info().problem().isPresent());
            }
            flash.corrupt(at, mask);
        }
        assertTrue(detected > 0);
    }

    private byte[] slice(long offset, long size) throws Exception {
        byte[] out = new byte[(int) size];
        region.map().get((int) offset, out);
        return out;
    }

    static String read(RomStore store, String key) {
        try (EntryView view = store.open(Namespace.KV, key).orElseThrow()) {
            return utf8(view.data());
        }
    }

    static String utf8(ByteBuffer data) {
        return java.nio.charset.StandardCharsets.UTF_8.decode(data).toString();
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
