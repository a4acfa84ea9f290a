package datastore.romformat;

import datastore.flash.FlashRegion;

/**
 * The geometry and identity a ROM region was written for, as format 3 commit records carry it: where
 * the region starts on its device, its size, erase block and program size, the partition's name and
 * the image format version. A region whose records name another identity than the configured one
 * (the partition table changed: the region was resized, moved or swapped) is refused, not misread.
 *
 * @param partition the partition's name, {@code rom}, at most 4 ASCII bytes
 * @param formatVersion the image format version
 * @param deviceOffset where the region starts on its device
 * @param size the region's size in bytes
 * @param eraseBlockSize its erase block size
 * @param programSize its program size
 */
record RomIdentity(String partition, int formatVersion, long deviceOffset, long size, int eraseBlockSize,
        int programSize) {

    /** The identity this code writes for {@code region}. */
    public static RomIdentity of(FlashRegion region) {
        return new RomIdentity(datastore.Partitions.ROM, RomImageFormat.VERSION, region.deviceOffset(),
                region.geometry().size(), region.geometry().eraseBlockSize(), region.geometry().programSize());
    }

    /** Whether the geometry and partition are the same; the format version is judged apart. */
    public boolean sameRegion(RomIdentity other) {
        return partition.equals(other.partition) && deviceOffset == other.deviceOffset && size == other.size
                && eraseBlockSize == other.eraseBlockSize && programSize == other.programSize;
    }

    @Override
    public String toString() {
        return "partition \"" + partition + "\" at device offset " + deviceOffset + ", " + size + " bytes in erase "
                + "blocks of " + eraseBlockSize + " bytes, programs of " + programSize + " bytes, format " + formatVersion;
    }
}
