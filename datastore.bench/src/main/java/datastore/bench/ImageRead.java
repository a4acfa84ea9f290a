package datastore.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import datastore.Image;
import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.Partitions;
import datastore.image.ImageType;
import datastore.spi.RomContent;

import org.lmdbjava.Txn;
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
 * Image read of a 1 MiB and a 4 MiB BMP (pixel arrays of exactly that size, plus 54 header bytes):
 * resolving a token into a view (the renderer's path: no copy), and the copying {@code get}, through
 * the running product's {@link ImageStore} service. The dock holds the same two images in each partition (each read names its partition through its tag).
 * The limits: copying that many bytes from a heap array into a new array, a {@code slice()} of a
 * mapped file, and copying out of the mapped file. LMDB's zero-copy read of the same bytes and
 * MVStore's copying read are the peers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class ImageRead {

    static byte[] image(int size) {
        return Data.bmp(size, size);
    }

    /** The dock with the same two images in every partition, tagged by partition. */
    @State(Scope.Benchmark)
    public static class DockState {
        @Param({"1048576", "4194304"})
        public int size;
        @Param({"rom", "runtime", "ephemeral"})
        public String partition;
        Dock dock;
        ImageStore images;
        String tag;
        ImageToken token;

        @Setup(Level.Trial)
        public void setUp() {
            dock = Dock.create(null);
            java.util.Map<String, RomContent.RomImage> romImages = new java.util.LinkedHashMap<>();
            for (int s : new int[] {1048576, 4194304}) {
                romImages.put("rom-" + s, new RomContent.RomImage(ImageType.BMP, image(s)));
            }
            dock.replaceRom(new RomContent(new byte[0], java.util.Map.of(), romImages));
            images = dock.images();
            for (int s : new int[] {1048576, 4194304}) {
                images.put("runtime-" + s, image(s), ImageType.BMP, Partitions.RUNTIME);
                images.put("ephemeral-" + s, image(s), ImageType.BMP, Partitions.EPHEMERAL);
            }
            tag = partition + "-" + size;
            token = images.getToken(tag);
            if (!images.lookup(tag).orElseThrow().partition().equals(partition)) {
                throw new IllegalStateException(tag + " is not read from " + partition);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            dock.close();
        }
    }

    /** The limits at the same sizes. */
    @State(Scope.Benchmark)
    public static class Limit {
        @Param({"1048576", "4194304"})
        public int size;
        byte[] source;
        Path dir;
        FileChannel channel;
        MappedByteBuffer mapped;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            source = image(size);
            dir = Data.scratch(null, "mapped");
            channel = FileChannel.open(dir.resolve("file"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            channel.write(ByteBuffer.wrap(source), 4096);
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, 4096 + source.length);
            mapped.load();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            channel.close();
            Data.delete(dir);
        }
    }

    /** The peers holding the same image. */
    @State(Scope.Benchmark)
    public static class PeerState {
        @Param({"1048576", "4194304"})
        public int size;
        Peer.LmdbPeer lmdb;
        Peer.MvStorePeer mvstore;
        org.h2.mvstore.MVMap<String, byte[]> mvImages;

        @Setup(Level.Trial)
        public void setUp() {
            lmdb = (Peer.LmdbPeer) Peer.open("lmdb", null, 0);
            lmdb.putBytes("image", image(size));
            mvstore = (Peer.MvStorePeer) Peer.open("mvstore", null, 0);
            mvImages = mvstore.store.openMap("images");
            mvImages.put("image", image(size));
            mvstore.store.commit();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            lmdb.close();
            mvstore.close();
        }
    }

    /** Token to view: what the renderer does with a token it was handed. */
    @Benchmark
    public int dockTokenToView(DockState state) {
        try (ImageView view = state.images.open(state.token)) {
            ByteBuffer bytes = view.bytes();
            return bytes.remaining() + bytes.get(bytes.limit() - 1);
        }
    }

    /** Issuing the token and resolving it: the application's lookup plus the renderer's. */
    @Benchmark
    public int dockGetTokenAndView(DockState state) {
        ImageToken token = state.images.getToken(state.tag);
        try (ImageView view = state.images.open(token)) {
            ByteBuffer bytes = view.bytes();
            return bytes.remaining() + bytes.get(bytes.limit() - 1);
        }
    }

    /** The copying read: {@code ImageStore.get}, bytes copied onto the heap. */
    @Benchmark
    public Image dockCopyingGet(DockState state) {
        return state.images.get(state.tag);
    }

    @Benchmark
    public byte[] limitNewArrayCopy(Limit limit) {
        byte[] copy = new byte[limit.source.length];
        System.arraycopy(limit.source, 0, copy, 0, copy.length);
        return copy;
    }

    @Benchmark
    public ByteBuffer limitMappedSlice(Limit limit) {
        return limit.mapped.slice(4096, limit.source.length).asReadOnlyBuffer();
    }

    @Benchmark
    public byte[] limitMappedCopy(Limit limit) {
        byte[] copy = new byte[limit.source.length];
        limit.mapped.get(4096, copy);
        return copy;
    }

    /** LMDB's read: a view of its memory map, inside a read transaction. */
    @Benchmark
    public int peerLmdbView(PeerState state) {
        try (Txn<ByteBuffer> txn = state.lmdb.env.txnRead()) {
            ByteBuffer view = state.lmdb.dbi.get(txn, state.lmdb.key("image"));
            return view.remaining() + view.get(view.limit() - 1);
        }
    }

    /** MVStore's read of a {@code byte[]} value: a copy out of its page cache. */
    @Benchmark
    public byte[] peerMvStoreGet(PeerState state) {
        return state.mvImages.get("image");
    }
}
