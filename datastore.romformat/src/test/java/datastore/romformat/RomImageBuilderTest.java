package datastore.romformat;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.Test;

import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.image.ImageType;
import datastore.spi.InvalidRomContentException;
import datastore.spi.InvalidRomContentException.Problem;
import datastore.spi.RomContent;

public class RomImageBuilderTest {

    @Test
    public void everyProblemIsReportedWithItsFieldAndNothingIsWritten() throws Exception {
        NorFlash flash = RomFixtures.smallFlash();
        FlashRegion region = RomFixtures.romRegion(flash);
        RomStore store = RomFixtures.mount(region);
        store.replace(RomFixtures.content("a"), RomFixtures.FORMATS);
        byte[] before = RomFixtures.bytes(region.map());

        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("ok", "fine");
        kv.put("", "empty name");
        kv.put("bad\u0001name", "x");
        kv.put("nullvalue", null);
        kv.put("huge", "x".repeat(64 * 1024 + 1));
        kv.put("lone", "\ud800");
        kv.put("\u202Egnp.logo", "a name that reads as another");
        Map<String, RomContent.RomImage> images = new LinkedHashMap<>();
        images.put("logo", new RomContent.RomImage(ImageType.JPEG, RomFixtures.resource("small.png")));
        images.put("notype", new RomContent.RomImage(null, RomFixtures.resource("small.png")));
        images.put("none", new RomContent.RomImage(ImageType.NONE, RomFixtures.resource("small.png")));
        images.put("nodata", new RomContent.RomImage(ImageType.PNG, null));
        images.put("good", new RomContent.RomImage(ImageType.BMP, RomFixtures.resource("small.bmp")));
        RomContent bad = new RomContent(new byte[4 * 1024 * 1024 + 1], kv, images);

        InvalidRomContentException e = assertThrows(InvalidRomContentException.class,
                () -> store.replace(bad, RomFixtures.FORMATS));
        Map<String, String> problems = e.problems().stream()
                .collect(Collectors.toMap(Problem::field, Problem::message, (a, b) -> a + " | " + b));
        assertEquals(problems.toString(), List.of("code", "kvStore.", "kvStore.bad\\u0001name", "kvStore.nullvalue",
                "kvStore.huge", "kvStore.lone", "kvStore.\\u202egnp.logo", "images.logo.data", "images.notype.type", "images.none.type",
                "images.nodata.data"), e.problems().stream().map(Problem::field).collect(Collectors.toList()));
        assertTrue(problems.get("images.logo.data"), problems.get("images.logo.data").startsWith("not a valid JPEG: "));
        assertTrue(problems.get("kvStore.huge"), problems.get("kvStore.huge").contains("65537"));
        assertTrue(problems.toString(), problems.get("kvStore.\\u202egnp.logo").contains("invisible format character"));
        assertTrue(problems.get("code"), problems.get("code").contains("4194305"));
        assertArrayEquals("the flash is untouched", before, RomFixtures.bytes(region.map()));
        assertEquals(1, store.info().generation());
    }

    @Test
    public void payloadOverCapacityCountsTheUpdData() {
        FlashRegion region = RomFixtures.romRegion(RomFixtures.smallFlash());
        RomImageBuilder builder = new RomImageBuilder(RomFixtures.FORMATS, 1000, RomLayout.of(region.geometry()));
        RomContent content = new RomContent(new byte[900], Map.of(), Map.of());
        assertTrue(builder.check(content, 0).isEmpty());
        List<Problem> problems = builder.check(content, 100);
        assertEquals(1, problems.size());
        assertEquals(RomImageBuilder.PAYLOAD_FIELD, problems.get(0).field());
        assertTrue(problems.get(0).message(), problems.get(0).message().contains("904 bytes of names and values plus 100"));
    }

    @Test
    public void anImageThatOutgrowsTheSlotIsRefusedEvenWithinCapacity() {
        FlashRegion region = RomFixtures.romRegion(RomFixtures.smallFlash());
        RomImageBuilder builder = new RomImageBuilder(RomFixtures.FORMATS, 1 << 20, RomLayout.of(region.geometry()));
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < 1500; i++) {
            kv.put("k" + i, "v");
        }
        List<Problem> problems = builder.check(new RomContent(null, kv, Map.of()), 0);
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).message(), problems.get(0).message().contains("a slot holds 18432 bytes"));
    }

    @Test
    public void updDataHoldsNoCode() {
        FlashRegion region = RomFixtures.romRegion(RomFixtures.smallFlash());
        InvalidRomContentException e = assertThrows(InvalidRomContentException.class, () -> RomFixtures.builder(region)
                .buildFlash(RomFixtures.content("a"), RomFixtures.content("b"), null));
        assertEquals("upd.code", e.problems().get(0).field());
    }

    @Test
    public void aFlashImageMountsAsGenerationOne() throws Exception {
        NorFlash flash = RomFixtures.smallFlash();
        FlashRegion region = RomFixtures.romRegion(flash);
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(RomFixtures.content("a"), null, null));
        RomStore store = RomFixtures.mount(region);
        assertEquals(1, store.info().generation());
        assertEquals(0, store.info().slot());
        assertEquals(RomFixtures.expected(RomFixtures.content("a"), null), RomFixtures.snapshot(store));
    }
}
