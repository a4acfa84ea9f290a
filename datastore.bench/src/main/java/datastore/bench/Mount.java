package datastore.bench;

import java.security.KeyPair;
import java.util.concurrent.TimeUnit;

import datastore.Namespace;
import datastore.romformat.RomSigningKeys;
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
 * Mount: activating a partition on a flash file that already holds its data, as at dock start (the
 * file is in the page cache, as it is after the first start). ROM: the sample content a developer
 * deploys (code, three settings, a 16 KiB splash image), unsigned and signed with Ed25519, and the
 * largest small-key ROM the default slot takes (100k keys). Runtime: a full partition with the default
 * configuration (13 MiB payload in 100k keys).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class Mount {

    @State(Scope.Benchmark)
    public static class RomState {
        @Param({"sample-unsigned", "sample-signed", "full-unsigned"})
        public String image;
        Dock dock;
        KeyPair key;
        int keys;

        @Setup(Level.Trial)
        public void setUp() {
            dock = Dock.create(null);
            key = image.endsWith("-signed") ? RomSigningKeys.generate() : null;
            if (image.startsWith("full")) {
                String[] names = Data.keys("rom", Dock.romKeysThatFit(Data.KEYS, Data.VALUE_BYTES));
                keys = names.length;
                dock.flashRom(Dock.kvContent(names, Dock.values(names, Data.VALUE_BYTES)), key == null ? null : key.getPrivate());
            } else {
                keys = 3;
                dock.flashRom(Dock.sampleContent(), key == null ? null : key.getPrivate());
            }
            PartitionStore rom = dock.mountRom(key);
            if (rom.usage().entries().get(Namespace.KV) != keys) {
                throw new IllegalStateException("the ROM mounted " + rom.usage() + ", not " + keys + " keys");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            dock.close();
        }
    }

    @State(Scope.Benchmark)
    public static class RuntimeState {
        Dock dock;
        int limit;
        int keys;

        @Setup(Level.Trial)
        public void setUp() {
            dock = Dock.create(null);
            limit = Dock.runtimeEntryLimit();
            keys = Math.min(Data.KEYS, limit);
            String[] names = Data.keys("run", keys);
            // Values sized so the payload fills the capacity: 13 MiB over the keys, names included.
            int valueBytes = (int) (Dock.RUNTIME_CAPACITY / keys) - 10;
            Dock.fill(dock.mountRuntime(), names, Dock.values(names, valueBytes), 500);
            long used = dock.runtime.usage().used();
            if (used < Dock.RUNTIME_CAPACITY * 99 / 100) {
                throw new IllegalStateException("the runtime partition holds " + used + " payload bytes, not about 13 MiB");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            dock.close();
        }
    }

    @Benchmark
    public PartitionStore rom(RomState state) {
        return state.dock.mountRom(state.key);
    }

    @Benchmark
    public PartitionStore runtimeFull(RuntimeState state) {
        return state.dock.mountRuntime();
    }
}
