package datastore.romformat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.flash.RollbackIndex;
import datastore.image.ImageType;
import datastore.images.ImageFormats;
import datastore.spi.EntryView;
import datastore.spi.RomContent;

/**
 * Small flashes, sample content and a full-contents snapshot for the ROM tests, here and in the ROM
 * bundle's (this module's test jar).
 */
public final class RomFixtures {
    /** 1 KiB blocks, 44 blocks: commit 4, UPD 2, slots of 19 KiB (18 KiB for the image, 1 KiB for its copy). */
    public static final int SMALL_BLOCK = 1024;
    public static final int SMALL_BLOCKS = 44;
    public static final long SMALL_CAPACITY = 16 * 1024;

    public static final ImageFormats FORMATS = new ImageFormats();

    private RomFixtures() {
    }

    public static NorFlash smallFlash() {
        return NorFlash.inMemory((long) SMALL_BLOCK * SMALL_BLOCKS, SMALL_BLOCK, 16);
    }

    public static FlashRegion romRegion(NorFlash flash) {
        return flash.region("rom", 0, flash.geometry().size());
    }

    public static RomStore mount(FlashRegion region) {
        return mount(region, null, Duration.ofMillis(50));
    }

    public static RomStore mount(FlashRegion region, java.security.PublicKey key, Duration wait) {
        try {
            return new RomStore(region, SMALL_CAPACITY, key, wait);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] resource(String name) {
        try (InputStream in = RomFixtures.class.getResourceAsStream("/sample/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A small application ROM store: code, three settings (one tagged with {@code variant}) and a PNG. */
    public static RomContent content(String variant) {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("dock_name", "RW02-" + variant);
        kv.put("timezone", "GB");
        kv.put("content_url", "https://content.example.com/" + variant);
        Map<String, RomContent.RomImage> images = new LinkedHashMap<>();
        images.put("default", new RomContent.RomImage(ImageType.PNG, resource("small.png")));
        return new RomContent(("print('" + variant + "')\n").getBytes(), kv, images);
    }

    /** Unique-per-dock data: an enrolment token, and a dock name that overrides the application's. */
    public static RomContent upd() {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("enrolment_token", "tok-0001");
        kv.put("dock_name", "DOCK-SERIAL-0001");
        return new RomContent(new byte[0], kv, Map.of());
    }

    public static RomImageBuilder builder(FlashRegion region) {
        return new RomImageBuilder(FORMATS, SMALL_CAPACITY, RomLayout.of(region.geometry()));
    }

    /** Programs a whole-region image built by {@link RomImageBuilder#buildFlash} onto an erased region. */
    public static void flashImage(FlashRegion region, byte[] image) {
        try {
            region.program(0, ByteBuffer.wrap(image));
            region.sync();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Everything the ROM serves, as "namespace/name" to hex of format and bytes, read through
     * {@link RomStore#open}; a corrupted entry shows as "CORRUPTED".
     */
    public static Map<String, String> snapshot(RomStore store) {
        Map<String, String> all = new TreeMap<>();
        for (Namespace namespace : Namespace.values()) {
            for (String name : store.names(namespace)) {
                String value;
                try {
                    Optional<EntryView> view = store.open(namespace, name);
                    if (view.isEmpty()) {
                        value = "LISTED-BUT-ABSENT";
                    } else {
                        try (EntryView v = view.get()) {
                            ByteBuffer data = v.data();
                            byte[] bytes = new byte[data.remaining()];
                            data.get(bytes);
                            value = v.format() + ":" + HexFormat.of().formatHex(bytes);
                        }
                    }
                } catch (CorruptedEntryException e) {
                    value = "CORRUPTED";
                }
                all.put(namespace.id() + "/" + name, value);
            }
        }
        return all;
    }

    /** What {@link #snapshot} shows for content plus UPD data, UPD winning. */
    public static Map<String, String> expected(RomContent app, RomContent upd) {
        Map<String, String> all = new TreeMap<>();
        for (RomContent content : upd == null ? new RomContent[] {app} : new RomContent[] {app, upd}) {
            if (content.code().length > 0) {
                all.put("code/main", "0:" + HexFormat.of().formatHex(content.code()));
            }
            content.kvStore().forEach((k, v) -> all.put("kv/" + k, "0:" + HexFormat.of().formatHex(v.getBytes(
                    java.nio.charset.StandardCharsets.UTF_8))));
            content.images().forEach((t, i) -> all.put("image/" + t, i.type().code() + ":"
                    + HexFormat.of().formatHex(i.data())));
        }
        return all;
    }

    /** Every byte of {@code buffer}, from 0 to its capacity. */
    public static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        copy.clear();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }

    /** The device's rollback index, as far as the ROM sees it: a value that never decreases. */
    public static final class MemoryIndex implements RollbackIndex {
        public long value;
        public int advances;

        @Override
        public long highest() {
            return value;
        }

        @Override
        public void advance(long generation) {
            advances++;
            value = Math.max(value, generation);
        }
    }

    /**
     * A flash of three small ROM regions' size with a manufactured ROM (generation 2, UPD data) in the
     * region at {@code offset}, for the tests that move, resize or swap it.
     */
    public static NorFlash manufacturedAt(long offset) {
        long size = (long) SMALL_BLOCK * SMALL_BLOCKS;
        NorFlash flash = NorFlash.inMemory(3 * size, SMALL_BLOCK, 16);
        FlashRegion region = flash.region("rom", offset, size);
        flashImage(region, builder(region).buildFlash(content("a"), upd(), null, offset));
        mount(region).replace(content("b"), FORMATS);
        return flash;
    }

    /** Every byte of {@code flash}. */
    public static byte[] bytes(NorFlash flash) throws IOException {
        return bytes(flash.region("all", 0, flash.geometry().size()).map());
    }
}
