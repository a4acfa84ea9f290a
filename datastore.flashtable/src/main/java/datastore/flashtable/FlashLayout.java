package datastore.flashtable;

import java.util.ArrayList;
import java.util.List;

import datastore.flash.FlashGeometry;

/**
 * A validated partition table: the flash geometry and the regions carved out of it, aligned to the
 * erase block, inside the flash, disjoint and clear of the flash's last two erase blocks, which hold
 * the partition table itself ({@link ReservedBlocks}). A region of size 0 is disabled (not
 * registered), so a product can leave a partition's space unused without moving the others.
 *
 * @param geometry the whole flash
 * @param regions the enabled regions, unmodifiable, in the order given
 */
public record FlashLayout(FlashGeometry geometry, List<Region> regions) {

    /** One partition's place on the flash: {@code [offset, offset + size)}. */
    public record Region(String name, long offset, long size) {
        public long end() {
            return offset + size;
        }

        @Override
        public String toString() {
            return name + " region [" + hex(offset) + ", " + hex(end()) + ")";
        }
    }

    /** The smallest erase block: one must hold a whole copy of the partition table. */
    public static final int MIN_ERASE_BLOCK = 4096;

    /**
     * Checks a layout. Every refusal is an {@link IllegalArgumentException} whose message names the
     * offending numbers, so a bad configuration is fixed from the log alone.
     */
    public static FlashLayout of(long size, int eraseBlockSize, int programSize, Region... regions) {
        if (eraseBlockSize <= 0 || Integer.bitCount(eraseBlockSize) != 1) {
            throw new IllegalArgumentException("flash erase block size " + eraseBlockSize + " is not a power of two");
        }
        if (programSize <= 0 || Integer.bitCount(programSize) != 1 || programSize > eraseBlockSize) {
            throw new IllegalArgumentException("flash program size " + programSize
                    + " is not a power of two no larger than the erase block size " + eraseBlockSize);
        }
        if (size <= 0 || size % eraseBlockSize != 0) {
            throw new IllegalArgumentException("flash size " + hex(size) + " is not a positive multiple of the erase block size "
                    + hex(eraseBlockSize));
        }
        if (eraseBlockSize < MIN_ERASE_BLOCK) {
            throw new IllegalArgumentException("flash erase block size " + hex(eraseBlockSize) + " is below the "
                    + hex(MIN_ERASE_BLOCK) + " bytes a copy of the partition table needs");
        }
        if (size < 2L * eraseBlockSize) {
            throw new IllegalArgumentException("flash size " + hex(size) + " cannot hold the two erase blocks of "
                    + hex(eraseBlockSize) + " bytes that keep the partition table");
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("flash size " + hex(size) + " is over the 2 GiB a single memory map can hold");
        }
        List<Region> enabled = new ArrayList<>();
        for (Region region : regions) {
            if (region.offset() < 0 || region.size() < 0) {
                throw new IllegalArgumentException(region.name() + " region has a negative offset or size: offset "
                        + region.offset() + ", size " + region.size());
            }
            if (region.offset() % eraseBlockSize != 0 || region.size() % eraseBlockSize != 0) {
                throw new IllegalArgumentException(region + " is not aligned to the erase block size " + hex(eraseBlockSize));
            }
            if (region.size() == 0) {
                continue;
            }
            if (region.offset() >= size || region.size() > size - region.offset()) {
                throw new IllegalArgumentException(region + " does not fit the flash of " + hex(size) + " bytes");
            }
            long reserved = tableOffset(size, eraseBlockSize);
            if (region.end() > reserved) {
                throw new IllegalArgumentException(region + " overlaps [" + hex(reserved) + ", " + hex(size)
                        + "), the flash's last two erase blocks, which hold the partition table; end it at "
                        + hex(reserved) + " or before");
            }
            for (Region other : enabled) {
                if (region.offset() < other.end() && other.offset() < region.end()) {
                    throw new IllegalArgumentException(region + " overlaps " + other);
                }
            }
            enabled.add(region);
        }
        return new FlashLayout(new FlashGeometry(size, eraseBlockSize, programSize), List.copyOf(enabled));
    }

    /** Where the partition table's erase blocks start on a flash of {@code size}: its last two. */
    public static long tableOffset(long size, int blockSize) {
        return size - (long) ReservedBlocks.PARTITION_TABLE * blockSize;
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
