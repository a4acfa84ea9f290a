package datastore.logstore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

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
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;

import org.junit.Test;

/**
 * Applies realistic damage shapes, one per trial, to a full partition written by mixed writes,
 * overwrites, removals and batches across many collections, then mounts a copy and checks every
 * name against the model: an entry may be lost (reported corrupted, or absent) only if the bytes
 * of the record holding its current version were hit; a value is never wrong; an entry never
 * silently returns to an older value; every image mounts.
 */
public class DamageCampaignTest {
    static final int BLOCK = 4096;
    static final long CAPACITY = 4096;
    static final int NAMES = 30;
    static final int TRIALS_PER_SHAPE = 1200;

    enum Shape {
        BIT, BYTE, PROGRAM_UNIT, BOTH_HEADER_COPIES, ONE_ANCHOR, ALL_ANCHORS, TORN_PAGE, ERASED_BLOCK, GARBAGE_BLOCK, SPAN
    }

    /** The base image and what it must hold: each name's history of values, the last one current (null: removed). */
    private static final class Base {
        byte[] image;
        int blocks;
        int program;
        final Map<String, List<byte[]>> history = new HashMap<>();
        final Map<String, long[]> extents = new HashMap<>();
        List<long[]> records;
        long newestAnchor;
        int anchorStride;
        List<Integer> programmed = new ArrayList<>();
    }

    private static Base write(int program) {
        Base base = new Base();
        base.program = program;
        FlashGeometry probe = new FlashGeometry(BLOCK * 1024L, BLOCK, base.program);
        base.blocks = (int) LogStore.requiredBlocks(CAPACITY, probe);
        long size = (long) base.blocks * BLOCK;
        NorFlash flash = NorFlash.inMemory(size, BLOCK, base.program);
        FlashRegion region = flash.region("runtime", 0, size);
        LogStore store = Stores.mount(region, CAPACITY);
        Random random = new Random(77);
        Map<String, byte[]> current = new HashMap<>();
        int serial = 0;
        int writes = 0;
        while (writes < 1500) {
            int changes = random.nextInt(5) == 0 ? 2 + random.nextInt(4) : 1;
            Map<String, byte[]> after = new HashMap<>(current);
            List<Change> batch = new ArrayList<>();
            for (int c = 0; c < changes; c++) {
                String name = "k" + random.nextInt(NAMES);
                if (after.containsKey(name) && random.nextInt(6) == 0) {
                    after.remove(name);
                } else {
                    after.put(name, Stores.value(++serial, 10 + random.nextInt(random.nextInt(8) == 0 ? 600 : 150)));
                }
            }
            long payload = 0;
            for (Map.Entry<String, byte[]> e : after.entrySet()) {
                payload += e.getKey().length() + e.getValue().length + RuntimePromise.ENTRY_CHARGE;
            }
            if (payload > CAPACITY) {
                continue;
            }
            for (Map.Entry<String, byte[]> e : after.entrySet()) {
                if (current.get(e.getKey()) != e.getValue()) {
                    batch.add(Stores.put(e.getKey(), e.getValue()));
                }
            }
            for (String name : current.keySet()) {
                if (!after.containsKey(name)) {
                    batch.add(Stores.remove(name));
                }
            }
            if (batch.isEmpty()) {
                continue;
            }
            store.apply(batch);
            for (Change change : batch) {
                base.history.computeIfAbsent(change.name(), n -> new ArrayList<>())
                        .add(change.isRemoval() ? null : after.get(change.name()));
            }
            current = after;
            writes++;
        }
        long erases = Arrays.stream(store.eraseCounts()).sum();
        assertTrue("the workload must collect many times: " + erases + " erases", erases > 5L * base.blocks);
        assertTrue("the partition must be nearly full", store.usage().used() > CAPACITY * 3 / 4);
        base.image = new byte[(int) size];
        try {
            region.map().get(0, base.image);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        for (int i = 0; i < NAMES; i++) {
            base.extents.put("k" + i, store.currentExtent(Namespace.KV, "k" + i));
        }
        base.records = store.recordExtents();
        base.newestAnchor = store.newestAnchorAt();
        base.anchorStride = store.anchorStride();
        for (int i = 2 * BLOCK; i < base.image.length; i++) {
            if (base.image[i] != (byte) 0xFF) {
                base.programmed.add(i);
            }
        }
        return base;
    }

    /** Damages {@code image} in the shape given; returns the damaged ranges as [from, to) pairs. */
    private static List<long[]> damage(Shape shape, byte[] image, Base base, Random random) {
        List<long[]> hit = new ArrayList<>();
        switch (shape) {
            case BIT:
            case BYTE: {
                int at = random.nextInt(10) < 8 ? base.programmed.get(random.nextInt(base.programmed.size()))
                        : random.nextInt(image.length);
                image[at] ^= shape == Shape.BIT ? (byte) (1 << random.nextInt(8)) : (byte) (1 + random.nextInt(255));
                hit.add(new long[] {at, at + 1});
                break;
            }
            case PROGRAM_UNIT: {
                int at = base.programmed.get(random.nextInt(base.programmed.size())) / 16 * 16;
                garbage(image, at, 16, random);
                hit.add(new long[] {at, at + 16});
                break;
            }
            case BOTH_HEADER_COPIES: {
                long[] record = base.records.get(random.nextInt(base.records.size()));
                int first = (int) record[0] + random.nextInt(LogFormat.HEADER);
                int second = (int) record[0] + LogFormat.HEADER + random.nextInt(LogFormat.HEADER);
                image[first] ^= (byte) (1 + random.nextInt(255));
                image[second] ^= (byte) (1 + random.nextInt(255));
                hit.add(new long[] {first, first + 1});
                hit.add(new long[] {second, second + 1});
                break;
            }
            case ONE_ANCHOR: {
                int at = random.nextBoolean() ? (int) base.newestAnchor
                        : random.nextInt(2 * BLOCK / base.anchorStride) * base.anchorStride;
                garbage(image, at, 2 * LogFormat.ANCHOR, random);
                break;
            }
            case ALL_ANCHORS:
                if (random.nextBoolean()) {
                    garbage(image, 0, 2 * BLOCK, random);
                } else {
                    Arrays.fill(image, 0, 2 * BLOCK, (byte) 0xFF);
                }
                break;
            case TORN_PAGE: {
                // A 4 KiB page whose program stopped halfway: the second half erased, or garbage.
                int page = random.nextInt(image.length / 4096) * 4096;
                int half = page + 2048;
                if (random.nextBoolean()) {
                    Arrays.fill(image, half, page + 4096, (byte) 0xFF);
                } else {
                    garbage(image, half, 2048, random);
                }
                hit.add(new long[] {half, page + 4096});
                break;
            }
            case ERASED_BLOCK:
            case GARBAGE_BLOCK: {
                int at = random.nextInt(base.blocks) * BLOCK;
                if (shape == Shape.ERASED_BLOCK) {
                    Arrays.fill(image, at, at + BLOCK, (byte) 0xFF);
                } else {
                    garbage(image, at, BLOCK, random);
                }
                hit.add(new long[] {at, at + BLOCK});
                break;
            }
            case SPAN: {
                // Any contiguous span, one byte to two pages long (log-uniform), starting at a written
                // byte, at no alignment: erased, zeroed or garbage.
                int length = (int) Math.min(8192, Math.floor(Math.exp(random.nextDouble() * Math.log(8193))));
                int at = Math.min(base.programmed.get(random.nextInt(base.programmed.size())), image.length - length);
                int fill = random.nextInt(3);
                if (fill == 2) {
                    garbage(image, at, length, random);
                } else {
                    Arrays.fill(image, at, at + length, fill == 0 ? (byte) 0xFF : 0);
                }
                hit.add(new long[] {at, at + length});
                break;
            }
            default:
                throw new AssertionError(shape);
        }
        return hit;
    }

    private static void garbage(byte[] image, int at, int length, Random random) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        System.arraycopy(bytes, 0, image, at, length);
    }

    private static boolean hits(List<long[]> damage, long[] extent) {
        if (extent == null) {
            return false;
        }
        for (long[] d : damage) {
            if (d[0] < extent[0] + extent[1] && extent[0] < d[1]) {
                return true;
            }
        }
        return false;
    }

    @Test
    public void damageCostsOnlyWhatItHitNeverAWrongOrOlderValue() throws Exception {
        long[] totals = new long[7];
        for (int program : new int[] {16, 256}) {
            long[] run = campaign(write(program), new Random(2026 + program));
            for (int i = 0; i < totals.length; i++) {
                totals[i] += run[i];
            }
        }
        long trials = totals[0];
        System.out.println("damage: trials=" + trials + " lost-beyond-hit=" + totals[1] + " reverted=" + totals[2]
                + " wrong=" + totals[3] + " unmountable=" + totals[4]);
        System.out.println("damage: entries lost where their record was hit=" + totals[5] + ", of them unreported="
                + totals[6]);
        assertTrue("the damage must hit entries sometimes", totals[5] > trials / 50);
        assertEquals("lost beyond what was hit", 0, totals[1]);
        assertEquals("reverted", 0, totals[2]);
        assertEquals("wrong", 0, totals[3]);
        assertEquals("unmountable", 0, totals[4]);
        assertEquals("losses without a problem reported", 0, totals[6]);
    }

    /** Runs every shape on copies of one base image; returns trials, lost beyond hit, reverted, wrong, unmountable, lost in hit. */
    private static long[] campaign(Base base, Random random) throws Exception {
        long trials = 0;
        long lostBeyondHit = 0;
        long reverted = 0;
        long wrong = 0;
        long unmountable = 0;
        long lostInHit = 0;
        long unreported = 0;
        byte[] image = new byte[base.image.length];
        for (Shape shape : Shape.values()) {
            for (int t = 0; t < TRIALS_PER_SHAPE; t++) {
                trials++;
                System.arraycopy(base.image, 0, image, 0, image.length);
                List<long[]> hit = damage(shape, image, base, random);
                NorFlash flash = NorFlash.inMemory(image.length, BLOCK, base.program);
                FlashRegion region = flash.region("runtime", 0, image.length);
                region.program(0, ByteBuffer.wrap(image));
                LogStore store = new LogStore(region, CAPACITY, 100);
                try {
                    store.mount();
                } catch (Exception e) {
                    unmountable++;
                    System.out.println("unmountable after " + shape + " trial " + t + ": " + e.getMessage());
                    continue;
                }
                for (int i = 0; i < NAMES; i++) {
                    String name = "k" + i;
                    List<byte[]> history = base.history.getOrDefault(name, List.of());
                    byte[] expected = history.isEmpty() ? null : history.get(history.size() - 1);
                    byte[] got;
                    boolean lost = false;
                    try {
                        Optional<EntryView> view = store.open(Namespace.KV, name);
                        got = view.isEmpty() ? null : Stores.get(store, name);
                    } catch (CorruptedEntryException e) {
                        got = null;
                        lost = true;
                    }
                    if (Arrays.equals(expected, got) && !lost) {
                        continue;
                    }
                    if (got == null) {
                        if (hits(hit, base.extents.get(name))) {
                            lostInHit++;
                            if (store.problems().isEmpty()) {
                                unreported++;
                                System.out.println("unreported loss: " + shape + " trial " + t + " " + name);
                            }
                        } else {
                            lostBeyondHit++;
                            System.out.println("lost beyond hit: " + shape + " trial " + t + " " + name + " "
                                    + store.problems());
                        }
                        continue;
                    }
                    boolean older = false;
                    for (byte[] old : history) {
                        older |= old != null && Arrays.equals(old, got);
                    }
                    if (older) {
                        reverted++;
                        System.out.println("reverted: " + shape + " trial " + t + " " + name + " " + store.problems());
                    } else {
                        wrong++;
                        System.out.println("wrong: " + shape + " trial " + t + " " + name);
                    }
                }
            }
        }
        System.out.println("damage, program unit " + base.program + ": " + base.blocks + " blocks, "
                + base.records.size() + " records, " + lostInHit + " entries lost where their record was hit");
        return new long[] {trials, lostBeyondHit, reverted, wrong, unmountable, lostInHit, unreported};
    }
}
