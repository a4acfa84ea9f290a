package datastore.flash;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A region of a NOR-like flash device, bound to one partition. Offsets are relative to the region.
 * Erasing a block sets all its bytes to {@code 0xFF}; programming can only clear bits (a program of
 * {@code b} over {@code a} leaves {@code a & b}); programmed bytes are durable after {@link #sync()}.
 * The device bundle registers one service per partition with the {@link #REGION} property; a
 * partition binds to its region by a target filter such as {@code (region=runtime)}.
 */
@ProviderType
public interface FlashRegion {

    /** Service property, {@code String}: the region's name, equal to its partition's name. */
    String REGION = "region";

    /**
     * Framework property, {@code String}: the path of a flash file that carries its own partition table
     * (one built for manufacture, or a device dump). When it is set, the device serves that file with
     * the layout its table names, whatever the configured layout, and a partition whose configured
     * payload promise does not fit its region promises what the region holds instead.
     */
    String FLASH_FILE = "datastore.flash.file";

    /** The region's name. */
    String name();

    FlashGeometry geometry();

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Programs {@code src.remaining()} bytes at {@code offset}: each flash byte becomes the AND of its
     * old value and the new one. Offset and length must be multiples of the program size.
     */
    void program(long offset, ByteBuffer src) throws IOException;

    /** Erases one block (sets it to {@code 0xFF}) and counts the erase. */
    void erase(int block) throws IOException;

    /** Makes every earlier program and erase durable. */
    void sync() throws IOException;

    /**
     * A read-only view of the whole region that copies nothing (a memory map of the device), for
     * zero-copy reads. It reflects later programs and erases.
     */
    ByteBuffer map() throws IOException;

    /** How many times a block has been erased over the device's life. */
    long eraseCount(int block) throws IOException;

    /**
     * Where the region starts on its device, in bytes. A partition records it in its own on-flash
     * structures, so that a region moved by a changed partition table is recognised and refused
     * instead of being misread. This default, 0, suits a region that is a whole device of its own.
     *
     * @since 1.1
     */
    default long deviceOffset() {
        return 0;
    }
}
