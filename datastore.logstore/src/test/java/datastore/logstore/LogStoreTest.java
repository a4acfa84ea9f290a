package datastore.logstore;

import static datastore.logstore.Stores.apply;
import static datastore.logstore.Stores.bytes;
import static datastore.logstore.Stores.get;
import static datastore.logstore.Stores.put;
import static datastore.logstore.Stores.remove;
import static datastore.logstore.Stores.value;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import datastore.InvalidNameException;
import datastore.Namespace;
import datastore.ValueTooLargeException;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;

import org.junit.Test;

public class LogStoreTest {
    static final int BLOCK = 4096;

    static FlashRegion region(int blocks) {
        return NorFlash.inMemory((long) blocks * BLOCK, BLOCK, 16).region("runtime", 0, (long) blocks * BLOCK);
    }

    @Test
    public void putsOverwritesAndRemovalsSurviveRemount() {
        FlashRegion region = region(64);
        LogStore store = Stores.mount(region, 32 * 1024);
        apply(store, put("a", bytes("one")), put("b", bytes("two")));
        apply(store, put("a", bytes("three")));
        apply(store, remove("b"));
        assertArrayEquals(bytes("three"), get(store, "a"));
        assertNull(get(store, "b"));
        LogStore again = Stores.mount(region, 32 * 1024);
        assertArrayEquals(bytes("three"), get(again, "a"));
        assertNull(get(again, "b"));
        assertEquals(List.of("a"), again.names(Namespace.KV));
        assertEquals(List.of(), again.problems());
        assertEquals(1 + 5 + RuntimePromise.ENTRY_CHARGE, again.usage().used());
    }

    @Test
    public void singleAndBatchRecordsMixedPastFourThousandRecordsSurviveRemount() {
        // Undamaged single records and batch records take different paths at mount, side by side by
        // record index: the batches here span the walk's 1,024th and 4,096th records (where its
        // columns grow) whatever pads lie before them.
        FlashRegion region = region(1024);
        LogStore store = Stores.mount(region, 384 * 1024);
        int singles = 0;
        int batches = 0;
        for (int[] run : new int[][] {{900, 300}, {3850, 300}}) {
            for (; singles < run[0]; singles++) {
                apply(store, put("s" + singles, value(singles, 8)));
            }
            for (int end = batches + run[1]; batches < end; batches++) {
                apply(store, put("b" + batches + "-0", value(batches, 8)), put("b" + batches + "-1", value(batches + 10_000, 8)));
            }
        }
        for (; singles < 4000; singles++) {
            apply(store, put("s" + singles, value(singles, 8)));
        }
        LogStore again = Stores.mount(region, 384 * 1024);
        assertEquals(List.of(), again.problems());
        for (int i = 0; i < singles; i++) {
            assertArrayEquals("s" + i, value(i, 8), get(again, "s" + i));
        }
        for (int b = 0; b < batches; b++) {
            assertArrayEquals(value(b, 8), get(again, "b" + b + "-0"));
            assertArrayEquals(value(b + 10_000, 8), get(again, "b" + b + "-1"));
        }
        assertEquals(singles + 2 * batches, again.names(Namespace.KV).size());
    }

    @Test
    public void revisionsIncreaseAndSurviveRemount() {
        FlashRegion region = region(64);
        LogStore store = Stores.mount(region, 32 * 1024);
        apply(store, put("a", bytes("1")));
        long first = revision(store, "a");
        apply(store, put("a", bytes("2")));
        long second = revision(store, "a");
        assertTrue(second > first);
        LogStore again = Stores.mount(region, 32 * 1024);
        assertEquals(second, revision(again, "a"));
        apply(again, put("a", bytes("3")));
        assertTrue(revision(again, "a") > second);
    }

    static long revision(LogStore store, String name) {
        try (EntryView view = store.open(Namespace.KV, name).orElseThrow()) {
            return view.revision();
        }
    }

    @Test
    public void valuesSpanningBlocksAndLargeRecordsReadBack() {
        FlashRegion region = region(96);
        LogStore store = Stores.mount(region, 60 * 1024);
        byte[] spanning = value(1, 9000);
        byte[] large = value(2, 30000);
        apply(store, put("s", bytes("x")), put("span", spanning));
        apply(store, put("large", large));
        assertArrayEquals(spanning, get(store, "span"));
        assertArrayEquals(large, get(store, "large"));
        LogStore again = Stores.mount(region, 60 * 1024);
        assertArrayEquals(spanning, get(again, "span"));
        assertArrayEquals(large, get(again, "large"));
        assertEquals(List.of(), again.problems());
    }

    @Test
    public void smallValuesAreZeroCopySlicesOfTheMappedRegion() throws Exception {
        FlashRegion region = region(64);
        LogStore store = Stores.mount(region, 32 * 1024);
        apply(store, put("a", bytes("hello")));
        try (EntryView view = store.open(Namespace.KV, "a").orElseThrow()) {
            ByteBuffer data = view.data();
            assertTrue(data.isReadOnly());
            assertEquals(0, data.position());
            assertEquals(5, data.limit());
            assertEquals(region.map().isDirect(), data.isDirect());
            assertTrue(data.hasArray() == false || data.isReadOnly());
        }
    }

    @Test
    public void badInputIsRefusedAndChangesNothing() {
        FlashRegion region = region(64);
        LogStore store = Stores.mount(region, 32 * 1024);
        apply(store, put("a", bytes("1")));
        assertThrows(InvalidNameException.class, () -> apply(store, put("b", bytes("2")), put("", bytes("x"))));
        assertThrows(InvalidNameException.class, () -> apply(store, put("bad\u0007", bytes("x"))));
        assertThrows(InvalidNameException.class, () -> apply(store, put("x".repeat(256), bytes("x"))));
        assertThrows(InvalidNameException.class, () -> apply(store, put("\ud800", bytes("x"))));
        assertThrows(ValueTooLargeException.class,
                () -> apply(store, put("b", bytes("2")), put("big", new byte[64 * 1024 + 1])));
        assertThrows(IllegalArgumentException.class,
                () -> store.apply(List.of(Change.put(Namespace.KV, "f", 256, ByteBuffer.allocate(1)))));
        assertNull(get(store, "b"));
        assertEquals(List.of("a"), store.names(Namespace.KV));
    }

    @Test
    public void defaultConfigurationFitsTheDefaultRegion() {
        FlashGeometry geometry = new FlashGeometry(DefaultGeometryTest.REGION, 65536, 16);
        long required = LogStore.requiredBlocks(RuntimePromise.DEFAULT_CAPACITY,
                geometry);
        System.out.println("default region: required blocks=" + required + " of " + geometry.blocks());
        assertTrue(required <= geometry.blocks());
    }

    @Test
    public void tooSmallRegionIsRefusedWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LogStore(region(16), 1024 * 1024, 0));
        assertTrue(e.getMessage(), e.getMessage().contains("65536 bytes") && e.getMessage().contains("1048576"));
    }

    @Test
    public void clearRemovesEverything() {
        FlashRegion region = region(64);
        LogStore store = Stores.mount(region, 32 * 1024);
        apply(store, put("a", bytes("1")), put(Namespace.IMAGE, "i", bytes("img")));
        store.clear();
        assertEquals(List.of(), store.names(Namespace.KV));
        assertEquals(List.of(), store.names(Namespace.IMAGE));
        assertEquals(0, store.usage().used());
        LogStore again = Stores.mount(region, 32 * 1024);
        assertEquals(List.of(), again.names(Namespace.KV));
        assertNull(get(again, Namespace.IMAGE, "i"));
    }
}
