package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import datastore.device.FaultInjectingRegion;
import datastore.device.NorFlash;
import datastore.device.PowerCutException;
import datastore.flash.FlashRegion;
import datastore.spi.RomContent;

/**
 * Cuts the power at every program and erase of a sequence of replaces, and tears every operation
 * once, then remounts the flash as it was left and compares the ROM's full contents with the image
 * before and after the replace in progress. The sequence is long enough to fill a commit block and
 * roll over to the other one twice (1 KiB blocks hold 16 commit records).
 */
public class RomPowerCutTest {
    private static final int REPLACES = 36;

    /** The manufactured flash (generation 1 plus UPD data), then the contents after each replace. */
    private static final List<RomContent> CONTENTS = new ArrayList<>();

    static {
        for (int i = 0; i <= REPLACES; i++) {
            RomContent content = RomFixtures.content("v" + i + "-" + "x".repeat(i * 37 % 300));
            if (i % 2 == 1) {
                // Every other image carries a 9 KiB BMP, so its body takes several erases and programs.
                Map<String, RomContent.RomImage> images = new java.util.LinkedHashMap<>(content.images());
                images.put("logo", new RomContent.RomImage(datastore.image.ImageType.BMP,
                        RomFixtures.resource("small.bmp")));
                content = new RomContent(content.code(), content.kvStore(), images);
            }
            CONTENTS.add(content);
        }
    }

    private static NorFlash manufactured() {
        NorFlash flash = RomFixtures.smallFlash();
        FlashRegion region = RomFixtures.romRegion(flash);
        RomFixtures.flashImage(region, RomFixtures.builder(region).buildFlash(CONTENTS.get(0), RomFixtures.upd(), null));
        return flash;
    }

    /** Runs the sequence on a fault-injecting region; returns how many replaces returned. */
    private static int run(FaultInjectingRegion faulty) {
        RomStore store = RomFixtures.mount(faulty);
        int completed = 0;
        for (int i = 1; i <= REPLACES; i++) {
            try {
                store.replace(CONTENTS.get(i), RomFixtures.FORMATS);
            } catch (RomReplaceException e) {
                if (e.getCause() instanceof PowerCutException) {
                    return completed;
                }
                throw e;
            }
            completed++;
        }
        return completed;
    }

    @Test
    public void everyCutLeavesEntirelyTheOldOrEntirelyTheNewImage() {
        FaultInjectingRegion counting = new FaultInjectingRegion(RomFixtures.romRegion(manufactured()));
        assertEquals(REPLACES, run(counting));
        long operations = counting.operations();

        List<Map<String, String>> states = new ArrayList<>();
        for (RomContent content : CONTENTS) {
            states.add(RomFixtures.expected(content, RomFixtures.upd()));
        }

        // lost: a replace that returned is not what the remounted ROM shows (it shows an older image).
        // phantom: the ROM shows something that is neither the last completed image nor the one being
        //   written when the power failed: a mix of two images, or contents no replace had started.
        // unmountable: the remount throws or reports a problem, or a further replace after it fails
        //   or does not show after another remount.
        int points = 0;
        int lost = 0;
        int phantom = 0;
        int unmountable = 0;
        for (int mode = 0; mode < 2; mode++) {
            for (long op = mode == 0 ? 0 : 1; op <= operations; op++) {
                points++;
                NorFlash flash = manufactured();
                FlashRegion target = RomFixtures.romRegion(flash);
                FaultInjectingRegion faulty = new FaultInjectingRegion(target);
                if (mode == 0) {
                    faulty.cutPowerAfter(op);
                } else {
                    faulty.tearProgramAt(op);
                }
                int completed = run(faulty);
                RomStore remounted;
                Map<String, String> seen;
                try {
                    remounted = RomFixtures.mount(target);
                    seen = RomFixtures.snapshot(remounted);
                    if (remounted.info().problem().isPresent()) {
                        unmountable++;
                        continue;
                    }
                } catch (RuntimeException e) {
                    unmountable++;
                    continue;
                }
                Map<String, String> old = states.get(completed);
                Map<String, String> next = completed < REPLACES ? states.get(completed + 1) : old;
                if (!seen.equals(old) && !seen.equals(next)) {
                    if (states.subList(0, completed).contains(seen)) {
                        lost++;
                    } else {
                        phantom++;
                    }
                    continue;
                }
                try {
                    RomContent after = RomFixtures.content("after-" + op);
                    remounted.replace(after, RomFixtures.FORMATS);
                    if (!RomFixtures.snapshot(RomFixtures.mount(target)).equals(
                            RomFixtures.expected(after, RomFixtures.upd()))) {
                        unmountable++;
                    }
                } catch (RuntimeException e) {
                    unmountable++;
                }
            }
        }
        System.out.println("power-cut: points=" + points + " lost=" + lost + " phantom=" + phantom
                + " unmountable=" + unmountable);
        assertTrue(points > 2 * REPLACES);
        assertEquals(0, lost);
        assertEquals(0, phantom);
        assertEquals(0, unmountable);
    }

    /**
     * The first replace into an erased region claims it with a format record before writing the slot:
     * a cut anywhere leaves a region that mounts (never refused as foreign bytes), empty or with the
     * new image, and takes a further replace.
     */
    @Test
    public void everyCutOfTheFirstReplaceIntoAnErasedRegionLeavesItMountable() {
        RomContent first = CONTENTS.get(1);
        FaultInjectingRegion counting = new FaultInjectingRegion(RomFixtures.romRegion(RomFixtures.smallFlash()));
        RomFixtures.mount(counting).replace(first, RomFixtures.FORMATS);
        long operations = counting.operations();
        Map<String, String> empty = Map.of();
        Map<String, String> full = RomFixtures.expected(first, null);
        int points = 0;
        int bad = 0;
        for (int mode = 0; mode < 2; mode++) {
            for (long op = mode == 0 ? 0 : 1; op <= operations; op++) {
                points++;
                FlashRegion target = RomFixtures.romRegion(RomFixtures.smallFlash());
                FaultInjectingRegion faulty = new FaultInjectingRegion(target);
                if (mode == 0) {
                    faulty.cutPowerAfter(op);
                } else {
                    faulty.tearProgramAt(op);
                }
                try {
                    RomFixtures.mount(faulty).replace(first, RomFixtures.FORMATS);
                } catch (RomReplaceException e) {
                    if (!(e.getCause() instanceof PowerCutException)) {
                        throw e;
                    }
                }
                try {
                    RomStore remounted = RomFixtures.mount(target);
                    Map<String, String> seen = RomFixtures.snapshot(remounted);
                    RomContent after = RomFixtures.content("after-" + op);
                    remounted.replace(after, RomFixtures.FORMATS);
                    if (!seen.equals(empty) && !seen.equals(full) || !RomFixtures.snapshot(RomFixtures.mount(target))
                            .equals(RomFixtures.expected(after, null))) {
                        bad++;
                    }
                } catch (RuntimeException e) {
                    bad++;
                }
            }
        }
        System.out.println("power-cut first replace: points=" + points + " bad=" + bad);
        assertTrue(points > 10);
        assertEquals(0, bad);
    }
}
