package datastore.device;

import static datastore.device.NorFlashTest.pattern;
import static datastore.device.NorFlashTest.read;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.flash.FlashRegion;
import datastore.flashtable.EraseCountFormat;

/**
 * The erase-count sidecar is housekeeping: whatever happened to it, the flash opens and serves every
 * byte, and no count that can still be read (or bounded) goes down.
 */
public class EraseCountFileTest {
    private static final int BLOCK = 4096;
    private static final int UNIT = 16;
    /** Four chunks of counts: 64, 64, 64 and 8 blocks. */
    private static final int BLOCKS = 200;
    private static final long SIZE = (long) BLOCKS * BLOCK;
    private static final int HIGHEST_BLOCK = 70;
    private static final long HIGHEST = 9;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path image;
    private Path wear;
    private long[] expected;
    private byte[] content;

    /** Erases blocks unevenly (block 70 most, 9 times), programs every block, keeps the image and counts. */
    @Before
    public void writeFlash() throws IOException {
        image = folder.getRoot().toPath().resolve("flash.img");
        wear = folder.getRoot().toPath().resolve("flash.img.wear");
        expected = new long[BLOCKS];
        try (NorFlash flash = NorFlash.open(image, SIZE, BLOCK, UNIT)) {
            FlashRegion all = flash.region("all", 0, SIZE);
            for (int block = 0; block < BLOCKS; block++) {
                int erases = block == HIGHEST_BLOCK ? (int) HIGHEST : block % 5;
                for (int i = 0; i < erases; i++) {
                    all.erase(block);
                }
                expected[block] = erases;
                all.program((long) block * BLOCK + 64, ByteBuffer.wrap(pattern(2 * UNIT, block)));
            }
            assertNull(flash.eraseCountProblem());
        }
        content = Files.readAllBytes(image);
        assertEquals(EraseCountFormat.fileSize(BLOCKS), Files.size(wear));
    }

    @Test
    public void aCleanFileKeepsEveryCount() throws IOException {
        try (NorFlash flash = open()) {
            assertNull(flash.eraseCountProblem());
            assertCounts(flash, expected, true);
        }
    }

    @Test
    public void aMissingFileIsRebuiltAndTheFlashServed() throws IOException {
        Files.delete(wear);
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "is missing", "written anew at the next erase");
            assertServed(flash);
            assertFalse("nothing written before an erase", Files.exists(wear));
            flash.region("all", 0, SIZE).erase(3);
            assertEquals(1, flash.eraseCount(3));
        }
        try (NorFlash flash = open()) {
            assertNull("rebuilt", flash.eraseCountProblem());
            assertEquals(1, flash.eraseCount(3));
        }
    }

    @Test
    public void anEmptyFileIsRebuiltAndTheFlashServed() throws IOException {
        Files.write(wear, new byte[0]);
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "is empty", "unreadable");
            assertServed(flash);
            erasedOnceMore(flash, 5);
        }
        reopenedClean(5);
    }

    @Test
    public void aTruncatedFileKeepsWhatItStillHoldsAndEstimatesTheRestUpwards() throws IOException {
        // The header and the first chunk of the first copy survive.
        truncate(EraseCountFormat.HEADER + EraseCountFormat.CHUNK + 100);
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "instead of " + EraseCountFormat.fileSize(BLOCKS), "136 of 200 block counts",
                    "estimated as 9");
            assertServed(flash);
            for (int block = 0; block < BLOCKS; block++) {
                long count = flash.eraseCount(block);
                if (block < 64) {
                    assertEquals("block " + block + " of the intact chunk", expected[block], count);
                } else {
                    assertEquals("block " + block + " takes the highest count in the header", HIGHEST, count);
                }
            }
            erasedOnceMore(flash, 100);
        }
        reopenedClean(100);
    }

    @Test
    public void aFileCutInsideItsHeaderStillServes() throws IOException {
        truncate(10);
        try (NorFlash flash = open()) {
            assertNotNull(flash.eraseCountProblem());
            assertServed(flash);
        }
    }

    @Test
    public void garbageIsRebuiltAndTheFlashServed() throws IOException {
        byte[] garbage = new byte[(int) Files.size(wear)];
        new Random(11).nextBytes(garbage);
        Files.write(wear, garbage);
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "is not an erase-count file");
            assertServed(flash);
            erasedOnceMore(flash, 7);
        }
        reopenedClean(7);
    }

    @Test
    public void oneCopyDamagedInEveryChunkAndBothHeadersLosesNoCount() throws IOException {
        for (int chunk = 0; chunk < EraseCountFormat.chunks(BLOCKS); chunk++) {
            flip(EraseCountFormat.chunkOffset(BLOCKS, chunk % 2, chunk) + 8 * (chunk % 7), 0x04);
        }
        flip(EraseCountFormat.H_BLOCKS, 0x01);
        flip(EraseCountFormat.copySize(BLOCKS) + EraseCountFormat.H_HIGHEST + 7, 0x10);
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "both copies of its header", "4 chunk copies of 8",
                    "every block count was recovered");
            assertServed(flash);
            assertCounts(flash, expected, true);
            erasedOnceMore(flash, 130);
        }
        reopenedClean(130);
    }

    @Test
    public void aChunkDamagedInBothCopiesIsEstimatedAsTheHighestCount() throws IOException {
        flip(EraseCountFormat.chunkOffset(BLOCKS, 0, 1) + 3, 0x01);
        flip(EraseCountFormat.chunkOffset(BLOCKS, 1, 1) + 200, 0x80);
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "64 of 200 block counts are unreadable and estimated as 9");
            assertServed(flash);
            assertCounts(flash, expected, false);
            assertEquals(HIGHEST, flash.eraseCount(64));
            assertEquals(expected[0], flash.eraseCount(0));
        }
    }

    @Test
    public void copiesLeftApartByAPowerCutTakeTheNewerCount() throws IOException {
        byte[] before = Files.readAllBytes(wear);
        try (NorFlash flash = open()) {
            flash.region("all", 0, SIZE).erase(1);
        }
        // The cut: the second copy never got the erase, both copies pass their checksums.
        byte[] after = Files.readAllBytes(wear);
        int second = (int) EraseCountFormat.copySize(BLOCKS);
        System.arraycopy(before, second, after, second, before.length - second);
        Files.write(wear, after);
        try (NorFlash flash = open()) {
            assertEquals(expected[1] + 1, flash.eraseCount(1));
        }
    }

    @Test
    public void theOlderFormatIsReadAndMigratedAtTheNextEraseOnly() throws IOException {
        ByteBuffer legacy = ByteBuffer.allocate(EraseCountFormat.LEGACY_HEADER + 8 * BLOCKS);
        legacy.putInt(EraseCountFormat.MAGIC).putInt(1).putInt(BLOCKS).putInt(BLOCK);
        for (long count : expected) {
            legacy.putLong(count);
        }
        Files.write(wear, legacy.array());
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "older erase-count format 1", "every block count was recovered");
            assertCounts(flash, expected, true);
            assertServed(flash);
        }
        assertArrayEquals("no erase, no write: an older build can still read it", legacy.array(),
                Files.readAllBytes(wear));
        // What a migration cut before its rename leaves behind must not matter to the next one.
        Files.write(wear.resolveSibling("flash.img.wear.tmp"), new byte[] {9, 9, 9});
        try (NorFlash flash = open()) {
            erasedOnceMore(flash, 2);
        }
        assertEquals(EraseCountFormat.FORMAT, ByteBuffer.wrap(Files.readAllBytes(wear)).getInt(EraseCountFormat.H_FORMAT));
        assertFalse("the temporary file was renamed", Files.exists(wear.resolveSibling("flash.img.wear.tmp")));
        reopenedClean(2);
    }

    @Test
    public void aNewerFormatIsLeftAsItIsAndTheFlashServed() throws IOException {
        byte[] newer = Files.readAllBytes(wear);
        ByteBuffer.wrap(newer).putInt(EraseCountFormat.H_FORMAT, 3);
        ByteBuffer.wrap(newer).putInt((int) EraseCountFormat.copySize(BLOCKS) + EraseCountFormat.H_FORMAT, 3);
        Files.write(wear, newer);
        try (NorFlash flash = open()) {
            assertMessage(problem(flash), "format 3, newer than this build's 2", "left as it is");
            assertServed(flash);
            FlashRegion all = flash.region("all", 0, SIZE);
            all.erase(4);
            all.sync();
            assertEquals("counted in memory", 1, flash.eraseCount(4));
        }
        assertArrayEquals(newer, Files.readAllBytes(wear));
    }

    @Test
    public void countsOfAnotherEraseBlockSizeAreMappedUpwards() throws IOException {
        try (NorFlash flash = NorFlash.open(image, SIZE, 2 * BLOCK, UNIT)) {
            assertMessage(problem(flash), "4096-byte blocks", "8192-byte blocks");
            for (int block = 0; block < BLOCKS / 2; block++) {
                assertEquals(Math.max(expected[2 * block], expected[2 * block + 1]), flash.eraseCount(block));
            }
        }
    }

    private NorFlash open() throws IOException {
        return NorFlash.open(image, SIZE, BLOCK, UNIT);
    }

    private static void assertMessage(String message, String... parts) {
        for (String part : parts) {
            assertTrue("\"" + message + "\" should contain \"" + part + "\"", message.contains(part));
        }
    }

    private static String problem(NorFlash flash) {
        String problem = flash.eraseCountProblem();
        assertNotNull("a problem is reported", problem);
        return problem;
    }

    /** Every byte of the image reads as written, and the file itself is unchanged. */
    private void assertServed(NorFlash flash) throws IOException {
        assertArrayEquals(content, read(flash.region("all", 0, SIZE), 0, (int) SIZE));
        assertArrayEquals(content, Files.readAllBytes(image));
    }

    private static void assertCounts(NorFlash flash, long[] counts, boolean exact) throws IOException {
        for (int block = 0; block < counts.length; block++) {
            long count = flash.eraseCount(block);
            assertTrue("block " + block + ": " + count + " is below " + counts[block], count >= counts[block]);
            if (exact) {
                assertEquals("block " + block, counts[block], count);
            }
        }
    }

    /** Erases {@code block} and syncs; its count goes up by one from what the device showed. */
    private static void erasedOnceMore(NorFlash flash, int block) throws IOException {
        long before = flash.eraseCount(block);
        FlashRegion all = flash.region("all", 0, SIZE);
        all.erase(block);
        all.sync();
        assertEquals(before + 1, flash.eraseCount(block));
    }

    private void reopenedClean(int erased) throws IOException {
        try (NorFlash flash = open()) {
            assertNull("the file was rebuilt", flash.eraseCountProblem());
            assertTrue(flash.eraseCount(erased) >= 1);
        }
    }

    private void truncate(long size) throws IOException {
        try (FileChannel channel = FileChannel.open(wear, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    private void flip(long offset, int mask) throws IOException {
        byte[] bytes = Files.readAllBytes(wear);
        bytes[(int) offset] ^= (byte) mask;
        Files.write(wear, bytes);
    }
}
