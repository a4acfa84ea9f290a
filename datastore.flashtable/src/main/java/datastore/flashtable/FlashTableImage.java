package datastore.flashtable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

/**
 * The flash's own partition table as manufacturing tools write and read it, without a framework: the
 * same validation, encoding and places as the device (its {@code FORMAT.md}), so a flash image built by a
 * tool is one the dock accepts, and a device dump describes its own layout. Not a contract between
 * bundles: the device embeds this library privately, tools put it on their class path.
 */
public final class FlashTableImage {
    /** The smallest and largest erase block a dump's table is looked for with. */
    static final int MIN_BLOCK = FlashLayout.MIN_ERASE_BLOCK;
    static final int MAX_BLOCK = 16 * 1024 * 1024;

    private FlashTableImage() {
    }

    /** One region of a table: {@code [offset, offset + size)} on the device. */
    public record Region(String name, long offset, long size) {
        public long end() {
            return offset + size;
        }
    }

    /**
     * A partition table: the flash geometry and its regions, in the order given.
     *
     * @param regions unmodifiable
     */
    public record Table(FlashGeometry geometry, List<Region> regions) {
        public Table {
            regions = List.copyOf(regions);
        }

        public Optional<Region> region(String name) {
            return regions.stream().filter(region -> region.name().equals(name)).findFirst();
        }
    }

    /**
     * Checks a layout as the device does at activation.
     *
     * @throws IllegalArgumentException naming the numbers: misaligned, overlapping, outside the flash
     *         or reaching into the table's last two erase blocks
     */
    public static Table validate(Table table) {
        return toTable(layout(table));
    }

    /** Where the two copies of the table start: the flash's last two erase blocks. */
    public static long tableOffset(FlashGeometry geometry) {
        return FlashLayout.tableOffset(geometry.size(), geometry.eraseBlockSize());
    }

    /** Where the rollback index's two erase blocks start, right before the table; negative when there is no room. */
    public static long rollbackIndexOffset(FlashGeometry geometry) {
        return RollbackIndexArea.offset(geometry.size(), geometry.eraseBlockSize());
    }

    /**
     * Writes both copies of {@code table} into {@code flash}, a whole erased flash image, as the device
     * writes them to an erased table area (sequence 1, each copy at the start of its erase block).
     */
    public static void write(Table table, byte[] flash) {
        FlashLayout layout = layout(table);
        if (flash.length != layout.geometry().size()) {
            throw new IllegalArgumentException("a flash image of " + flash.length + " bytes for a table of "
                    + layout.geometry().size());
        }
        ByteBuffer encoded = FlashTable.of(layout, 1).encode(layout.geometry().programSize());
        long offset = tableOffset(layout.geometry());
        for (int copy = 0; copy < 2; copy++) {
            encoded.duplicate().get(flash, (int) (offset + (long) copy * layout.geometry().eraseBlockSize()),
                    encoded.remaining());
        }
    }

    /**
     * The table a whole flash dump carries, found as the device would find it: for each erase block size
     * from 4 KiB up, the newest intact copy in the last two blocks whose geometry names this flash size
     * and that block size.
     *
     * @return empty when the dump holds no such table
     */
    public static Optional<Table> read(Path dump) throws IOException {
        try (FileChannel channel = FileChannel.open(dump, StandardOpenOption.READ)) {
            long size = channel.size();
            for (int block = MIN_BLOCK; block <= MAX_BLOCK && 2L * block <= size; block *= 2) {
                if (size % block != 0) {
                    break;
                }
                FlashTable best = null;
                for (int copy = 0; copy < 2; copy++) {
                    ByteBuffer bytes = ByteBuffer.allocate(block);
                    long at = size - (2 - copy) * (long) block;
                    while (bytes.hasRemaining() && channel.read(bytes, at + bytes.position()) >= 0) {
                        // read the whole block
                    }
                    if (FlashTable.decode(bytes.flip()) instanceof FlashTable.Valid valid
                            && valid.table().geometry().size() == size
                            && valid.table().geometry().eraseBlockSize() == block
                            && (best == null || valid.table().sequence() > best.sequence())) {
                        best = valid.table();
                    }
                }
                if (best != null) {
                    List<Region> regions = new ArrayList<>();
                    for (FlashLayout.Region entry : best.entries()) {
                        regions.add(new Region(entry.name(), entry.offset(), entry.size()));
                    }
                    return Optional.of(new Table(best.geometry(), regions));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The erase counts the sidecar {@code <dump>.wear} proves, one per block, -1 where unknown; empty when
     * there is no such file. Reads only.
     *
     * @param problems receives what was wrong with the file, if anything
     */
    public static Optional<long[]> eraseCounts(Path dump, FlashGeometry geometry, List<String> problems)
            throws IOException {
        Path wear = dump.resolveSibling(dump.getFileName() + EraseCountFormat.WEAR_SUFFIX);
        if (!Files.isRegularFile(wear)) {
            return Optional.empty();
        }
        return Optional.of(EraseCountFormat.knownCounts(ByteBuffer.wrap(Files.readAllBytes(wear)), geometry, problems));
    }

    /**
     * The rollback index the two erase blocks of {@code area} keep (0 when erased), read as the device
     * reads it.
     *
     * @throws IllegalStateException if they hold bytes that are not index records
     */
    public static long rollbackIndex(FlashRegion area) throws IOException {
        return new RollbackIndexArea(area).highest();
    }

    /** The device's validated layout of {@code table}. */
    public static FlashLayout layout(Table table) {
        FlashGeometry geometry = table.geometry();
        return FlashLayout.of(geometry.size(), geometry.eraseBlockSize(), geometry.programSize(), table.regions()
                .stream().map(region -> new FlashLayout.Region(region.name(), region.offset(), region.size()))
                .toArray(FlashLayout.Region[]::new));
    }

    static Table toTable(FlashLayout layout) {
        return new Table(layout.geometry(), layout.regions().stream()
                .map(region -> new Region(region.name(), region.offset(), region.size())).toList());
    }
}
