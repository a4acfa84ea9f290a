package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.junit.Test;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.image.ImageType;
import datastore.spi.EntryView;
import datastore.spi.RomContent;

/**
 * A damage campaign over a ROM region holding a few thousand entries, an older generation and UPD
 * data: realistic damage shapes (one bit, one byte, one 16-byte program unit, a torn 4 KiB page, a
 * whole erased and a whole garbage erase block) at positions covering both copies of every header
 * and page table, the hash tables, indexes and data of both images, the commit records and the older
 * slot. After each trial the region is mounted and every entry read against the model.
 *
 * <p>An entry may be lost only when the damage changed a byte of a page its lookup reads: the pages
 * of the hash table slots it probes, the index records it compares and its value, in the UPD section
 * and then the application image (FORMAT.md, "Reads"); those pages are worked out here from the
 * undamaged bytes, following the documented lookup, not through the engine. Lost then means refused
 * with {@link CorruptedEntryException}; any other outcome than the right value is wrong.
 */
public class RomDamageCampaignTest {
    private static final int SIZE = 1 << 20;
    private static final int BLOCK = 8192;
    private static final int PROGRAM = 16;
    private static final long CAPACITY = 400_000;
    private static final int REPEATS = 24;

    private enum Shape { BIT, BYTE, PROGRAM_UNIT, TORN_PAGE, ERASED_BLOCK, GARBAGE_BLOCK }

    private record Target(String name, long from, long to) {
    }

    /** An entry the ROM must serve, and the region byte ranges [start, end) of the pages its read touches. */
    private record Expected(Namespace namespace, String name, int format, byte[] value, long[] pages) {
        boolean hitBy(long from, long to) {
            for (int i = 0; i < pages.length; i += 2) {
                if (from < pages[i + 1] && pages[i] < to) {
                    return true;
                }
            }
            return false;
        }
    }

    private static String value(int i) {
        int length = i % 97 == 0 ? 300 : 10 + i * 7 % 70;
        StringBuilder out = new StringBuilder("v" + i + "-");
        while (out.length() < length) {
            out.append((char) ('a' + out.length() % 26));
        }
        return out.toString();
    }

    private static RomContent application() {
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < 3000; i++) {
            kv.put(String.format("setting.%05d", i), value(i));
        }
        Map<String, RomContent.RomImage> images = new LinkedHashMap<>();
        images.put("default", new RomContent.RomImage(ImageType.PNG, RomFixtures.resource("small.png")));
        images.put("photo", new RomContent.RomImage(ImageType.JPEG, RomFixtures.resource("small.jpg")));
        images.put("logo", new RomContent.RomImage(ImageType.BMP, RomFixtures.resource("small.bmp")));
        return new RomContent(RomFixtures.resource("app.py"), kv, images);
    }

    private static RomContent upd() {
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            kv.put(String.format("token.%04d", i), "tok-" + i + "-" + "x".repeat(i % 40));
        }
        for (int i = 0; i < 3000; i += 150) {
            kv.put(String.format("setting.%05d", i), "per-dock-" + i);
        }
        return new RomContent(new byte[0], kv, Map.of());
    }

    /** One image's numbers, read from the undamaged bytes as FORMAT.md describes them. */
    private record ImageModel(ByteBuffer bytes, int base, int end, int pagedAt, int buckets) {
        static ImageModel at(byte[] region, long base) {
            ByteBuffer in = ByteBuffer.wrap(region);
            int at = (int) base;
            int pageCount = in.getInt(at + RomImageFormat.OFF_PAGE_COUNT);
            return new ImageModel(in, at, at + in.getInt(at + RomImageFormat.OFF_IMAGE_LENGTH),
                    at + (int) RomImageFormat.pagedStart(pageCount), in.getInt(at + RomImageFormat.OFF_BUCKETS));
        }

        void addPages(List<Long> pages, int at, int length) {
            if (length <= 0) {
                return;
            }
            for (int p = (at - pagedAt) / 4096; p <= (at + length - 1 - pagedAt) / 4096; p++) {
                pages.add((long) pagedAt + 4096L * p);
                pages.add(Math.min((long) pagedAt + 4096L * (p + 1), end));
            }
        }

        /** The probe of the documented lookup, collecting the pages it reads; whether the entry is here. */
        boolean probe(int code, byte[] name, List<Long> pages) {
            int hash = RomImageFormat.hash(code, name);
            int slot = RomImageFormat.firstSlot(hash, buckets);
            for (int probes = 0; probes < buckets; probes++) {
                int at = pagedAt + 8 * slot;
                addPages(pages, at, 8);
                int record = bytes.getInt(at);
                if (record == 0) {
                    return false;
                }
                if (bytes.getInt(at + 4) != hash) {
                    // Format 3 slots hold the entry's hash: another entry's record is not read.
                    slot = slot + 1 == buckets ? 0 : slot + 1;
                    continue;
                }
                int r = base + record;
                addPages(pages, r, RomImageFormat.INDEX_RECORD_FIXED);
                int nameLength = bytes.getShort(r + 2) & 0xFFFF;
                if ((bytes.get(r) & 0xFF) == code) {
                    addPages(pages, r + RomImageFormat.INDEX_RECORD_FIXED, nameLength);
                    byte[] stored = new byte[nameLength];
                    bytes.get(r + RomImageFormat.INDEX_RECORD_FIXED, stored);
                    if (Arrays.equals(stored, name)) {
                        addPages(pages, base + bytes.getInt(r + 4), bytes.getInt(r + 8));
                        return true;
                    }
                }
                slot = slot + 1 == buckets ? 0 : slot + 1;
            }
            return false;
        }
    }

    @Test
    public void damageCostsOnlyThePagesItHitsAndNeverAWrongOrOlderValue() throws Exception {
        NorFlash flash = NorFlash.inMemory(SIZE, BLOCK, PROGRAM);
        FlashRegion built = flash.region("rom", 0, SIZE);
        RomLayout layout = RomLayout.of(built.geometry());
        RomImageBuilder builder = new RomImageBuilder(RomFixtures.FORMATS, CAPACITY, layout);
        RomFixtures.flashImage(built, builder.buildFlash(RomFixtures.content("old"), upd(), null));
        RomContent app = application();
        new RomStore(built, CAPACITY, null, Duration.ZERO).replace(app, RomFixtures.FORMATS);
        byte[] base = new byte[SIZE];
        built.map().get(0, base);

        ImageModel appImage = ImageModel.at(base, layout.slotOffset(1));
        ImageModel updImage = ImageModel.at(base, layout.updOffset());
        List<Expected> expected = expectations(app, upd(), appImage, updImage);

        List<Target> targets = new ArrayList<>();
        for (ImageModel image : List.of(appImage, updImage)) {
            String kind = image == appImage ? "application " : "UPD ";
            long copy = image == appImage ? layout.slotCopyOffset(1) : layout.updCopyOffset();
            int hashEnd = image.pagedAt() + 8 * image.buckets();
            int indexEnd = hashEnd + ByteBuffer.wrap(base).getInt(image.base() + RomImageFormat.OFF_INDEX_LENGTH);
            targets.add(new Target(kind + "header", image.base(), image.base() + RomImageFormat.HEADER_SIZE));
            targets.add(new Target(kind + "page table", image.base() + RomImageFormat.HEADER_SIZE, image.pagedAt()));
            targets.add(new Target(kind + "header copy", copy, copy + RomImageFormat.HEADER_SIZE));
            targets.add(new Target(kind + "page table copy", copy + RomImageFormat.HEADER_SIZE,
                    copy + image.pagedAt() - image.base()));
            targets.add(new Target(kind + "hash table", image.pagedAt(), hashEnd));
            targets.add(new Target(kind + "index", hashEnd, indexEnd));
            targets.add(new Target(kind + "data", indexEnd, image.end()));
        }
        targets.add(new Target("commit records, block 0", 0, 2 * layout.commitRecordSize()));
        targets.add(new Target("commit records, block 1", layout.recordOffset(1, 0), layout.recordOffset(1, 2)));
        targets.add(new Target("older slot", layout.slotOffset(0), layout.slotOffset(0) + 4096));
        targets.add(new Target("anywhere", 0, SIZE));

        Random random = new Random(9);
        byte[] work = base.clone();
        int trials = 0;
        int lostBeyondHit = 0;
        int reverted = 0;
        int wrong = 0;
        int unmountable = 0;
        long lostOnHit = 0;
        Map<Shape, Integer> costly = new EnumMap<>(Shape.class);
        List<String> failures = new ArrayList<>();
        for (Target target : targets) {
            for (Shape shape : Shape.values()) {
                for (int repeat = 0; repeat < REPEATS; repeat++) {
                    trials++;
                    long at = target.from() + (long) (random.nextDouble() * (target.to() - target.from()));
                    long[] changed = damage(work, base, shape, (int) at, random);
                    String trial = "trial " + trials + ": " + shape + " at " + at + " (" + target.name() + ")";
                    try {
                        RomStore store;
                        try {
                            store = new RomStore(new ArrayRegion(work, BLOCK, PROGRAM, 0), CAPACITY, null,
                                    Duration.ZERO);
                        } catch (Exception e) {
                            unmountable++;
                            failures.add(trial + ": does not mount: " + e);
                            continue;
                        }
                        if (store.info().generation() != 2) {
                            reverted++;
                            failures.add(trial + ": serves generation " + store.info().generation());
                            continue;
                        }
                        int lostHere = 0;
                        for (Expected entry : expected) {
                            Optional<byte[]> read;
                            try {
                                read = read(store, entry);
                            } catch (CorruptedEntryException e) {
                                if (changed != null && entry.hitBy(changed[0], changed[1])) {
                                    lostHere++;
                                } else {
                                    lostBeyondHit++;
                                    failures.add(trial + ": " + entry.name() + " lost: " + e.getMessage());
                                }
                                continue;
                            }
                            if (read.isEmpty() || !Arrays.equals(read.get(), entry.value())) {
                                wrong++;
                                failures.add(trial + ": " + entry.name() + " reads "
                                        + read.map(b -> new String(b, StandardCharsets.UTF_8)).orElse("nothing"));
                            }
                        }
                        lostOnHit += lostHere;
                        if (lostHere > 0) {
                            costly.merge(shape, 1, Integer::sum);
                        }
                    } finally {
                        if (changed != null) {
                            System.arraycopy(base, (int) changed[0], work, (int) changed[0],
                                    (int) (changed[1] - changed[0]));
                        }
                    }
                }
            }
        }
        System.out.println("damage: trials=" + trials + " lost-beyond-hit=" + lostBeyondHit + " reverted=" + reverted
                + " wrong=" + wrong + " unmountable=" + unmountable);
        System.out.println("damage-detail: entries=" + expected.size() + " targets=" + targets.size()
                + " lost-on-hit-pages=" + lostOnHit + " trials-that-cost-entries=" + costly);
        assertTrue(failures.stream().limit(10).toList().toString(), failures.isEmpty());
        assertTrue(trials >= 2500);
        assertEquals(0, lostBeyondHit + reverted + wrong + unmountable);
        assertTrue("the campaign did damage data pages", lostOnHit > 0);
        assertTrue("erased and garbage blocks cost entries where they hit data",
                costly.containsKey(Shape.ERASED_BLOCK) && costly.containsKey(Shape.GARBAGE_BLOCK));
    }

    /**
     * Applies one damage shape at {@code at}; returns the span [first, last + 1) of bytes it changed,
     * or null when it changed none.
     */
    private static long[] damage(byte[] work, byte[] base, Shape shape, int at, Random random) {
        int from;
        int to;
        switch (shape) {
            case BIT -> {
                work[at] ^= (byte) (1 << random.nextInt(8));
                from = at;
                to = at + 1;
            }
            case BYTE -> {
                work[at] ^= (byte) (1 + random.nextInt(255));
                from = at;
                to = at + 1;
            }
            case PROGRAM_UNIT -> {
                from = at & -PROGRAM;
                to = from + PROGRAM;
                for (int i = from; i < to; i++) {
                    work[i] = (byte) random.nextInt(256);
                }
            }
            case TORN_PAGE -> {
                // A 4 KiB page whose programming stopped part way: its tail stayed erased.
                int page = at & -4096;
                from = page + random.nextInt(4096);
                to = page + 4096;
                Arrays.fill(work, from, to, (byte) 0xFF);
            }
            case ERASED_BLOCK -> {
                from = at / BLOCK * BLOCK;
                to = from + BLOCK;
                Arrays.fill(work, from, to, (byte) 0xFF);
            }
            case GARBAGE_BLOCK -> {
                from = at / BLOCK * BLOCK;
                to = from + BLOCK;
                for (int i = from; i < to; i++) {
                    work[i] = (byte) random.nextInt(256);
                }
            }
            default -> throw new AssertionError(shape);
        }
        int first = from;
        while (first < to && work[first] == base[first]) {
            first++;
        }
        int last = to - 1;
        while (last >= first && work[last] == base[last]) {
            last--;
        }
        if (first > last) {
            return null;
        }
        return new long[] {first, last + 1L};
    }

    private static Optional<byte[]> read(RomStore store, Expected entry) {
        if (entry.namespace() == Namespace.KV) {
            return store.read(entry.namespace(), entry.name(), RomDamageCampaignTest::bytes);
        }
        Optional<EntryView> view = store.open(entry.namespace(), entry.name());
        if (view.isEmpty()) {
            return Optional.empty();
        }
        try (EntryView v = view.get()) {
            return v.format() == entry.format() ? Optional.of(bytes(v.data())) : Optional.of(new byte[0]);
        }
    }

    private static byte[] bytes(ByteBuffer data) {
        byte[] out = new byte[data.remaining()];
        data.duplicate().get(out);
        return out;
    }

    /** Every entry served (UPD winning), with the pages its read touches in the undamaged region. */
    private static List<Expected> expectations(RomContent app, RomContent upd, ImageModel appImage,
            ImageModel updImage) {
        Map<String, Expected> all = new LinkedHashMap<>();
        List<Object[]> entries = new ArrayList<>();
        entries.add(new Object[] {Namespace.CODE, "main", 0, app.code()});
        app.kvStore().forEach((k, v) -> entries.add(new Object[] {Namespace.KV, k, 0, v.getBytes(StandardCharsets.UTF_8)}));
        app.images().forEach((t, i) -> entries.add(new Object[] {Namespace.IMAGE, t, i.type().code(), i.data()}));
        upd.kvStore().forEach((k, v) -> entries.add(new Object[] {Namespace.KV, k, 0, v.getBytes(StandardCharsets.UTF_8)}));
        for (Object[] e : entries) {
            Namespace namespace = (Namespace) e[0];
            String name = (String) e[1];
            byte[] encoded = name.getBytes(StandardCharsets.UTF_8);
            List<Long> pages = new ArrayList<>();
            if (!updImage.probe(namespace.code(), encoded, pages)) {
                assertTrue(name, appImage.probe(namespace.code(), encoded, pages));
            }
            long[] ranges = pages.stream().mapToLong(Long::longValue).toArray();
            // Later entries (UPD) replace earlier ones of the same name: the UPD value is what is served.
            all.put(namespace.id() + "/" + name, new Expected(namespace, name, (Integer) e[2], (byte[]) e[3], ranges));
        }
        return new ArrayList<>(all.values());
    }
}
