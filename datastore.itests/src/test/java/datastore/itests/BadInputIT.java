package datastore.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.function.ThrowingRunnable;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

import datastore.DatastoreException;
import datastore.EntryNotFoundException;
import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.InvalidImageException;
import datastore.InvalidNameException;
import datastore.KvStore;
import datastore.Limits;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.PartitionFullException;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;
import datastore.StaleTokenException;
import datastore.ValueTooLargeException;
import datastore.image.ImageType;
import datastore.spi.PartitionStore;
import datastore.testsupport.MemoryPartition;

/**
 * Every bad input of the application API is answered by its documented exception, and afterwards
 * every partition holds exactly what it held before.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BadInputIT extends DockTestSupport {

    private KvStore kv;
    private ImageStore images;
    private ServiceRegistration<PartitionStore> factory;
    private ServiceRegistration<PartitionStore> tiny;
    private final byte[] png = TestImages.encode("png", 32, 16);
    private final byte[] jpeg = TestImages.encode("jpeg", 32, 16);

    @Override
    protected Option extra() throws Exception {
        return Products.testSupport();
    }

    @Override
    protected String product() {
        return "minimal";
    }

    @Before
    public void populate() {
        kv = service(KvStore.class);
        images = service(ImageStore.class);
        MemoryPartition rom = new MemoryPartition("factory", 1 << 20).makeReadOnly();
        rom.withKv("model", "RW02");
        factory = register(rom, 100);
        tiny = register(new MemoryPartition("tiny", 64), 150);
        kv.put("timezone", "GB", Partitions.EPHEMERAL);
        images.put("logo", png, ImageType.PNG, Partitions.EPHEMERAL);
    }

    @After
    public void unregister() {
        factory.unregister();
        tiny.unregister();
    }

    private ServiceRegistration<PartitionStore> register(MemoryPartition partition, int ranking) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(PartitionStore.PARTITION, partition.name());
        properties.put(Constants.SERVICE_RANKING, ranking);
        return context.registerService(PartitionStore.class, partition, properties);
    }

    /** Every entry of every partition, with its bytes, in a comparable form. */
    private Map<String, String> snapshot() throws InvalidSyntaxException {
        Map<String, String> all = new TreeMap<>();
        for (ServiceReference<PartitionStore> reference : context.getServiceReferences(PartitionStore.class, null)) {
            PartitionStore partition = context.getService(reference);
            try {
                for (Namespace namespace : Namespace.values()) {
                    for (String name : partition.names(namespace)) {
                        partition.open(namespace, name).ifPresent(view -> {
                            try (view) {
                                ByteBuffer data = view.data();
                                byte[] bytes = new byte[data.remaining()];
                                data.get(bytes);
                                all.put(partition.name() + "/" + namespace.id() + "/" + name,
                                        view.format() + ":" + Arrays.hashCode(bytes) + ":" + bytes.length);
                            }
                        });
                    }
                }
                all.put(partition.name() + "#used", Long.toString(partition.usage().used()));
            } finally {
                context.ungetService(reference);
            }
        }
        return all;
    }

    private <T extends DatastoreException> T refusedUnchanged(Class<T> expected, ThrowingRunnable operation)
            throws InvalidSyntaxException {
        Map<String, String> before = snapshot();
        T thrown = assertThrows(expected, operation);
        assertEquals("stored data changed by a refused " + expected.getSimpleName(), before, snapshot());
        return thrown;
    }

    @Test
    public void badNamesAreRefused() throws Exception {
        String tooLong = "k".repeat(Limits.MAX_NAME_BYTES + 1);
        String tooLongInUtf8 = "\u00e9".repeat(Limits.MAX_NAME_BYTES / 2 + 1);
        for (String bad : List.of("", tooLong, tooLongInUtf8, "tab\there", "nul\u0000", "del\u007f", "c1\u0085",
                "half\ud800surrogate")) {
            refusedUnchanged(InvalidNameException.class, () -> kv.put(bad, "v", Partitions.EPHEMERAL));
            refusedUnchanged(InvalidNameException.class, () -> kv.get(bad));
            refusedUnchanged(InvalidNameException.class, () -> kv.remove(bad, Partitions.EPHEMERAL));
            refusedUnchanged(InvalidNameException.class, () -> images.put(bad, png, ImageType.PNG, Partitions.EPHEMERAL));
        }
        // The longest valid name is accepted.
        kv.put("k".repeat(Limits.MAX_NAME_BYTES), "fits", Partitions.EPHEMERAL);
        assertEquals("fits", kv.get("k".repeat(Limits.MAX_NAME_BYTES)));
        kv.remove("k".repeat(Limits.MAX_NAME_BYTES), Partitions.EPHEMERAL);
    }

    @Test
    public void oversizedValuesAreRefused() throws Exception {
        String tooBig = "x".repeat(Namespace.KV.maxValueBytes() + 1);
        ValueTooLargeException thrown = refusedUnchanged(ValueTooLargeException.class,
                () -> kv.put("big", tooBig, Partitions.EPHEMERAL));
        assertEquals(Namespace.KV.maxValueBytes(), thrown.limit());
        refusedUnchanged(ValueTooLargeException.class,
                () -> kv.batch(Partitions.EPHEMERAL).put("fine", "ok").put("big", tooBig).commit());
        assertEquals("", kv.get("fine"));
    }

    @Test
    public void unknownReadOnlyAndFullPartitionsAreRefused() throws Exception {
        refusedUnchanged(NoSuchPartitionException.class, () -> kv.put("k", "v", "nowhere"));
        refusedUnchanged(NoSuchPartitionException.class, () -> images.put("t", png, ImageType.PNG, "nowhere"));
        ReadOnlyPartitionException readOnly = refusedUnchanged(ReadOnlyPartitionException.class,
                () -> kv.put("model", "hacked", "factory"));
        assertEquals("factory", readOnly.partition().orElseThrow());
        refusedUnchanged(ReadOnlyPartitionException.class, () -> kv.remove("model", "factory"));
        assertEquals("RW02", kv.get("model"));

        kv.put("small", "0123456789", "tiny");
        PartitionFullException full = refusedUnchanged(PartitionFullException.class,
                () -> kv.put("larger", "x".repeat(60), "tiny"));
        assertEquals("tiny", full.partition().orElseThrow());
        refusedUnchanged(PartitionFullException.class,
                () -> kv.batch("tiny").put("a", "1").put("b", "x".repeat(60)).commit());
        assertEquals("", kv.get("a"));
        assertEquals("0123456789", kv.get("small"));
    }

    @Test
    public void imagesThatDoNotMatchTheirTypeAreRefused() throws Exception {
        refusedUnchanged(InvalidImageException.class, () -> images.put("logo", jpeg, ImageType.PNG, Partitions.EPHEMERAL));
        refusedUnchanged(InvalidImageException.class, () -> images.put("logo", png, ImageType.BMP, Partitions.EPHEMERAL));
        refusedUnchanged(InvalidImageException.class, () -> images.put("logo", png, ImageType.NONE, Partitions.EPHEMERAL));
        byte[] truncated = Arrays.copyOf(png, png.length - 13);
        refusedUnchanged(InvalidImageException.class,
                () -> images.put("logo", truncated, ImageType.PNG, Partitions.EPHEMERAL));
        byte[] garbage = png.clone();
        garbage[garbage.length / 2] ^= 0x5a;
        refusedUnchanged(InvalidImageException.class,
                () -> images.put("logo", garbage, ImageType.PNG, Partitions.EPHEMERAL));
        assertArrayEquals(png, bytes(images.get("logo").data()));
    }

    @Test
    public void missingAndStaleTokensAreRefused() throws Exception {
        refusedUnchanged(EntryNotFoundException.class, () -> images.getToken("no-such-image"));
        ImageToken token = images.getToken("logo");
        try (ImageView view = images.open(token)) {
            assertArrayEquals(png, bytes(view.bytes()));
        }
        byte[] other = TestImages.encode("png", 8, 8);
        images.put("logo", other, ImageType.PNG, Partitions.EPHEMERAL);
        refusedUnchanged(StaleTokenException.class, () -> images.open(token));
        images.put("logo", png, ImageType.PNG, Partitions.EPHEMERAL);
        // Same bytes again, but a new version: the old token still never resolves.
        refusedUnchanged(StaleTokenException.class, () -> images.open(token));
    }

    @Test
    public void aBatchWithOneBadElementAppliesNothing() throws Exception {
        Function<String, ThrowingRunnable> batchWith = bad -> () -> kv.batch(Partitions.EPHEMERAL)
                .put("first", "1").remove("timezone").put(bad, "v").commit();
        refusedUnchanged(InvalidNameException.class, batchWith.apply("bad\u0007name"));
        assertEquals("GB", kv.get("timezone"));
        assertEquals("", kv.get("first"));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
