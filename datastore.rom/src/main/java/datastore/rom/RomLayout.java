package datastore.rom;

import datastore.flash.FlashGeometry;

/**
 * Where the parts of the ROM live inside its flash region, derived from the region's geometry alone
 * so that the manufacturing tools and the dock always agree: two commit blocks at the start, then the
 * unique-per-dock (UPD) section, then two equal application slots. The UPD section takes one
 * twenty-eighth of the region's blocks (at least one): 1 MiB of the default 28 MiB region of 64 KiB
 * blocks, whose slots are then 215 blocks (13.4375 MiB) each. A block left over by an odd count stays
 * unused.
 *
 * @param geometry the region's geometry
 * @param commitRecordSize the stride of commit records: 64 bytes, or the program size if larger
 * @param updOffset the UPD section's offset in the region
 * @param updSize the UPD section's size in bytes
 * @param slotSize the size of each application slot in bytes
 */
public record RomLayout(FlashGeometry geometry, int commitRecordSize, long updOffset, long updSize, long slotSize) {

    /** Erase blocks given to commit records: two, so that one can be erased while the other holds the newest. */
    public static final int COMMIT_BLOCKS = 2;

    /** The smallest region: two commit blocks, one UPD block and a block per slot. */
    public static final int MIN_BLOCKS = COMMIT_BLOCKS + 3;

    /**
     * The layout of a region.
     *
     * @throws IllegalArgumentException if the region has fewer than {@value #MIN_BLOCKS} erase blocks,
     *         its blocks are smaller than a commit record, or a slot would exceed 2 GiB
     */
    public static RomLayout of(FlashGeometry geometry) {
        int blocks = geometry.blocks();
        if (blocks < MIN_BLOCKS) {
            throw new IllegalArgumentException("a ROM region needs at least " + MIN_BLOCKS + " erase blocks, but "
                    + geometry + " has " + blocks);
        }
        if (geometry.eraseBlockSize() < CommitRecord.SIZE) {
            throw new IllegalArgumentException("a ROM region needs erase blocks of at least " + CommitRecord.SIZE
                    + " bytes, one commit record, but " + geometry + " has " + geometry.eraseBlockSize());
        }
        long block = geometry.eraseBlockSize();
        int updBlocks = Math.max(1, blocks / 28);
        int slotBlocks = (blocks - COMMIT_BLOCKS - updBlocks) / 2;
        if (slotBlocks * block > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ROM slots of " + slotBlocks * block + " bytes exceed 2 GiB");
        }
        int recordSize = Math.max(CommitRecord.SIZE, geometry.programSize());
        return new RomLayout(geometry, recordSize, COMMIT_BLOCKS * block, updBlocks * block, slotBlocks * block);
    }

    /** The offset of slot 0 or 1 in the region. */
    public long slotOffset(int slot) {
        if (slot != 0 && slot != 1) {
            throw new IllegalArgumentException("there are slots 0 and 1, not " + slot);
        }
        return updOffset + updSize + slot * slotSize;
    }

    /** The first erase block of slot 0 or 1. */
    public int slotFirstBlock(int slot) {
        return (int) (slotOffset(slot) / geometry.eraseBlockSize());
    }

    /** How many commit records one commit block holds. */
    public int recordsPerBlock() {
        return geometry.eraseBlockSize() / commitRecordSize;
    }

    /** The region offset of record {@code index} of commit block {@code block} (0 or 1). */
    public long recordOffset(int block, int index) {
        return (long) block * geometry.eraseBlockSize() + (long) index * commitRecordSize;
    }
}
