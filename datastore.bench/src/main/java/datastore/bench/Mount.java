package datastore.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import datastore.Namespace;
import datastore.Partitions;
import datastore.flash.FlashRegion;
import datastore.image.ImageFormat;
import datastore.romformat.RomSigningKeys;
import datastore.romformat.RomStore;
import datastore.romtool.DockTool;
import datastore.spi.PartitionStore;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Mount: starting a partition's bundle in the running product on a flash file that already holds the
 * partition's data, timed from {@code Bundle.start()} until the partition's {@link PartitionStore}
 * service is registered (Declarative Services activating the engine's component, the mount itself,
 * the registration); the bundle is stopped again before each start, outside the measurement. The
 * flash file is in the page cache, as it is after the first start. ROM: the sample content a developer
 * deploys (code, three settings, a 16 KiB splash image), unsigned and signed with Ed25519 (built and
 * signed by the ROM tools, installed through the ROM provisioning service, with the ROM partition
 * configured with the public key), and a ROM of 100k small keys. Runtime: a full partition with the
 * default configuration (13 MiB payload in 100k keys), written 500 keys to a batch
 * ({@code runtimeFull}) and one key to a {@code put} ({@code runtimeFullOneByOne}, a record per key).
 *
 * <p>{@code romEngine} is an engine-only figure, kept because it explains the layering: the ROM
 * engine's mount ({@code datastore.romformat.RomStore}, which the ROM bundle embeds) on the same
 * flash region, taken from the running device bundle while the ROM bundle is stopped, without
 * Declarative Services, configuration or registration. {@code limitBundleStart} is the other side:
 * the framework's share alone, timed the same way on the product's image-format bundle, which mounts
 * nothing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class Mount {
    static final String ROM_BUNDLE = "datastore.rom";
    static final String RUNTIME_BUNDLE = "datastore.runtime";
    static final String IMAGES_BUNDLE = "datastore.images";

    @State(Scope.Benchmark)
    public static class RomState {
        @Param({"sample-unsigned", "sample-signed", "full-unsigned"})
        public String image;
        Dock dock;
        Path tools;
        int keys;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            if (image.endsWith("-signed")) {
                tools = Data.scratch(null, "rom-tools");
                Path key = tools.resolve("signing.key");
                Path publicKey = tools.resolve("signing.pub");
                tool("rom", "keygen", "--private", key.toString(), "--public", publicKey.toString());
                dock = Dock.create(null, Map.of("datastore.rom", Map.of("public_key", Files.readString(publicKey).strip())));
                dock.romProvisioning().install(ByteBuffer.wrap(signedSample(tools, key)));
                keys = 3;
            } else if (image.startsWith("full")) {
                dock = Dock.create(null);
                String[] names = Data.keys("rom", Data.KEYS);
                keys = names.length;
                dock.replaceRom(Dock.kvContent(names, Dock.values(names, Data.VALUE_BYTES)));
            } else {
                dock = Dock.create(null);
                keys = 3;
                dock.replaceRom(Dock.sampleContent());
            }
            check(dock.partition(Partitions.ROM), keys);
        }

        @Setup(Level.Invocation)
        public void unmount() {
            dock.stop(ROM_BUNDLE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(dock.partition(Partitions.ROM), keys);
            dock.close();
            Data.delete(tools);
        }
    }

    /** The ROM engine alone on the dock's ROM region, the ROM bundle stopped so that it is the only mount. */
    @State(Scope.Benchmark)
    public static class RomEngineState {
        @Param({"sample-unsigned", "sample-signed", "full-unsigned"})
        public String image;
        final RomState dockState = new RomState();
        FlashRegion region;
        long capacity;
        PublicKey publicKey;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dockState.image = image;
            dockState.setUp();
            PartitionStore rom = dockState.dock.partition(Partitions.ROM);
            capacity = rom.usage().capacity();
            if (image.endsWith("-signed")) {
                publicKey = RomSigningKeys.publicKey(Files.readString(dockState.tools.resolve("signing.pub")).strip());
            }
            region = dockState.dock.region(Partitions.ROM);
            dockState.dock.stop(ROM_BUNDLE);
            check(mount(), dockState.keys);
        }

        RomStore mount() {
            try {
                return new RomStore(region, capacity, publicKey, Duration.ofMillis(50));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(mount(), dockState.keys);
            dockState.dock.start(ROM_BUNDLE, Partitions.ROM);
            dockState.tearDown();
        }

        static void check(RomStore store, int keys) {
            Integer entries = store.usage().entries().get(Namespace.KV);
            if (entries == null || entries != keys || store.info().problem().isPresent()) {
                throw new IllegalStateException("the ROM engine mounted " + store.usage() + ", " + store.info().problem()
                        + ", not " + keys + " keys");
            }
        }
    }

    @State(Scope.Benchmark)
    public static class RuntimeState {
        Dock dock;
        int keys;

        @Setup(Level.Trial)
        public void setUp() {
            dock = Dock.create(null);
            keys = Data.KEYS;
            String[] names = Data.keys("run", keys);
            // Values sized so the keys fill the capacity: 13 MiB over the keys, names and entry charges included.
            int valueBytes = Dock.runtimeValueBytes(keys);
            fill(names, Dock.values(names, valueBytes));
            long used = dock.partition(Partitions.RUNTIME).usage().used();
            if (used < Dock.RUNTIME_CAPACITY * 99 / 100) {
                throw new IllegalStateException("the runtime partition holds " + used + " bytes, not about 13 MiB");
            }
        }

        /** Writes the keys 500 to an atomic batch. */
        void fill(String[] names, String[] values) {
            Dock.fill(dock.kv(), Partitions.RUNTIME, names, values, 500);
        }

        @Setup(Level.Invocation)
        public void unmount() {
            dock.stop(RUNTIME_BUNDLE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(dock.partition(Partitions.RUNTIME), keys);
            dock.close();
        }
    }

    /**
     * The framework's share alone: the product's image-format bundle, whose one component holds no state,
     * needs no configuration and has no reference, started the same way until its service is registered.
     */
    @State(Scope.Benchmark)
    public static class BundleOnlyState {
        Dock dock;

        @Setup(Level.Trial)
        public void setUp() {
            dock = Dock.create(null);
        }

        @Setup(Level.Invocation)
        public void unmount() {
            dock.stop(IMAGES_BUNDLE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            dock.close();
        }
    }

    /** A limit for the mounts through the framework: a bundle start that mounts nothing. */
    @Benchmark
    public long limitBundleStart(BundleOnlyState state) {
        return state.dock.startUntil(IMAGES_BUNDLE, "(objectClass=" + ImageFormat.class.getName() + ")");
    }

    @Benchmark
    public long rom(RomState state) {
        return state.dock.start(ROM_BUNDLE, Partitions.ROM);
    }

    @Benchmark
    public RomStore romEngine(RomEngineState state) {
        return state.mount();
    }

    /** The same partition with each key written by its own {@code put}, as settings usually are: a record per key. */
    @State(Scope.Benchmark)
    public static class RuntimeOneByOneState extends RuntimeState {
        @Override
        void fill(String[] names, String[] values) {
            Dock.putEach(dock.kv(), Partitions.RUNTIME, names, values);
        }
    }

    @Benchmark
    public long runtimeFull(RuntimeState state) {
        return state.dock.start(RUNTIME_BUNDLE, Partitions.RUNTIME);
    }

    @Benchmark
    public long runtimeFullOneByOne(RuntimeOneByOneState state) {
        return state.dock.start(RUNTIME_BUNDLE, Partitions.RUNTIME);
    }

    static void check(PartitionStore partition, int keys) {
        Integer entries = partition.usage().entries().get(Namespace.KV);
        if (entries == null || entries != keys) {
            throw new IllegalStateException("partition " + partition.name() + " mounted " + partition.usage() + ", not "
                    + keys + " keys");
        }
    }

    /** The sample content as the ROM tools build it into a signed application image. */
    static byte[] signedSample(Path folder, Path key) throws IOException {
        Files.writeString(folder.resolve("app.py"), Dock.SAMPLE_CODE);
        Files.write(folder.resolve("splash.bmp"), Data.bmp(16 * 1024, 1));
        StringBuilder yaml = new StringBuilder("code:\n  path: ${CONFIG_PATH}/app.py\nimages:\n  default:\n    type: bmp\n"
                + "    path: ${CONFIG_PATH}/splash.bmp\nkv_store:\n");
        Dock.sampleSettings().forEach((name, value) -> yaml.append("  ").append(name).append(": '").append(value)
                .append("'\n"));
        Files.writeString(folder.resolve("rom.yaml"), yaml, StandardCharsets.UTF_8);
        Path out = folder.resolve("app.img");
        tool("rom", "build", "--config", folder.resolve("rom.yaml").toString(), "--out", out.toString(), "--sign",
                key.toString(), "--generation", "1", "--app-image");
        return Files.readAllBytes(out);
    }

    static void tool(String... args) {
        StringWriter out = new StringWriter();
        int status = DockTool.run(args, new PrintWriter(out, true), new PrintWriter(out, true));
        if (status != 0) {
            throw new UncheckedIOException(new IOException("dock " + String.join(" ", args) + " failed: " + out));
        }
    }
}
