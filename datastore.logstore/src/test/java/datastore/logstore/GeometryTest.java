package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;

import org.junit.Test;

/**
 * A region whose recorded geometry or identity differs from the configured one (resized, moved or
 * swapped after the log wrapped), foreign bytes, and formats this build does not read: each is
 * refused with a message naming both sides, every byte of the device stays as it was, and an
 * explicit format makes the region usable again (the component's refusal is tested in datastore.runtime).
 */
public class GeometryTest {
    static final int BLOCK = 4096;
    static final long CAPACITY = 3 * 1024;
    static final int BLOCKS = 13;
    static final long SIZE = (long) BLOCKS * BLOCK;
    /** The runtime region follows a ROM region of the same size (foreign bytes) on a device of 40 blocks. */
    static final long OFFSET = SIZE;

    private final NorFlash flash = NorFlash.inMemory(40L * BLOCK, BLOCK, 16);
    private final Map<String, byte[]> model = new HashMap<>();

    /** Writes a log that has wrapped several times; the region before it holds foreign bytes. */
    private void writeWrappedLog() throws IOException {
        byte[] foreign = new byte[(int) OFFSET];
        new Random(5).nextBytes(foreign);
        flash.region("rom", 0, OFFSET).program(0, ByteBuffer.wrap(foreign));
        LogStore store = Stores.mount(flash.region("runtime", OFFSET, SIZE), CAPACITY);
        for (int i = 0; i < 2000; i++) {
            String name = "k" + (i % 17);
            byte[] value = Stores.value(i, 30 + i % 90);
            Stores.apply(store, Stores.put(name, value));
            model.put(name, value);
        }
        assertTrue("the log must have wrapped", Arrays.stream(store.eraseCounts()).sum() > 3 * BLOCKS);
    }

    private byte[] device() throws IOException {
        ByteBuffer map = flash.region("all", 0, 40L * BLOCK).map();
        byte[] bytes = new byte[map.capacity()];
        map.get(0, bytes);
        return bytes;
    }

    /** Mounts with the given region, expecting a refusal that leaves the device as it was; returns the reason. */
    private String refused(FlashRegion region) throws IOException {
        byte[] before = device();
        LogStore store = new LogStore(region, CAPACITY, 100);
        RefusedRegionException e = assertThrows(RefusedRegionException.class, store::mount);
        assertArrayEquals("the device changed", before, device());
        System.out.println("refused: " + e.getMessage());
        assertTrue(e.getMessage(), e.getMessage().contains("left untouched"));
        return e.getMessage();
    }

    private void assertOriginalStillServed() {
        LogStore store = Stores.mount(flash.region("runtime", OFFSET, SIZE), CAPACITY);
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getKey(), e.getValue(), Stores.get(store, e.getKey()));
        }
        assertTrue(store.problems().toString(), store.problems().isEmpty());
    }

    private static String configured(long offset, long size) {
        return "at device offset " + offset + ", " + size + " bytes";
    }

    @Test
    public void aResizedRegionIsRefusedNamingBothSizes() throws IOException {
        writeWrappedLog();
        for (long size : new long[] {SIZE + BLOCK, SIZE - BLOCK}) {
            String reason = refused(flash.region("runtime", OFFSET, size));
            assertTrue(reason, reason.contains(configured(OFFSET, size)));
            assertTrue(reason, reason.contains(configured(OFFSET, SIZE)));
        }
        assertOriginalStillServed();
    }

    @Test
    public void aRegionMovedByOneBlockIsRefused() throws IOException {
        writeWrappedLog();
        for (long offset : new long[] {OFFSET + BLOCK, OFFSET - BLOCK}) {
            String reason = refused(flash.region("runtime", offset, SIZE));
            assertTrue(reason, reason.contains(configured(offset, SIZE)));
            // What was found: the anchor's recorded geometry, or the bytes that are not a log of this one.
            assertTrue(reason, reason.contains(configured(OFFSET, SIZE)) || reason.contains("neither erased"));
        }
        assertOriginalStillServed();
    }

    @Test
    public void swappedRegionsAreRefused() throws IOException {
        writeWrappedLog();
        // The runtime region configured where the ROM region lies (the ROM partition refuses the other half).
        String atRom = refused(flash.region("runtime", 0, SIZE));
        assertTrue(atRom, atRom.contains(configured(0, SIZE)));
        assertTrue(atRom, atRom.contains("neither erased") || atRom.contains(configured(OFFSET, SIZE)));
        // The runtime log configured as some other partition's region: the ROM side refuses it on its own.
        assertOriginalStillServed();
    }

    @Test
    public void foreignBytesAreRefusedAndFormatIsExplicit() throws IOException {
        FlashRegion region = flash.region("runtime", OFFSET, SIZE);
        byte[] random = new byte[(int) SIZE];
        new Random(9).nextBytes(random);
        region.program(0, ByteBuffer.wrap(random));
        String reason = refused(region);
        assertTrue(reason, reason.contains("neither erased nor a runtime log") && reason.contains(configured(OFFSET, SIZE)));
        LogStore formatted = new LogStore(region, CAPACITY, 100);
        formatted.format();
        assertEquals(List.of(), formatted.names(Namespace.KV));
        Stores.apply(formatted, Stores.put("a", Stores.bytes("1")));
        LogStore again = Stores.mount(region, CAPACITY);
        assertArrayEquals(Stores.bytes("1"), Stores.get(again, "a"));
    }

    @Test
    public void aNewerFormatIsRefusedNamingItsVersion() throws IOException {
        FlashRegion region = flash.region("runtime", OFFSET, SIZE);
        byte[] slot = new byte[2 * LogFormat.ANCHOR];
        Arrays.fill(slot, (byte) 0x11);
        for (int copy = 0; copy < 2; copy++) {
            ByteBuffer.wrap(slot).putInt(copy * LogFormat.ANCHOR, LogFormat.ANCHOR_MAGIC);
            slot[copy * LogFormat.ANCHOR + 4] = 9;
        }
        region.program(0, ByteBuffer.wrap(slot));
        String reason = refused(region);
        assertTrue(reason, reason.contains("format 9, newer than this build's " + LogFormat.VERSION));
    }

    @Test
    public void theBlockHeaderFormatVersion1IsRefusedByName() throws IOException {
        FlashRegion region = flash.region("runtime", OFFSET, SIZE);
        // A block header of format 1 as commit 30e1ba2^ wrote it: magic, version, kind, sequence numbers, CRC32C.
        ByteBuffer one = ByteBuffer.allocate(LogFormat.BLOCK_FORMAT_HEADER);
        one.putInt(LogFormat.BLOCK_FORMAT_MAGIC).put((byte) 1).put((byte) 1).putShort((short) 0).putLong(1).putLong(0)
                .putLong(1).putInt(0).putInt(0).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(one.array(), 0, LogFormat.BLOCK_FORMAT_HEADER - 4);
        one.putInt((int) crc.getValue());
        byte[] header = new byte[2 * LogFormat.BLOCK_FORMAT_HEADER];
        System.arraycopy(one.array(), 0, header, 0, LogFormat.BLOCK_FORMAT_HEADER);
        System.arraycopy(one.array(), 0, header, LogFormat.BLOCK_FORMAT_HEADER, LogFormat.BLOCK_FORMAT_HEADER);
        region.program(3L * BLOCK, ByteBuffer.wrap(header));
        String reason = refused(region);
        assertTrue(reason, reason.contains("format 1 (the block-header log"));
    }
}
