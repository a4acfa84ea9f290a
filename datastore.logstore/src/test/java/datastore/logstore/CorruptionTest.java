package datastore.logstore;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;

import org.junit.Test;

/**
 * Flips seeded random bits in a written image, one trial at a time on a fresh copy, and checks that
 * the partition still mounts, never returns a wrong value, fails only the damaged record's entries
 * (with {@link CorruptedEntryException}) and reports the damage.
 */
public class CorruptionTest {
    static final int TRIALS = 4000;

    @Test
    public void randomBitFlipsAreDetectedContainedAndReported() throws IOException {
        PowerLossTest.Workload w = PowerLossTest.workload(11, 16, 400);
        long size = w.geometry().size();
        NorFlash original = NorFlash.inMemory(size, PowerLossTest.BLOCK, w.programSize());
        FlashRegion region = original.region("runtime", 0, size);
        LogStore writer = Stores.mount(region, w.capacity());
        Map<String, byte[]> model = new HashMap<>();
        int largestBatch = 1;
        for (List<Change> write : w.writes()) {
            writer.apply(write);
            PowerLossTest.applyTo(model, write);
            largestBatch = Math.max(largestBatch, write.size());
        }
        byte[] image = new byte[(int) size];
        region.map().get(0, image);
        List<Integer> programmed = new ArrayList<>();
        for (int i = 0; i < image.length; i++) {
            if (image[i] != (byte) 0xFF) {
                programmed.add(i);
            }
        }

        Random random = new Random(42);
        int detected = 0;
        int reported = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            NorFlash flash = NorFlash.inMemory(size, PowerLossTest.BLOCK, w.programSize());
            FlashRegion copy = flash.region("runtime", 0, size);
            copy.program(0, ByteBuffer.wrap(image));
            int offset = random.nextInt(10) < 8 ? programmed.get(random.nextInt(programmed.size())) : random.nextInt(image.length);
            byte mask = (byte) (random.nextBoolean() ? 1 << random.nextInt(8) : 1 + random.nextInt(255));
            flash.corrupt(offset, mask);
            String where = "trial " + trial + ", offset " + offset + ", mask " + (mask & 0xFF);

            LogStore store = Stores.mount(copy, w.capacity());
            int failed = 0;
            for (Map.Entry<String, byte[]> e : model.entrySet()) {
                // What a read finds or reports, the presence test never rules out.
                boolean may = store.mayContain(Namespace.KV, e.getKey());
                Optional<EntryView> view;
                try {
                    view = store.open(Namespace.KV, e.getKey());
                } catch (CorruptedEntryException damaged) {
                    assertTrue(where + ": damaged \"" + e.getKey() + "\" ruled out", may);
                    failed++;
                    continue;
                }
                assertTrue(where + ": \"" + e.getKey() + "\" ruled out", may || view.isEmpty());
                assertTrue(where + ": \"" + e.getKey() + "\" is missing", view.isPresent());
                try (EntryView v = view.get()) {
                    ByteBuffer data = v.data();
                    byte[] bytes = new byte[data.remaining()];
                    data.get(bytes);
                    assertTrue(where + ": \"" + e.getKey() + "\" has a wrong value", Arrays.equals(e.getValue(), bytes));
                }
            }
            for (String name : store.names(Namespace.KV)) {
                assertTrue(where + ": unexpected name \"" + name + "\"", model.containsKey(name));
            }
            for (int i = 0; i < 14; i++) {
                String name = "k" + i;
                if (!model.containsKey(name)) {
                    try {
                        assertFalse(where + ": removed \"" + name + "\" came back", store.open(Namespace.KV, name).isPresent());
                    } catch (CorruptedEntryException damaged) {
                        // A damaged removal record may be reported as such; it never yields data.
                        assertTrue(where + ": damaged \"" + name + "\" ruled out", store.mayContain(Namespace.KV, name));
                        failed++;
                    }
                }
            }
            assertTrue(where + ": " + failed + " entries failed, more than one record holds", failed <= largestBatch);
            if (failed > 0) {
                detected++;
                assertFalse(where + ": damage not reported", store.problems().isEmpty());
            }
            if (!store.problems().isEmpty()) {
                reported++;
            }
        }
        System.out.println("corruption: trials=" + TRIALS + " entries-failed-in=" + detected + " reported=" + reported);
        assertTrue("the flips must hit live data sometimes", detected > TRIALS / 20);
    }
}
