package datastore.device;

import static datastore.device.NorFlash.hex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

/**
 * A window on a {@link NorFlash}: it translates the region's offsets and blocks to the device's
 * and checks every call against the window, so it cannot reach its neighbours; the device applies
 * the NOR rules and serializes the changes.
 */
final class NorFlashRegion implements FlashRegion {
    private final NorFlash device;
    private final String name;
    private final long base;
    private final FlashGeometry geometry;
    private final ByteBuffer view;
    /** How a refusal names the region: built once, not at every block-number check. */
    private final String where;

    NorFlashRegion(NorFlash device, String name, long base, FlashGeometry geometry) {
        this.device = device;
        this.name = name;
        this.base = base;
        this.geometry = geometry;
        this.view = device.readOnlyView((int) base, (int) geometry.size());
        this.where = "region " + name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FlashGeometry geometry() {
        return geometry;
    }

    @Override
    public long deviceOffset() {
        return base;
    }

    /**
     * Fills {@code dst} from its position to its limit, like a channel read: afterwards its
     * position is at its limit.
     */
    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        device.checkOpen();
        checkRange("read", offset, dst.remaining());
        device.read((int) (base + offset), dst);
    }

    /**
     * ANDs the bytes of {@code src} from its position to its limit into the flash, like a
     * channel write: afterwards its position is at its limit. Nothing is written when the
     * arguments are refused.
     */
    @Override
    public void program(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        int unit = geometry.programSize();
        if (offset % unit != 0 || length % unit != 0) {
            throw new IllegalArgumentException("program at offset " + offset + " of " + length + " bytes in region "
                    + name + ": offset and length must be multiples of the program size " + unit);
        }
        checkRange("program", offset, length);
        device.program((int) (base + offset), src);
        src.position(src.limit());
    }

    @Override
    public void erase(int block) throws IOException {
        NorFlash.checkBlock(block, geometry.blocks(), where);
        device.erase((int) (base / geometry.eraseBlockSize()) + block);
    }

    /**
     * Forces everything changed on the device since its last sync, not only in this region: one
     * flush for all of it is cheaper than one per region, and early durability is harmless.
     */
    @Override
    public void sync() throws IOException {
        device.sync();
    }

    /** A read-only, big-endian view of just this region, sharing the device's memory. */
    @Override
    public ByteBuffer map() throws IOException {
        device.checkOpen();
        return view.duplicate().order(ByteOrder.BIG_ENDIAN);
    }

    @Override
    public long eraseCount(int block) throws IOException {
        NorFlash.checkBlock(block, geometry.blocks(), where);
        return device.eraseCount((int) (base / geometry.eraseBlockSize()) + block);
    }

    private void checkRange(String operation, long offset, int length) {
        if (offset < 0 || offset > geometry.size() || length > geometry.size() - offset) {
            throw new IllegalArgumentException(operation + " at offset " + offset + " of " + length
                    + " bytes is outside region " + name + " of " + geometry.size() + " bytes");
        }
    }

    @Override
    public String toString() {
        return "FlashRegion[" + name + " at " + hex(base) + " of " + device.description() + ", " + geometry + "]";
    }
}
