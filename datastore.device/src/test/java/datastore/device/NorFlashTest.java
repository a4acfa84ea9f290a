package datastore.device;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

public class NorFlashTest {
    private static final int BLOCK = 4096;
    private static final int UNIT = 16;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void theFlashAndItsEraseCountsAreTheOwnersAloneWhateverTheUmask() throws Exception {
        Path data = folder.getRoot().toPath().resolve("fresh/data");
        Path file = data.resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 4 * 4096, 4096, 16)) {
            FlashRegion region = flash.region("r", 0, 4 * 4096);
            region.erase(1);
            region.sync();
        }
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(data.resolve("flash.img.wear"))));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));

        Path shared = Files.createDirectories(folder.getRoot().toPath().resolve("shared"));
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        FlashPartitionTable.keepPrivate(shared.toString());
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
    }

    @Test
    public void newDeviceIsErased() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(4 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", 0, 4 * BLOCK);
            assertArrayEquals(filled(4 * BLOCK, 0xFF), read(region, 0, 4 * BLOCK));
            assertEquals(new FlashGeometry(4 * BLOCK, BLOCK, UNIT), flash.geometry());
            assertEquals(4, region.geometry().blocks());
            assertEquals(0, region.eraseCount(3));
        }
    }

    @Test
    public void programOnlyClearsBits() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(2 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", 0, 2 * BLOCK);
            region.program(32, ByteBuffer.wrap(filled(UNIT, 0x0F)));
            assertArrayEquals(filled(UNIT, 0x0F), read(region, 32, UNIT));
            region.program(32, ByteBuffer.wrap(filled(UNIT, 0xF0)));
            assertArrayEquals(filled(UNIT, 0x00), read(region, 32, UNIT));
            // Programming 0xFF changes nothing: setting bits needs an erase.
            region.program(32, ByteBuffer.wrap(filled(UNIT, 0xFF)));
            assertArrayEquals(filled(UNIT, 0x00), read(region, 32, UNIT));
        }
    }

    @Test
    public void programAndsEveryByteWhateverTheSourceByteOrderAndPosition() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(BLOCK, BLOCK, 1)) {
            FlashRegion region = flash.region("r", 0, BLOCK);
            Random random = new Random(7);
            byte[] first = new byte[101];
            byte[] second = new byte[101];
            random.nextBytes(first);
            random.nextBytes(second);
            region.program(3, ByteBuffer.wrap(first));
            ByteBuffer src = ByteBuffer.allocate(110).order(ByteOrder.LITTLE_ENDIAN);
            src.position(5);
            src.put(second).limit(5 + second.length).position(5);
            region.program(3, src);
            assertEquals("program consumes its source like a channel write", src.limit(), src.position());
            byte[] expected = new byte[101];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (byte) (first[i] & second[i]);
            }
            assertArrayEquals(expected, read(region, 3, 101));
            assertEquals((byte) 0xFF, read(region, 2, 1)[0]);
            assertEquals((byte) 0xFF, read(region, 104, 1)[0]);
        }
    }

    @Test
    public void readFillsTheDestinationLikeAChannel() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", 0, BLOCK);
            region.program(0, ByteBuffer.wrap(pattern(UNIT, 1)));
            ByteBuffer dst = ByteBuffer.allocate(20);
            dst.position(4);
            region.read(0, dst);
            assertEquals(20, dst.position());
            assertArrayEquals(pattern(UNIT, 1), Arrays.copyOfRange(dst.array(), 4, 20));
        }
    }

    @Test
    public void eraseSetsTheBlockToOnesAndCountsIt() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(3 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", 0, 3 * BLOCK);
            region.program(0, ByteBuffer.wrap(filled(3 * BLOCK, 0x00)));
            region.erase(1);
            region.erase(1);
            assertArrayEquals(filled(BLOCK, 0x00), read(region, 0, BLOCK));
            assertArrayEquals(filled(BLOCK, 0xFF), read(region, BLOCK, BLOCK));
            assertArrayEquals(filled(BLOCK, 0x00), read(region, 2 * BLOCK, BLOCK));
            assertEquals(0, region.eraseCount(0));
            assertEquals(2, region.eraseCount(1));
            assertEquals(2, flash.eraseCount(1));
            assertEquals(0, region.eraseCount(2));
        }
    }

    @Test
    public void misalignedOrOutOfRangeOperationsAreRefusedAndChangeNothing() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(2 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("runtime", 0, 2 * BLOCK);
            byte[] zeros = filled(UNIT, 0);
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.program(8, ByteBuffer.wrap(zeros))),
                    "offset 8", "program size 16");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.program(0, ByteBuffer.allocate(10))),
                    "10 bytes", "program size 16");
            assertMessage(assertThrows(IllegalArgumentException.class,
                    () -> region.program(2 * BLOCK - UNIT, ByteBuffer.allocate(2 * UNIT))),
                    "offset 8176", "32 bytes", "outside region runtime of 8192 bytes");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.program(-16, ByteBuffer.wrap(zeros))),
                    "offset -16");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.read(2 * BLOCK - 1, ByteBuffer.allocate(2))),
                    "read at offset 8191 of 2 bytes", "outside region runtime");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.read(-1, ByteBuffer.allocate(1))),
                    "offset -1");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.erase(2)),
                    "block 2", "runtime of 2 blocks");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.erase(-1)), "block -1");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> region.eraseCount(2)), "block 2");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> flash.eraseCount(5)), "block 5");
            assertArrayEquals(filled(2 * BLOCK, 0xFF), read(region, 0, 2 * BLOCK));
            assertEquals(0, flash.eraseCount(0) + flash.eraseCount(1));
        }
    }

    @Test
    public void regionCannotTouchItsNeighbours() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(6 * BLOCK, BLOCK, UNIT)) {
            FlashRegion left = flash.region("left", 0, 2 * BLOCK);
            FlashRegion middle = flash.region("middle", 2 * BLOCK, 2 * BLOCK);
            FlashRegion right = flash.region("right", 4 * BLOCK, 2 * BLOCK);
            middle.program(0, ByteBuffer.wrap(filled(2 * BLOCK, 0x00)));
            middle.erase(1);
            // The device has bytes past the middle region, but the region must not reach them.
            assertThrows(IllegalArgumentException.class, () -> middle.program(2 * BLOCK, ByteBuffer.wrap(filled(UNIT, 0))));
            assertThrows(IllegalArgumentException.class, () -> middle.erase(2));
            assertThrows(IllegalArgumentException.class, () -> middle.read(2 * BLOCK, ByteBuffer.allocate(1)));
            assertArrayEquals(filled(2 * BLOCK, 0xFF), read(left, 0, 2 * BLOCK));
            assertArrayEquals(filled(2 * BLOCK, 0xFF), read(right, 0, 2 * BLOCK));
            assertEquals(0, left.eraseCount(1));
            assertEquals(0, right.eraseCount(1));
            assertEquals(1, middle.eraseCount(1));
            assertEquals(1, flash.eraseCount(3));
            assertEquals(2 * BLOCK, middle.map().capacity());
            assertEquals(0x00, middle.map().get(0));
            assertEquals((byte) 0xFF, middle.map().get(BLOCK));
            assertEquals("middle", middle.name());
        }
    }

    @Test
    public void regionsMustBeAlignedAndInsideTheDevice() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(4 * BLOCK, BLOCK, UNIT)) {
            assertMessage(assertThrows(IllegalArgumentException.class, () -> flash.region("a", 100, BLOCK)),
                    "[0x64, 0x1064)", "erase block size 0x1000");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> flash.region("a", 0, BLOCK + 1)),
                    "erase block size");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> flash.region("a", 0, 0)), "non-empty");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> flash.region("a", 3 * BLOCK, 2 * BLOCK)),
                    "[0x3000, 0x5000)", "does not fit the flash of 0x4000 bytes");
            assertThrows(IllegalArgumentException.class, () -> flash.region("", 0, BLOCK));
        }
    }

    @Test
    public void badGeometryIsRefused() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> NorFlash.inMemory(3000, 1000, 10)),
                "erase block size 1000 is not a power of two");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> NorFlash.inMemory(BLOCK, BLOCK, 12)),
                "program size 12");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> NorFlash.inMemory(BLOCK, BLOCK, 2 * BLOCK)),
                "program size 8192");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> NorFlash.inMemory(BLOCK + 16, BLOCK, UNIT)),
                "flash size 4112");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> NorFlash.inMemory(1L << 32, BLOCK, UNIT)),
                "at most 2 GiB");
        assertThrows(IllegalArgumentException.class, () -> NorFlash.inMemory(0, BLOCK, UNIT));
    }

    @Test
    public void mapIsAReadOnlyViewThatFollowsLaterWrites() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(4 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", 2 * BLOCK, 2 * BLOCK);
            ByteBuffer map = region.map();
            assertTrue(map.isReadOnly());
            assertEquals(2 * BLOCK, map.remaining());
            region.program(BLOCK, ByteBuffer.wrap(pattern(UNIT, 9)));
            byte[] seen = new byte[UNIT];
            map.get(BLOCK, seen);
            assertArrayEquals(pattern(UNIT, 9), seen);
            region.erase(1);
            assertEquals((byte) 0xFF, map.get(BLOCK));
            assertThrows(ReadOnlyBufferException.class, () -> map.put(0, (byte) 0));
            assertThrows(ReadOnlyBufferException.class, () -> region.map().put((byte) 0));
        }
    }

    @Test
    public void corruptFlipsBitsIgnoringTheNorRules() throws IOException {
        try (NorFlash flash = NorFlash.inMemory(2 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", BLOCK, BLOCK);
            region.program(0, ByteBuffer.wrap(filled(UNIT, 0x00)));
            flash.corrupt(BLOCK + 3, (byte) 0x81);
            assertEquals((byte) 0x81, read(region, 3, 1)[0]);
            assertEquals(0, read(region, 2, 1)[0]);
            assertThrows(IllegalArgumentException.class, () -> flash.corrupt(2 * BLOCK, (byte) 1));
        }
    }

    @Test
    public void fileKeepsDataAndEraseCountsAcrossReopen() throws IOException {
        Path file = folder.getRoot().toPath().resolve("sub/flash.img");
        try (NorFlash flash = NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", BLOCK, 3 * BLOCK);
            assertArrayEquals(filled(3 * BLOCK, 0xFF), read(region, 0, 3 * BLOCK));
            region.erase(2);
            region.erase(2);
            region.erase(0);
            region.program(2 * BLOCK + 64, ByteBuffer.wrap(pattern(64, 3)));
            region.sync();
            assertTrue(region.map() instanceof MappedByteBuffer);
        }
        assertEquals(4 * BLOCK, Files.size(file));
        assertTrue(Files.exists(file.resolveSibling("flash.img.wear")));
        byte[] raw = Files.readAllBytes(file);
        assertArrayEquals("the file is the raw image", pattern(64, 3), Arrays.copyOfRange(raw, 3 * BLOCK + 64, 3 * BLOCK + 128));
        try (NorFlash flash = NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", BLOCK, 3 * BLOCK);
            assertArrayEquals(pattern(64, 3), read(region, 2 * BLOCK + 64, 64));
            assertEquals((byte) 0xFF, read(region, 2 * BLOCK + 128, 1)[0]);
            assertEquals(0, flash.eraseCount(0));
            assertEquals(1, flash.eraseCount(1));
            assertEquals(0, flash.eraseCount(2));
            assertEquals(2, flash.eraseCount(3));
            assertEquals(2, region.eraseCount(2));
        }
    }

    @Test
    public void lostEraseCountFileStartsCountingAgain() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 2 * BLOCK, BLOCK, UNIT)) {
            flash.region("r", 0, 2 * BLOCK).erase(1);
        }
        Files.delete(file.resolveSibling("flash.img.wear"));
        try (NorFlash flash = NorFlash.open(file, 2 * BLOCK, BLOCK, UNIT)) {
            assertEquals(0, flash.eraseCount(1));
        }
    }

    @Test
    public void existingFileOfAnotherSizeIsRefusedUntouched() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 2 * BLOCK, BLOCK, UNIT)) {
            flash.region("r", 0, 2 * BLOCK).program(0, ByteBuffer.wrap(filled(UNIT, 0)));
        }
        byte[] before = Files.readAllBytes(file);
        IOException e = assertThrows(IOException.class, () -> NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT));
        assertMessage(e, "8192 bytes", "16384 bytes");
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    public void aDamagedEraseCountFileNeverKeepsTheFlashOffline() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT)) {
            flash.region("r", 0, 4 * BLOCK).program(0, ByteBuffer.wrap(pattern(UNIT, 1)));
        }
        Files.write(file.resolveSibling("flash.img.wear"), new byte[] {1, 2, 3});
        try (NorFlash flash = NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT)) {
            assertTrue(flash.eraseCountProblem(), flash.eraseCountProblem().contains("is not an erase-count file"));
            assertArrayEquals(pattern(UNIT, 1), read(flash.region("r", 0, 4 * BLOCK), 0, UNIT));
        }
    }

    @Test
    public void aFileOpenTwiceIsRefused() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, BLOCK, BLOCK, UNIT)) {
            assertMessage(assertThrows(IOException.class, () -> NorFlash.open(file, BLOCK, BLOCK, UNIT)), "already open");
            assertFalse(flash.toString().isEmpty());
        }
        NorFlash.open(file, BLOCK, BLOCK, UNIT).close();
    }

    @Test
    public void closedDeviceRefusesEveryOperation() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        NorFlash flash = NorFlash.open(file, BLOCK, BLOCK, UNIT);
        FlashRegion region = flash.region("r", 0, BLOCK);
        flash.close();
        flash.close();
        assertThrows(IOException.class, () -> region.read(0, ByteBuffer.allocate(1)));
        assertThrows(IOException.class, () -> region.program(0, ByteBuffer.allocate(UNIT)));
        assertThrows(IOException.class, () -> region.erase(0));
        assertThrows(IOException.class, region::sync);
        assertThrows(IOException.class, region::map);
        assertThrows(IOException.class, () -> region.eraseCount(0));
        assertThrows(IOException.class, flash::sync);
        assertThrows(IOException.class, () -> flash.corrupt(0, (byte) 1));
    }

    @Test
    public void syncForcesExactlyTheBytesChangedSinceTheLastSync() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 8 * BLOCK, BLOCK, UNIT)) {
            List<String> forced = listen(flash);
            FlashRegion region = flash.region("r", 2 * BLOCK, 4 * BLOCK);
            region.program(BLOCK + 96, ByteBuffer.wrap(pattern(2 * UNIT, 1)));
            region.sync();
            assertEquals(List.of("data " + (3 * BLOCK + 96) + "+" + 2 * UNIT), forced);
            // Two programs apart: one flush spanning both, so one disk cache flush.
            forced.clear();
            region.program(0, ByteBuffer.wrap(pattern(UNIT, 2)));
            region.program(3 * BLOCK, ByteBuffer.wrap(pattern(UNIT, 3)));
            flash.sync();
            assertEquals(List.of("data " + 2 * BLOCK + "+" + (3 * BLOCK + UNIT)), forced);
        }
    }

    @Test
    public void syncWithNothingChangedForcesNothing() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 2 * BLOCK, BLOCK, UNIT)) {
            List<String> forced = listen(flash);
            FlashRegion region = flash.region("r", 0, 2 * BLOCK);
            region.sync();
            flash.sync();
            region.program(0, ByteBuffer.wrap(pattern(UNIT, 4)));
            region.sync();
            region.sync();
            region.program(UNIT, ByteBuffer.allocate(0));
            flash.sync();
            assertEquals("only the one program is forced, once", List.of("data 0+" + UNIT), forced);
        }
    }

    @Test
    public void eraseCountsAreForcedOnlyAfterAnErase() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT)) {
            List<String> forced = listen(flash);
            FlashRegion region = flash.region("r", BLOCK, 3 * BLOCK);
            region.program(0, ByteBuffer.wrap(pattern(UNIT, 5)));
            region.sync();
            assertEquals(List.of("data " + BLOCK + "+" + UNIT), forced);
            forced.clear();
            region.erase(2);
            region.sync();
            assertEquals(List.of("data " + 3 * BLOCK + "+" + BLOCK, "wear"), forced);
            forced.clear();
            region.program(2 * BLOCK, ByteBuffer.wrap(pattern(UNIT, 6)));
            region.sync();
            assertEquals("the counts were made durable by the previous sync", List.of("data " + 3 * BLOCK + "+" + UNIT),
                    forced);
        }
    }

    @Test
    public void closeForcesWhatIsLeftAndAReopenSeesEverySyncedAndUnsyncedChange() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", 0, 4 * BLOCK);
            region.program(0, ByteBuffer.wrap(pattern(UNIT, 7)));
            region.erase(1);
            region.sync();
            region.program(BLOCK + UNIT, ByteBuffer.wrap(pattern(UNIT, 8)));
            flash.corrupt(3 * BLOCK, (byte) 0x01);
            region.erase(2);
            List<String> forced = listen(flash);
            flash.close();
            assertEquals(List.of("data " + (BLOCK + UNIT) + "+" + (2 * BLOCK - UNIT + 1), "wear"), forced);
        }
        byte[] raw = Files.readAllBytes(file);
        assertArrayEquals(pattern(UNIT, 7), Arrays.copyOfRange(raw, 0, UNIT));
        assertArrayEquals(pattern(UNIT, 8), Arrays.copyOfRange(raw, BLOCK + UNIT, BLOCK + 2 * UNIT));
        assertEquals((byte) 0xFE, raw[3 * BLOCK]);
        try (NorFlash flash = NorFlash.open(file, 4 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", 0, 4 * BLOCK);
            assertArrayEquals(pattern(UNIT, 8), read(region, BLOCK + UNIT, UNIT));
            assertArrayEquals(filled(BLOCK, 0xFF), read(region, 2 * BLOCK, BLOCK));
            assertEquals(0, flash.eraseCount(0));
            assertEquals(1, flash.eraseCount(1));
            assertEquals(1, flash.eraseCount(2));
        }
    }

    @Test
    public void programsThroughTheFileAreSeenByMappedViewsAtOnce() throws IOException {
        Path file = folder.getRoot().toPath().resolve("flash.img");
        try (NorFlash flash = NorFlash.open(file, 2 * BLOCK, BLOCK, UNIT)) {
            FlashRegion region = flash.region("r", BLOCK, BLOCK);
            ByteBuffer view = region.map();
            region.program(UNIT, ByteBuffer.wrap(pattern(UNIT, 9)));
            byte[] seen = new byte[UNIT];
            view.get(UNIT, seen);
            assertArrayEquals(pattern(UNIT, 9), seen);
            region.erase(0);
            assertEquals((byte) 0xFF, view.get(UNIT));
        }
    }

    /** Records each flush of a sync as {@code data <offset>+<length>} or {@code wear}. */
    private static List<String> listen(NorFlash flash) {
        List<String> forced = new ArrayList<>();
        flash.syncListener = new NorFlash.SyncListener() {
            @Override
            public void dataForced(int offset, int length) {
                forced.add("data " + offset + "+" + length);
            }

            @Override
            public void wearForced() {
                forced.add("wear");
            }
        };
        return forced;
    }

    static byte[] read(FlashRegion region, long offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        region.read(offset, dst);
        return dst.array();
    }

    static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static void assertMessage(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue("message \"" + e.getMessage() + "\" should contain \"" + part + "\"",
                    e.getMessage().contains(part));
        }
    }
}
