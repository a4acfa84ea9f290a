package datastore.flashtable;

import static datastore.flashtable.FlashLayout.hex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import datastore.flash.FlashRegion;
import datastore.flash.RollbackIndex;

/**
 * The rollback index on the two erase blocks just before the partition table: an append-only log of
 * 32-byte records (magic {@code DDRI}, format 1, value, CRC-32C) in each block, the same value written
 * to block 0, synced, then to block 1, synced. The index is the highest value of any whole record in
 * either block, so a torn record (which fails its CRC) or a cut between the blocks leaves the old or
 * the new value. A full block is erased and restarted only while the other block holds the value in
 * force, and every advance first brings a block that lacks that value up to it, so the value read
 * never decreases. Thread-safe.
 */
public final class RollbackIndexArea implements RollbackIndex {
    public static final String NAME = "rollback-index";
    /** "DDRI". */
    public static final int MAGIC = 0x44445249;
    static final int FORMAT = 1;
    public static final int RECORD = 32;

    /** Where the area starts on a flash of {@code size}: right before the partition table; negative if it has no room. */
    public static long offset(long size, int blockSize) {
        return FlashLayout.tableOffset(size, blockSize) - (long) ReservedBlocks.ROLLBACK_INDEX * blockSize;
    }

    private final FlashRegion area;
    private final int blockSize;
    private final int stride;
    /** Per block: the highest value of a whole record, and the position after its last programmed one. */
    private final long[] highest = new long[2];
    private final int[] next = new int[2];

    /**
     * Reads the area.
     *
     * @throws IllegalStateException if it holds bytes that are neither erased nor index records (a region
     *         of an earlier partition table lay there); it is left as it is
     */
    public RollbackIndexArea(FlashRegion area) throws IOException {
        this.area = area;
        this.blockSize = area.geometry().eraseBlockSize();
        this.stride = Math.max(RECORD, area.geometry().programSize());
        boolean foreign = false;
        long foreignAt = -1;
        for (int block = 0; block < 2; block++) {
            ByteBuffer bytes = ByteBuffer.allocate(blockSize);
            area.read((long) block * blockSize, bytes);
            for (int index = 0; (index + 1) * stride <= blockSize; index++) {
                int at = index * stride;
                if (erased(bytes, at)) {
                    continue;
                }
                next[block] = index + 1;
                long value = decode(bytes, at);
                if (value >= 0) {
                    highest[block] = Math.max(highest[block], value);
                } else if (!foreign && !(bytes.getInt(at) == MAGIC && bytes.getInt(at + 4) == FORMAT)) {
                    // A record torn by a power cut starts as one; anything else is another partition's data.
                    foreign = true;
                    foreignAt = (long) block * blockSize + at;
                }
            }
        }
        // Bytes of another partition must not be taken for an index of 0, nor overwritten.
        if (foreign) {
            throw new IllegalStateException("the rollback index area [" + hex(area.deviceOffset()) + ", "
                    + hex(area.deviceOffset() + 2L * blockSize) + ") holds bytes that are not index records (first at "
                    + "device offset " + hex(area.deviceOffset() + foreignAt) + "); it is left as it is");
        }
    }

    private boolean erased(ByteBuffer bytes, int at) {
        for (int i = 0; i < stride; i++) {
            if (bytes.get(at + i) != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    /** The value of the whole record at {@code at}, or -1. */
    private static long decode(ByteBuffer bytes, int at) {
        if (bytes.getInt(at) != MAGIC || bytes.getInt(at + 4) != FORMAT) {
            return -1;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(at, RECORD - 4));
        long value = bytes.getLong(at + 8);
        return bytes.getInt(at + RECORD - 4) == (int) crc.getValue() && value >= 0 ? value : -1;
    }

    private ByteBuffer encode(long value) {
        ByteBuffer out = ByteBuffer.allocate(stride);
        out.putInt(MAGIC).putInt(FORMAT).putLong(value).put(new byte[RECORD - 20]);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, RECORD - 4);
        out.putInt((int) crc.getValue());
        while (out.hasRemaining()) {
            out.put((byte) 0xFF);
        }
        return out.flip();
    }

    @Override
    public synchronized long highest() {
        return Math.max(highest[0], highest[1]);
    }

    @Override
    public synchronized void advance(long generation) throws IOException {
        if (generation < 0) {
            throw new IllegalArgumentException("a rollback index generation is not negative: " + generation);
        }
        long current = highest();
        // A cut between the blocks of an earlier advance left one block behind: bring it up first, so
        // that the other block is never erased while it alone holds the value in force.
        for (int block = 0; block < 2; block++) {
            if (highest[block] < current) {
                write(block, current);
            }
        }
        if (generation <= current) {
            return;
        }
        write(0, generation);
        write(1, generation);
    }

    /** Appends {@code value} to {@code block}, erasing it first when full; the other block holds the value in force. */
    private void write(int block, long value) throws IOException {
        int index = next[block];
        if ((index + 1) * stride > blockSize) {
            highest[block] = 0;
            next[block] = 0;
            area.erase(block);
            index = 0;
        }
        // Taken as used before programming: a torn record is never programmed over.
        next[block] = index + 1;
        area.program((long) block * blockSize + (long) index * stride, encode(value));
        area.sync();
        highest[block] = Math.max(highest[block], value);
    }
}
