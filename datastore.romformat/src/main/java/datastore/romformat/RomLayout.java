package datastore.romformat;

import datastore.flash.FlashGeometry;

/**
 * Where the parts of the ROM live inside its flash region, derived from the region's geometry and the
 * format version alone, so that the manufacturing tools and the dock always agree.
 *
 * <p>Format 3 ({@link #of}): four commit blocks in two groups of two (every record is written to
 * both blocks of a group, so one damaged block or record loses nothing), then the unique-per-dock
 * (UPD) section, then two equal application slots. The UPD section takes one twenty-eighth of the
 * region's blocks, at least two; its second half holds a whole copy of its image. Each slot ends with
 * the blocks that hold the copy of its image's header and page table ({@link #copyBlocks}), so the
 * two copies never share an erase block; the image itself must end before them. The default 28 MiB
 * region of 64 KiB blocks has a 1 MiB UPD section (512 KiB per copy) and slots of 214 blocks (two of
 * them for the copy).
 *
 * <p>Format 2 ({@link #legacy}), read as it is: two commit blocks of one record copy each, a UPD
 * section of one twenty-eighth of the blocks (at least one), two slots, no copies. A block left over
 * by an odd count stays unused in both.
 *
 * @param geometry the region's geometry
 * @param formatVersion the image format version the region holds, 2 or 3
 * @param commitBlocks erase blocks of commit records at the region's start
 * @param recordCopies how many blocks each commit record is written to (a group), 1 or 2
 * @param commitRecordSize the stride of commit records in a block
 * @param updOffset the UPD section's offset in the region
 * @param updSize the UPD section's size in bytes, its copy blocks included
 * @param updCopySize bytes at the end of the UPD section kept for the whole copy of its image
 * @param slotSize the size of each application slot in bytes, its copy blocks included
 * @param slotCopySize bytes at the end of each slot kept for the copy of its header and page table
 */
public record RomLayout(FlashGeometry geometry, int formatVersion, int commitBlocks, int recordCopies,
        int commitRecordSize, long updOffset, long updSize, long updCopySize, long slotSize, long slotCopySize) {

    /** Erase blocks of commit records in format 3: two groups of two. */
    public static final int COMMIT_BLOCKS = 4;

    /** The smallest format 3 region: four commit blocks, two UPD blocks and two blocks per slot. */
    public static final int MIN_BLOCKS = COMMIT_BLOCKS + 2 + 2 * 2;

    /**
     * The format 3 layout of a region: what this code writes.
     *
     * @throws IllegalArgumentException if the region has fewer than {@value #MIN_BLOCKS} erase blocks,
     *         its blocks are smaller than a commit record, a slot would exceed 2 GiB, or the copy of a
     *         section's header and page table would leave no room for its image
     */
    public static RomLayout of(FlashGeometry geometry) {
        int blocks = geometry.blocks();
        if (blocks < MIN_BLOCKS) {
            throw new IllegalArgumentException("a ROM region needs at least " + MIN_BLOCKS + " erase blocks, but "
                    + geometry + " has " + blocks);
        }
        int recordSize = Math.max(CommitRecord.SIZE, geometry.programSize());
        if (geometry.eraseBlockSize() < recordSize) {
            throw new IllegalArgumentException("a ROM region needs erase blocks of at least " + recordSize
                    + " bytes, one commit record, but " + geometry + " has " + geometry.eraseBlockSize());
        }
        long block = geometry.eraseBlockSize();
        int updBlocks = Math.max(2, blocks / 28);
        int slotBlocks = (blocks - COMMIT_BLOCKS - updBlocks) / 2;
        if (slotBlocks * block > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ROM slots of " + slotBlocks * block + " bytes exceed 2 GiB");
        }
        // The UPD section is small and written once: its second half holds a whole copy of its image.
        long updCopy = updBlocks / 2 * block;
        long slotCopy = copyBlocks(slotBlocks * block, geometry.eraseBlockSize()) * block;
        if (updCopy >= updBlocks * block || slotCopy >= slotBlocks * block) {
            throw new IllegalArgumentException("a ROM region of " + geometry + " leaves no room for an image beside "
                    + "the copy of its header and page table; use more or larger erase blocks");
        }
        return new RomLayout(geometry, RomImageFormat.VERSION, COMMIT_BLOCKS, 2, recordSize, COMMIT_BLOCKS * block,
                updBlocks * block, updCopy, slotBlocks * block, slotCopy);
    }

    /**
     * The format 2 layout of a region, which format 2 flash (docks and ROM tools before format 3) has.
     *
     * @throws IllegalArgumentException if the region is too small for it
     */
    public static RomLayout legacy(FlashGeometry geometry) {
        int blocks = geometry.blocks();
        if (blocks < 5 || geometry.eraseBlockSize() < CommitRecord.LEGACY_SIZE) {
            throw new IllegalArgumentException("a format 2 ROM region needs at least 5 erase blocks of at least "
                    + CommitRecord.LEGACY_SIZE + " bytes, but " + geometry + " has " + blocks);
        }
        long block = geometry.eraseBlockSize();
        int updBlocks = Math.max(1, blocks / 28);
        int slotBlocks = (blocks - 2 - updBlocks) / 2;
        int recordSize = Math.max(CommitRecord.LEGACY_SIZE, geometry.programSize());
        return new RomLayout(geometry, 2, 2, 1, recordSize, 2 * block, updBlocks * block, 0, slotBlocks * block, 0);
    }

    /**
     * Erase blocks that hold a copy of the header and page table of the largest image a section of
     * {@code sectionSize} bytes can hold.
     */
    static long copyBlocks(long sectionSize, int blockSize) {
        long pages = (sectionSize + RomImageFormat.PAGE_SIZE - 1) / RomImageFormat.PAGE_SIZE;
        long bytes = RomImageFormat.pagedStart(pages);
        return (bytes + blockSize - 1) / blockSize;
    }

    /** The offset of slot 0 or 1 in the region. */
    public long slotOffset(int slot) {
        if (slot != 0 && slot != 1) {
            throw new IllegalArgumentException("there are slots 0 and 1, not " + slot);
        }
        return updOffset + updSize + slot * slotSize;
    }

    /** The most bytes an application image may have: the slot less its copy blocks. */
    public long slotImageRoom() {
        return slotSize - slotCopySize;
    }

    /** The most bytes a UPD image may have: the section less its copy blocks. */
    public long updImageRoom() {
        return updSize - updCopySize;
    }

    /** Where the copy of slot {@code slot}'s header and page table goes, or -1 in format 2. */
    public long slotCopyOffset(int slot) {
        return slotCopySize == 0 ? -1 : slotOffset(slot) + slotSize - slotCopySize;
    }

    /** Where the copy of the UPD header and page table goes, or -1 in format 2. */
    public long updCopyOffset() {
        return updCopySize == 0 ? -1 : updOffset + updSize - updCopySize;
    }

    /** The first erase block of slot 0 or 1. */
    public int slotFirstBlock(int slot) {
        return (int) (slotOffset(slot) / geometry.eraseBlockSize());
    }

    /** How many commit records one commit block holds. */
    public int recordsPerBlock() {
        return geometry.eraseBlockSize() / commitRecordSize;
    }

    /** Groups of commit blocks: a record goes to every block of one group. */
    public int commitGroups() {
        return commitBlocks / recordCopies;
    }

    /** The region offset of record {@code index} of commit block {@code block}. */
    public long recordOffset(int block, int index) {
        return (long) block * geometry.eraseBlockSize() + (long) index * commitRecordSize;
    }
}
