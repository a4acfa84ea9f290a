package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import datastore.DatastoreException;
import datastore.InvalidImageException;
import datastore.InvalidNameException;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.PartitionFullException;
import datastore.ReadOnlyPartitionException;
import datastore.ValueTooLargeException;
import datastore.image.ImageType;
import datastore.testsupport.MemoryPartition;

import org.junit.Before;
import org.junit.Test;
import org.junit.function.ThrowingRunnable;

/**
 * Every kind of bad input gets its own documented exception, and leaves every partition exactly as
 * it was, with no event posted.
 */
public class BadInputTest {

    private static final byte[] PNG = MarkerImageFormat.image(ImageType.PNG, "pixels");

    private TestDock dock;
    private MemoryPartition small;

    @Before
    public void setUp() {
        dock = TestDock.standard();
        small = new MemoryPartition("small", 20);
        dock.add(small, 50);
        dock.kv.put("kept", "value", "runtime");
        dock.kv.put("kept", "value", "ephemeral");
        dock.images.put("logo", PNG, ImageType.PNG, "runtime");
        dock.code.deploy(new byte[] {1, 2, 3}, "runtime");
        dock.partition("rom").withKv("factory", "yes");
        dock.events.clear();
    }

    private <T extends Throwable> T refused(Class<T> expected, ThrowingRunnable call) {
        Map<String, Map<String, String>> before = dock.snapshot();
        T thrown = assertThrows(expected, call);
        assertEquals("the store changed although " + thrown + " was thrown", before, dock.snapshot());
        assertEquals(List.of(), dock.events.posted());
        return thrown;
    }

    @Test
    public void invalidNames() {
        for (String bad : List.of("", "a".repeat(256), "€".repeat(86), "tab\there", "nul\u0000", "del\u007f",
                "c1\u0085", "lone\uD800", "lone\uDC00 low", "reversed\uDE00\uD83D")) {
            InvalidNameException e = refused(InvalidNameException.class, () -> dock.kv.put(bad, "v"));
            assertEquals(Optional.of(bad), e.name());
            refused(InvalidNameException.class, () -> dock.kv.put(bad, "v", "ephemeral"));
            refused(InvalidNameException.class, () -> dock.kv.remove(bad, "runtime"));
            refused(InvalidNameException.class, () -> dock.kv.get(bad));
            refused(InvalidNameException.class, () -> dock.kv.batch("runtime").put(bad, "v"));
            refused(InvalidNameException.class, () -> dock.kv.batch("runtime").remove(bad));
            refused(InvalidNameException.class, () -> dock.images.put(bad, PNG, ImageType.PNG));
            refused(InvalidNameException.class, () -> dock.images.get(bad));
            refused(InvalidNameException.class, () -> dock.images.getToken(bad));
            refused(InvalidNameException.class, () -> dock.images.remove(bad, "runtime"));
        }
    }

    @Test
    public void nullNamesAreInvalidNamesNotNullPointers() {
        refused(InvalidNameException.class, () -> dock.kv.put(null, "v"));
        refused(InvalidNameException.class, () -> dock.kv.get(null));
        refused(InvalidNameException.class, () -> dock.kv.remove(null, "runtime"));
        refused(InvalidNameException.class, () -> dock.images.put(null, PNG, ImageType.PNG));
        refused(InvalidNameException.class, () -> dock.images.lookup(null));
    }

    @Test
    public void nullPartitionsAreNoSuchPartition() {
        refused(NoSuchPartitionException.class, () -> dock.kv.put("k", "v", null));
        refused(NoSuchPartitionException.class, () -> dock.kv.remove("kept", null));
        refused(NoSuchPartitionException.class, () -> dock.kv.batch(null));
        refused(NoSuchPartitionException.class, () -> dock.images.put("logo", PNG, ImageType.PNG, null));
        refused(NoSuchPartitionException.class, () -> dock.code.deploy(new byte[1], null));
        refused(NoSuchPartitionException.class, () -> dock.code.remove(null));
    }

    @Test
    public void nullValuesAreNullPointers() {
        refused(NullPointerException.class, () -> dock.kv.put("kept", null));
        refused(NullPointerException.class, () -> dock.kv.batch("runtime").put("kept", null));
        refused(NullPointerException.class, () -> dock.images.put("logo", null, ImageType.PNG));
        refused(NullPointerException.class, () -> dock.images.put("logo", PNG, null));
        refused(NullPointerException.class, () -> dock.images.open(null));
        refused(NullPointerException.class, () -> dock.code.deploy(null, "runtime"));
    }

    @Test
    public void valuesOverTheLimit() {
        String justFits = "x".repeat(Namespace.KV.maxValueBytes());
        String tooLong = justFits + "x";
        ValueTooLargeException e = refused(ValueTooLargeException.class, () -> dock.kv.put("kept", tooLong));
        assertEquals(Namespace.KV.maxValueBytes() + 1, e.size());
        assertEquals(Namespace.KV.maxValueBytes(), e.limit());
        // Multi-byte characters count in UTF-8 bytes, not chars.
        refused(ValueTooLargeException.class, () -> dock.kv.put("kept", "é".repeat(Namespace.KV.maxValueBytes() / 2 + 1)));
        refused(ValueTooLargeException.class, () -> dock.kv.batch("runtime").put("kept", tooLong));
        refused(ValueTooLargeException.class,
                () -> dock.images.put("logo", new byte[Namespace.IMAGE.maxValueBytes() + 1], ImageType.PNG));
        refused(ValueTooLargeException.class, () -> dock.code.deploy(new byte[Namespace.CODE.maxValueBytes() + 1], "runtime"));

        dock.kv.put("big", justFits, "ephemeral");
        assertEquals(justFits, dock.kv.get("big"));
    }

    @Test
    public void valuesThatAreNotWellFormedUtf16() {
        DatastoreException e = refused(DatastoreException.class, () -> dock.kv.put("kept", "half \uD83D of a smile"));
        assertTrue(e.getMessage(), e.getMessage().contains("unpaired surrogate at index 5"));
        refused(DatastoreException.class, () -> dock.kv.batch("runtime").put("kept", "\uDE00"));
        // A long value takes the counting path before encoding; it must refuse the same way.
        refused(DatastoreException.class, () -> dock.kv.put("kept", "x".repeat(30_000) + "\uD800"));
    }

    @Test
    public void unknownPartitions() {
        NoSuchPartitionException e = refused(NoSuchPartitionException.class, () -> dock.kv.put("k", "v", "flash2"));
        assertEquals(Optional.of("flash2"), e.partition());
        refused(NoSuchPartitionException.class, () -> dock.kv.remove("kept", "flash2"));
        refused(NoSuchPartitionException.class, () -> dock.kv.batch("flash2"));
        refused(NoSuchPartitionException.class, () -> dock.images.put("logo", PNG, ImageType.PNG, "flash2"));
        refused(NoSuchPartitionException.class, () -> dock.images.remove("logo", "flash2"));
        refused(NoSuchPartitionException.class, () -> dock.code.deploy(new byte[1], "flash2"));
        refused(NoSuchPartitionException.class, () -> dock.code.remove("flash2"));
    }

    @Test
    public void readOnlyPartitions() {
        ReadOnlyPartitionException e = refused(ReadOnlyPartitionException.class, () -> dock.kv.put("k", "v", "rom"));
        assertEquals(Optional.of("rom"), e.partition());
        assertEquals(Optional.of("k"), e.name());
        refused(ReadOnlyPartitionException.class, () -> dock.kv.remove("factory", "rom"));
        refused(ReadOnlyPartitionException.class, () -> dock.kv.batch("rom"));
        refused(ReadOnlyPartitionException.class, () -> dock.images.put("logo", PNG, ImageType.PNG, "rom"));
        refused(ReadOnlyPartitionException.class, () -> dock.code.deploy(new byte[1], "rom"));
        refused(ReadOnlyPartitionException.class, () -> dock.code.remove("rom"));
    }

    @Test
    public void fullPartitionsPassTheirExceptionOnUnchanged() {
        PartitionFullException e = refused(PartitionFullException.class, () -> dock.kv.put("key", "x".repeat(20), "small"));
        assertEquals(Optional.of("small"), e.partition());
        assertEquals(20, e.available());
    }

    @Test
    public void invalidImages() {
        InvalidImageException e = refused(InvalidImageException.class,
                () -> dock.images.put("logo", MarkerImageFormat.image(ImageType.BMP, "x"), ImageType.PNG));
        assertEquals("the exception names the tag", Optional.of("logo"), e.name());
        assertEquals(ImageType.PNG, e.type());
        assertTrue(e.getMessage(), e.getMessage().startsWith("image \"logo\": not a valid PNG: bad signature"));

        refused(InvalidImageException.class, () -> dock.images.put("logo", new byte[0], ImageType.JPEG));
        InvalidImageException none = refused(InvalidImageException.class, () -> dock.images.put("logo", PNG, ImageType.NONE));
        assertEquals(Optional.of("logo"), none.name());
    }

    @Test
    public void aBadElementOfABatchIsRefusedAtOnceAndTheRestStillCommits() {
        datastore.KvBatch batch = dock.kv.batch("runtime").put("a", "1");
        refused(InvalidNameException.class, () -> batch.put("", "2"));
        refused(ValueTooLargeException.class, () -> batch.put("b", "x".repeat(Namespace.KV.maxValueBytes() + 1)));
        batch.put("c", "3").commit();
        assertEquals(List.of("a", "c", "factory", "kept"), dock.kv.list());
    }
}
