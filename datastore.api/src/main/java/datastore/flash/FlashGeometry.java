package datastore.flash;

/**
 * The shape of a flash region.
 *
 * @param size the region's size in bytes, a multiple of {@code eraseBlockSize}
 * @param eraseBlockSize the size of one erase block in bytes, a power of two
 * @param programSize the program granularity in bytes: offsets and lengths of a program are
 *        multiples of it
 */
public record FlashGeometry(long size, int eraseBlockSize, int programSize) {

    /** The number of erase blocks in the region. */
    public int blocks() {
        return (int) (size / eraseBlockSize);
    }
}
