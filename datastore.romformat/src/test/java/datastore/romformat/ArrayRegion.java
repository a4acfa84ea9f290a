package datastore.romformat;

import java.nio.ByteBuffer;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

/**
 * A read-only flash region over a byte array, for tests that mount many damaged copies of one image:
 * mounting never writes, and any write here fails the test.
 */
public final class ArrayRegion implements FlashRegion {
    private final byte[] bytes;
    private final FlashGeometry geometry;
    private final long deviceOffset;

    public ArrayRegion(byte[] bytes, int eraseBlockSize, int programSize, long deviceOffset) {
        this.bytes = bytes;
        this.geometry = new FlashGeometry(bytes.length, eraseBlockSize, programSize);
        this.deviceOffset = deviceOffset;
    }

    @Override
    public String name() {
        return "rom";
    }

    @Override
    public FlashGeometry geometry() {
        return geometry;
    }

    @Override
    public long deviceOffset() {
        return deviceOffset;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        dst.put(bytes, (int) offset, dst.remaining());
    }

    @Override
    public void program(long offset, ByteBuffer src) {
        throw new AssertionError("a mount wrote to the flash");
    }

    @Override
    public void erase(int block) {
        throw new AssertionError("a mount erased a block");
    }

    @Override
    public void sync() {
    }

    @Override
    public ByteBuffer map() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    @Override
    public long eraseCount(int block) {
        return 0;
    }
}
