package datastore.logstore;

import static datastore.logstore.Stores.put;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import datastore.DatastoreException;
import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.EntryView;

import org.junit.Test;

/** Open views keep their bytes while the entry is replaced and garbage collection runs. */
public class ViewTest {
    static final int BLOCK = 4096;
    static final long CAPACITY = 32 * 1024;

    static FlashRegion region(int extraBlocks) {
        FlashGeometry probe = new FlashGeometry(1024L * BLOCK, BLOCK, 16);
        long size = (LogStore.requiredBlocks(CAPACITY, probe) + extraBlocks) * BLOCK;
        return NorFlash.inMemory(size, BLOCK, 16).region("runtime", 0, size);
    }

    static byte[] bytes(EntryView view) {
        ByteBuffer data = view.data();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return bytes;
    }

    @Test
    public void anOpenViewKeepsItsBytesThroughOverwritesAndManyCollections() throws Exception {
        FlashRegion region = region(4);
        LogStore store = Stores.mount(region, CAPACITY);
        byte[] first = Stores.value(1, 700);
        byte[] spanning = Stores.value(2, 6000);
        store.apply(List.of(put("a", first), put("s", spanning)));
        EntryView view = store.open(Namespace.KV, "a").orElseThrow();
        EntryView spanningView = store.open(Namespace.KV, "s").orElseThrow(); // spans a block boundary
        ByteBuffer mapped = view.data();
        long erasesBefore = sum(store.eraseCounts());
        for (int i = 0; i < 2000; i++) {
            store.apply(List.of(put("a", Stores.value(100 + i, 700)), put("b" + i % 20, Stores.value(i, 900))));
            store.apply(List.of(put("s", Stores.value(9000 + i, 6000))));
        }
        long erases = sum(store.eraseCounts()) - erasesBefore;
        assertTrue("collection must have run many times, erased " + erases, erases > 10L * region.geometry().blocks());
        assertArrayEquals(first, bytes(view));
        byte[] seen = new byte[mapped.remaining()];
        mapped.duplicate().get(seen);
        assertArrayEquals(first, seen);
        assertArrayEquals(spanning, bytes(spanningView));
        assertArrayEquals(Stores.value(2099, 700), Stores.get(store, "a"));
        int pinnedBlocks = 0;
        for (int b = 0; b < region.geometry().blocks(); b++) {
            pinnedBlocks += store.pins(b) > 0 ? 1 : 0;
        }
        // Both values were written in one record; the spanning one is a slice of the flash too, so
        // the views pin every block that record covers (its 6000 bytes cross a 4096-byte block) and
        // no other.
        assertTrue("the spanning view pins the blocks under it, pinned " + pinnedBlocks, pinnedBlocks >= 2);
        assertTrue("only the one record is pinned, pinned " + pinnedBlocks, pinnedBlocks <= 3);
        assertEquals(mapped.isDirect(), spanningView.data().isDirect());
        assertTrue(spanningView.data().isReadOnly());
        view.close();
        view.close();
        spanningView.close();
        for (int b = 0; b < region.geometry().blocks(); b++) {
            assertEquals(0, store.pins(b));
        }
        // With the view gone its block is collected like any other.
        for (int i = 0; i < 500; i++) {
            store.apply(List.of(put("a", Stores.value(i, 700))));
        }
    }

    @Test
    public void viewsHoldingEveryCollectableBlockMakeAWriteFailClearlyAndChangeNothing() {
        FlashRegion region = region(0);
        LogStore store = Stores.mount(region, CAPACITY);
        List<EntryView> views = new ArrayList<>();
        DatastoreException failure = null;
        int i = 0;
        try {
            for (; i < 5000; i++) {
                store.apply(List.of(put("k" + i % 8, Stores.value(i, 1000))));
                views.add(store.open(Namespace.KV, "k" + i % 8).orElseThrow());
            }
        } catch (DatastoreException e) {
            failure = e;
        }
        assertTrue("writes must fail once open views hold all reclaimable space", failure != null);
        assertTrue(failure.getMessage(), failure.getMessage().contains("views are open"));
        int failedAt = i;
        for (int v = 0; v < views.size(); v++) {
            assertArrayEquals(Stores.value(v, 1000), bytes(views.get(v)));
        }
        for (EntryView view : views) {
            view.close();
        }
        // The failed write changed nothing, and with the views closed writing goes on.
        assertArrayEquals(Stores.value(failedAt - 1, 1000), Stores.get(store, "k" + (failedAt - 1) % 8));
        store.apply(List.of(put("k0", Stores.value(-1, 1000))));
        LogStore again = Stores.mount(region, CAPACITY);
        assertArrayEquals(Stores.value(-1, 1000), Stores.get(again, "k0"));
        assertThrows(NullPointerException.class, () -> again.apply(null));
    }

    static long sum(long[] counts) {
        long sum = 0;
        for (long c : counts) {
            sum += c;
        }
        return sum;
    }
}
