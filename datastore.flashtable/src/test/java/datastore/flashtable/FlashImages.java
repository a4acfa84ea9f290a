package datastore.flashtable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import datastore.flash.FlashGeometry;

/** Flash images with a table, as a tool writes them; shared with the device's tests through the test jar. */
public final class FlashImages {
    private FlashImages() {
    }

    /** A table of a ROM region at 0 and a runtime region, on a flash of 16-byte programs. */
    public static FlashTableImage.Table table(long size, int block, long romSize, long runtimeOffset,
            long runtimeSize) {
        return new FlashTableImage.Table(new FlashGeometry(size, block, 16), List.of(
                new FlashTableImage.Region("rom", 0, romSize),
                new FlashTableImage.Region("runtime", runtimeOffset, runtimeSize)));
    }

    /** Writes an erased flash carrying {@code table} to {@code factory.img} in {@code folder}. */
    public static Path image(FlashTableImage.Table table, Path folder) throws IOException {
        byte[] flash = new byte[(int) table.geometry().size()];
        Arrays.fill(flash, (byte) 0xFF);
        FlashTableImage.write(table, flash);
        return Files.write(folder.resolve("factory.img"), flash);
    }
}
