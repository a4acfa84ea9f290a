package datastore.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import datastore.Namespace;
import datastore.Partitions;
import datastore.device.NorFlash;
import datastore.ephemeral.EphemeralEngines;
import datastore.flash.FlashRegion;
import datastore.image.ImageType;
import datastore.images.ImageFormats;
import datastore.rom.RomConfiguration;
import datastore.rom.RomEngines;
import datastore.romformat.RomImageBuilder;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;
import datastore.romformat.RomSigningKeys;
import datastore.runtime.RuntimeConfiguration;
import datastore.runtime.RuntimePartition;
import datastore.spi.Change;
import datastore.spi.PartitionStore;
import datastore.spi.RomContent;
import datastore.store.StoreAssembly;

/**
 * The real dock without a framework: one flash file with the default partition table (128 MiB NOR,
 * 64 KiB erase blocks, 16-byte programs; ROM region of 28 MiB at 0, runtime region of 80 MiB at
 * 32 MiB), the ROM and runtime partitions mounted on it with their default configurations, the ephemeral arena on tmpfs, and the one
 * logical store over them with the dock's rankings (ephemeral 300, runtime 200, ROM 100).
 */
final class Dock implements AutoCloseable {
    static final long FLASH_SIZE = 128 * Data.MIB;
    static final int ERASE_BLOCK = 65536;
    static final int PROGRAM_SIZE = 16;
    static final long ROM_OFFSET = 0;
    static final long ROM_SIZE = 28 * Data.MIB;
    static final long RUNTIME_OFFSET = 32 * Data.MIB;
    static final long RUNTIME_SIZE = 80 * Data.MIB;
    /** The partitions' default payload capacities. */
    static final long ROM_CAPACITY = 13L * 1024 * 1024;
    static final long RUNTIME_CAPACITY = 13L * 1024 * 1024;
    static final long EPHEMERAL_CAPACITY = 128L * 1024 * 1024;

    static final ImageFormats FORMATS = new ImageFormats();

    final Path dir;
    final NorFlash flash;
    final FlashRegion romRegion;
    final FlashRegion runtimeRegion;
    PartitionStore ephemeral;
    PartitionStore runtime;
    PartitionStore rom;
    private final Path arenaDir;
    private StoreAssembly store;

    private Dock(Path dir) throws IOException {
        this.dir = dir;
        this.flash = NorFlash.open(dir.resolve("flash.img"), FLASH_SIZE, ERASE_BLOCK, PROGRAM_SIZE);
        this.romRegion = flash.region(Partitions.ROM, ROM_OFFSET, ROM_SIZE);
        this.runtimeRegion = flash.region(Partitions.RUNTIME, RUNTIME_OFFSET, RUNTIME_SIZE);
        this.arenaDir = Data.scratch(Data.sharedMemory(), "arena");
    }

    /** A dock with an erased flash file in a new folder under {@code base} (the temporary folder when null). */
    static Dock create(Path base) {
        Data.quietLogs();
        try {
            return new Dock(Data.scratch(base, "dock"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- ROM

    /** Programs a factory flash image of {@code app} (no UPD data) onto the erased ROM region. */
    void flashRom(RomContent app, PrivateKey signingKey) {
        byte[] image = romBuilder().buildFlash(app, null, signingKey);
        try {
            romRegion.program(0, ByteBuffer.wrap(image));
            romRegion.sync();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RomImageBuilder romBuilder() {
        return new RomImageBuilder(FORMATS, ROM_CAPACITY, romLayout());
    }

    static RomLayout romLayout() {
        return RomLayout.of(new datastore.flash.FlashGeometry(ROM_SIZE, ERASE_BLOCK, PROGRAM_SIZE));
    }

    /** Mounts the ROM partition, requiring images signed by {@code key} when it is not null. */
    PartitionStore mountRom(KeyPair key) {
        try {
            rom = RomEngines.mount(romRegion, romConfig(key));
            return rom;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RomConfiguration romConfig(KeyPair key) {
        return key == null ? Configs.of(RomConfiguration.class)
                : Configs.of(RomConfiguration.class, "public_key", RomSigningKeys.encode(key.getPublic()));
    }

    /**
     * The most small entries (10-byte names, {@code valueBytes}-byte values) a default ROM slot takes,
     * at most {@code wanted}, as the ROM image format itself encodes them (since format 2, 100k fit).
     */
    static int romKeysThatFit(int wanted, int valueBytes) {
        long slot = romLayout().slotImageRoom(); // the slot less the blocks of its metadata copies
        int low = 0;
        int high = wanted;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (romImageLength(mid, valueBytes) <= slot && (long) mid * (10 + valueBytes) <= ROM_CAPACITY) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    static long romImageLength(int entries, int valueBytes) {
        List<RomImageFormat.Source> sources = new ArrayList<>(entries);
        ByteBuffer value = ByteBuffer.allocate(valueBytes);
        for (int i = 0; i < entries; i++) {
            sources.add(new RomImageFormat.Source(Namespace.KV, Data.key("rom", i), 0, value));
        }
        return RomImageFormat.encodedLength(sources);
    }

    /** ROM content of key-value settings only. */
    static RomContent kvContent(String[] keys, String[] values) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            kv.put(keys[i], values[i]);
        }
        return new RomContent(new byte[0], kv, Map.of());
    }

    /** The size of content a developer deploys: code, three settings and a small splash image. */
    static RomContent sampleContent() {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("dock_name", "RW02-sample");
        kv.put("timezone", "GB");
        kv.put("content_url", "https://content.example.com/sample");
        Map<String, RomContent.RomImage> images = new LinkedHashMap<>();
        images.put("default", new RomContent.RomImage(ImageType.BMP, Data.bmp(16 * 1024, 1)));
        return new RomContent("print('sample')\n".getBytes(StandardCharsets.UTF_8), kv, images);
    }

    // ---------------------------------------------------------------- runtime

    /** Mounts the runtime partition with its default configuration (13 MiB, up to 131072 entries). */
    PartitionStore mountRuntime() {
        runtime = new RuntimePartition(runtimeRegion, runtimeConfig());
        return runtime;
    }

    static RuntimeConfiguration runtimeConfig() {
        return Configs.of(RuntimeConfiguration.class);
    }

    /**
     * The default entry limit, checked once on a scratch region of the default size so that a
     * layout the engine refuses fails here with the engine's own message rather than mid-benchmark.
     */
    static int runtimeEntryLimit() {
        Data.quietLogs();
        RuntimeConfiguration config = runtimeConfig();
        NorFlash scratch = NorFlash.inMemory(RUNTIME_SIZE, ERASE_BLOCK, PROGRAM_SIZE);
        new RuntimePartition(scratch.region(Partitions.RUNTIME, 0, RUNTIME_SIZE), config);
        return config.max_entries();
    }

    // ---------------------------------------------------------------- ephemeral

    PartitionStore openEphemeral() {
        ephemeral = EphemeralEngines.open(arenaDir.resolve("arena"), EPHEMERAL_CAPACITY);
        return ephemeral;
    }

    // ---------------------------------------------------------------- the store

    /** The logical store over the partitions opened so far, with the dock's rankings. */
    StoreAssembly store() {
        if (store == null) {
            store = new StoreAssembly(FORMATS);
            if (ephemeral != null) {
                store.bind(ephemeral, 300);
            }
            if (runtime != null) {
                store.bind(runtime, 200);
            }
            if (rom != null) {
                store.bind(rom, 100);
            }
        }
        return store;
    }

    /** Writes key-value pairs into a partition, {@code batch} per atomic apply. */
    static void fill(PartitionStore partition, String[] keys, String[] values, int batch) {
        List<Change> changes = new ArrayList<>(batch);
        for (int i = 0; i < keys.length; i++) {
            changes.add(Change.put(Namespace.KV, keys[i], 0, ByteBuffer.wrap(values[i].getBytes(StandardCharsets.UTF_8))));
            if (changes.size() == batch || i == keys.length - 1) {
                partition.apply(List.copyOf(changes));
                changes.clear();
            }
        }
    }

    static String[] values(String[] keys, int length) {
        String[] values = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            values[i] = Data.value(keys[i].hashCode(), length);
        }
        return values;
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
        if (ephemeral != null) {
            EphemeralEngines.close(ephemeral);
        }
        try {
            flash.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Data.delete(arenaDir);
        Data.delete(dir);
    }

}
