package datastore.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

/**
 * A flash region for power-loss tests that wraps another and cuts the power at a chosen operation.
 * Each {@code program} and each {@code erase} is one operation (numbered from 1, counted even when
 * refused); reads, {@code sync}, {@code map} and erase counts are not. Once the power is cut, every
 * program, erase and sync throws {@link PowerCutException} without touching the target, while reads
 * and {@code map} keep working and show exactly what reached the target, so a test can inspect the
 * flash and then "remount" by building a new engine over the target region.
 */
public final class FaultInjectingRegion implements FlashRegion {
    private final FlashRegion target;
    private long cutAfter = Long.MAX_VALUE;
    private long tearAt;
    private long operations;
    private boolean powerCut;

    public FaultInjectingRegion(FlashRegion target) {
        this.target = Objects.requireNonNull(target, "target");
    }

    /**
     * Lets operations 1 to {@code operations} reach the target; operation {@code operations + 1}
     * and everything after it fail. {@code 0} cuts the power at the first operation.
     *
     * @throws IllegalArgumentException if {@code operations} is negative
     */
    public synchronized FaultInjectingRegion cutPowerAfter(long operations) {
        if (operations < 0) {
            throw new IllegalArgumentException("cannot cut power after " + operations + " operations");
        }
        this.cutAfter = operations;
        return this;
    }

    /**
     * Tears operation {@code operation}: if it is a program of {@code n} bytes, only its first
     * {@code n / 2} bytes rounded down to a multiple of the program size reach the target (possibly
     * none), then the power is cut. If it is an erase, the erase does not happen and the power is
     * cut, as with {@code cutPowerAfter(operation - 1)}. Everything after it fails.
     *
     * @throws IllegalArgumentException if {@code operation} is not positive
     */
    public synchronized FaultInjectingRegion tearProgramAt(long operation) {
        if (operation < 1) {
            throw new IllegalArgumentException("operations are numbered from 1, not " + operation);
        }
        this.tearAt = operation;
        return this;
    }

    /** The programs and erases attempted so far, including refused and failed ones. */
    public synchronized long operations() {
        return operations;
    }

    /** Whether the power has been cut. */
    public synchronized boolean powerCut() {
        return powerCut;
    }

    @Override
    public String name() {
        return target.name();
    }

    @Override
    public FlashGeometry geometry() {
        return target.geometry();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        target.read(offset, dst);
    }

    /** Programs through to the target unless the power is cut; {@code src} is left untouched when it is. */
    @Override
    public synchronized void program(long offset, ByteBuffer src) throws IOException {
        long operation = ++operations;
        String what = "program at offset " + offset + " of " + src.remaining() + " bytes";
        checkPower(operation, what);
        if (operation == tearAt) {
            int length = src.remaining();
            int unit = target.geometry().programSize();
            long size = target.geometry().size();
            // A program the target would refuse is refused here too rather than half-written.
            if (offset % unit != 0 || length % unit != 0 || offset < 0 || offset > size || length > size - offset) {
                throw new IllegalArgumentException(what + " in region " + target.name() + " of " + size
                        + " bytes: not aligned to the program size " + unit + " or not inside the region");
            }
            int prefix = length / 2 / unit * unit;
            ByteBuffer head = src.duplicate();
            head.limit(head.position() + prefix);
            target.program(offset, head);
            throw cut(operation, what + " torn after " + prefix + " bytes");
        }
        target.program(offset, src);
    }

    @Override
    public synchronized void erase(int block) throws IOException {
        long operation = ++operations;
        String what = "erase of block " + block;
        checkPower(operation, what);
        if (operation == tearAt) {
            throw cut(operation, what);
        }
        target.erase(block);
    }

    @Override
    public synchronized void sync() throws IOException {
        if (powerCut) {
            throw new PowerCutException("sync of region " + target.name() + " after the power was cut");
        }
        target.sync();
    }

    @Override
    public ByteBuffer map() throws IOException {
        return target.map();
    }

    @Override
    public long eraseCount(int block) throws IOException {
        return target.eraseCount(block);
    }

    @Override
    public long deviceOffset() {
        return target.deviceOffset();
    }

    @Override
    public String toString() {
        return "FaultInjectingRegion[" + target + ", " + operations + " operations"
                + (powerCut ? ", power cut" : "") + "]";
    }

    private void checkPower(long operation, String what) throws PowerCutException {
        if (powerCut) {
            throw new PowerCutException("operation " + operation + " (" + what + ") of region " + target.name()
                    + " after the power was cut");
        }
        if (operation > cutAfter) {
            throw cut(operation, what);
        }
    }

    private PowerCutException cut(long operation, String what) {
        powerCut = true;
        return new PowerCutException("power cut at operation " + operation + " (" + what + ") of region "
                + target.name());
    }
}
