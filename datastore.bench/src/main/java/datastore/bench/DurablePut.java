package datastore.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import datastore.KvStore;
import datastore.Partitions;

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
import org.openjdk.jmh.annotations.Threads;

/**
 * Durable put of a small value (10-byte key, 100-byte value): each operation returns once the write
 * is on disk. The limit is a 100-byte append to a file followed by {@code fdatasync}
 * ({@code FileChannel.force(false)}), in the same folder as the stores' files. The dock writes through
 * the running product's {@link KvStore} service into its runtime partition on the flash file; each
 * writer thread overwrites its own 1,000 keys. Throughput, with one writer and with eight.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
public class DurablePut {
    static final int KEYS_PER_WRITER = 1000;

    /** Hands each writer thread its own key range. */
    @State(Scope.Benchmark)
    public static class Writers {
        final AtomicInteger next = new AtomicInteger();
    }

    /** One writer's keys and value, and its place among them. */
    @State(Scope.Thread)
    public static class Writer {
        String[] keys;
        String value;
        int at;

        @Setup(Level.Trial)
        public void setUp(Writers writers) {
            int id = writers.next.getAndIncrement();
            keys = new String[KEYS_PER_WRITER];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = Data.key("w" + (char) ('a' + id / 26 % 26) + (char) ('a' + id % 26), i);
            }
            value = Data.value(id, Data.VALUE_BYTES);
        }

        String nextKey() {
            if (++at == keys.length) {
                at = 0;
            }
            return keys[at];
        }
    }

    /** The limit: one file per thread, appended to and fdatasync-ed. */
    @State(Scope.Thread)
    public static class AppendFile {
        Path dir;
        FileChannel channel;
        final ByteBuffer record = ByteBuffer.wrap(Data.value(7, Data.VALUE_BYTES).getBytes(StandardCharsets.US_ASCII));

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Data.scratch(null, "append");
            channel = FileChannel.open(dir.resolve("log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            channel.close();
            Data.delete(dir);
        }
    }

    /** The dock's store with its three partitions, empty. */
    @State(Scope.Benchmark)
    public static class DockState {
        Dock dock;
        KvStore kv;

        @Setup(Level.Trial)
        public void setUp() {
            dock = Dock.create(null);
            dock.replaceRom(Dock.sampleContent());
            kv = dock.kv();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            dock.close();
        }
    }

    @State(Scope.Benchmark)
    public static class PeerState {
        @Param({"mvstore", "lmdb", "mapdb", "xodus"})
        public String peer;
        Peer store;

        @Setup(Level.Trial)
        public void setUp() {
            store = Peer.open(peer, null, 8 * KEYS_PER_WRITER);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            store.close();
        }
    }

    @Benchmark
    @Threads(1)
    public int limitFdatasyncAppend(AppendFile file) {
        try {
            int written = file.channel.write(file.record.duplicate());
            file.channel.force(false);
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Benchmark
    @Threads(1)
    public void dockRuntime1Writer(DockState state, Writer writer) {
        state.kv.put(writer.nextKey(), writer.value, Partitions.RUNTIME);
    }

    @Benchmark
    @Threads(8)
    public void dockRuntime8Writers(DockState state, Writer writer) {
        state.kv.put(writer.nextKey(), writer.value, Partitions.RUNTIME);
    }

    @Benchmark
    @Threads(1)
    public void peer1Writer(PeerState state, Writer writer) {
        state.store.put(writer.nextKey(), writer.value);
    }

    @Benchmark
    @Threads(8)
    public void peer8Writers(PeerState state, Writer writer) {
        state.store.put(writer.nextKey(), writer.value);
    }
}
