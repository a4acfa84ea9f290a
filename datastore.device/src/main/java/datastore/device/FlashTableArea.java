package datastore.device;

import static datastore.device.NorFlash.hex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.flashtable.FlashLayout;
import datastore.flashtable.FlashTable;
import datastore.flashtable.ReservedBlocks;

/**
 * The place of the partition table on the flash: its last two erase blocks, one copy of the table at
 * the start of each ({@link FlashLayout} keeps every region out of them). A rewrite is power-safe copy
 * by copy: it erases and programs the copy that is not the one in force first, syncs, then the other,
 * so a cut at any point leaves at least one intact copy, the old table or the new one.
 */
final class FlashTableArea {
    static final String NAME = "partition-table";

    private final FlashRegion area;
    private final int blockSize;
    private final int unit;

    FlashTableArea(NorFlash flash) {
        FlashGeometry geometry = flash.geometry();
        this.blockSize = geometry.eraseBlockSize();
        this.unit = geometry.programSize();
        this.area = flash.region(NAME, FlashLayout.tableOffset(geometry.size(), blockSize),
                (long) ReservedBlocks.PARTITION_TABLE * blockSize);
    }

    /** Tests: the area over another region, e.g. a fault-injecting one. */
    FlashTableArea(FlashRegion area) {
        this.area = area;
        this.blockSize = area.geometry().eraseBlockSize();
        this.unit = area.geometry().programSize();
    }

    /** Both copies as found, and which table is in force. */
    record Found(FlashTable.Copy first, FlashTable.Copy second, long offset, long end) {

        /** The newest intact table of this format, if any. */
        Optional<FlashTable> table() {
            int copy = inForce();
            return copy < 0 ? Optional.empty() : Optional.of(((FlashTable.Valid) copy(copy)).table());
        }

        /** The copy holding the table in force, or -1 when neither holds one. */
        int inForce() {
            long best = -1;
            int copy = -1;
            for (int i = 0; i < 2; i++) {
                if (copy(i) instanceof FlashTable.Valid valid && valid.table().sequence() > best) {
                    best = valid.table().sequence();
                    copy = i;
                }
            }
            return copy;
        }

        FlashTable.Copy copy(int i) {
            return i == 0 ? first : second;
        }

        long nextSequence() {
            return table().map(table -> table.sequence() + 1).orElse(1L);
        }

        /**
         * Whether no table was ever completely written: both copies erased, or the first copy torn by
         * a cut during the very first write (the second is written only after it) and the second erased.
         */
        boolean erased() {
            return second instanceof FlashTable.Erased && (first instanceof FlashTable.Erased
                    || first instanceof FlashTable.Unreadable unreadable && unreadable.torn());
        }

        /** The format of a newer build's table, if either copy holds one. */
        Optional<Integer> newer() {
            for (int i = 0; i < 2; i++) {
                if (copy(i) instanceof FlashTable.Newer newer) {
                    return Optional.of(newer.format());
                }
            }
            return Optional.empty();
        }

        /** Both copies intact and the same table. */
        boolean intact() {
            return first instanceof FlashTable.Valid a && second instanceof FlashTable.Valid b && a.equals(b);
        }

        /** The bytes found, for a refusal that found no table. */
        String describe() {
            return "the partition table area [" + hex(offset) + ", " + hex(end) + ") (the flash's last two erase "
                    + "blocks) holds " + what(first) + " and " + what(second);
        }

        private static String what(FlashTable.Copy copy) {
            if (copy instanceof FlashTable.Erased) {
                return "an erased block";
            }
            if (copy instanceof FlashTable.Unreadable unreadable) {
                return unreadable.what();
            }
            if (copy instanceof FlashTable.Newer newer) {
                return "a table of format " + newer.format();
            }
            return "a table";
        }
    }

    Found read() throws IOException {
        FlashTable.Copy[] copies = new FlashTable.Copy[2];
        for (int copy = 0; copy < 2; copy++) {
            ByteBuffer block = ByteBuffer.allocate(blockSize);
            area.read((long) copy * blockSize, block);
            copies[copy] = FlashTable.decode(block.flip());
        }
        long offset = area.deviceOffset();
        return new Found(copies[0], copies[1], offset, offset + 2L * blockSize);
    }

    /** Writes {@code table} to both copies, the one not in force first (see the class comment). */
    void write(FlashTable table, Found current) throws IOException {
        ByteBuffer encoded = table.encode(unit);
        int first = current.inForce() == 0 ? 1 : 0;
        for (int copy : new int[] {first, 1 - first}) {
            area.erase(copy);
            area.program((long) copy * blockSize, encoded.duplicate());
            area.sync();
        }
    }
}
