package datastore.flashtable;

import static datastore.flashtable.FlashImages.table;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A table a tool writes with {@link FlashTableImage} is read back from the flash image as written, and a
 * layout the device would refuse is refused with its numbers.
 */
public class FlashTableImageTest {
    private static final int BLOCK = 4096;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void aWrittenTableIsReadBackWithItsOwnErasBlockSize() throws IOException {
        for (int block : new int[] {4096, 65536}) {
            FlashTableImage.Table table = table(40L * block, block, 10L * block, 12L * block, 20L * block);
            assertEquals(table, FlashTableImage.read(FlashImages.image(table, folder.newFolder().toPath())).orElseThrow());
        }
    }

    @Test
    public void aFileWithoutATableDescribesNothing() throws IOException {
        Path file = folder.newFile().toPath();
        byte[] erased = new byte[40 * BLOCK];
        Arrays.fill(erased, (byte) 0xFF);
        Files.write(file, erased);
        assertFalse(FlashTableImage.read(file).isPresent());
    }

    @Test
    public void anInvalidLayoutIsRefusedWithItsNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlashTableImage.validate(table(40L * BLOCK, BLOCK, 10L * BLOCK, 30L * BLOCK, 10L * BLOCK)));
        assertTrue(e.getMessage(), e.getMessage().contains("overlaps [0x26000, 0x28000)"));
    }
}
