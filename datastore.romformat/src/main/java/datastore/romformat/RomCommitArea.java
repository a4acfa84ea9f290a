package datastore.romformat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import datastore.flash.FlashRegion;

/**
 * The writing side of a ROM region laid out by {@link RomLayout}: reads its commit area, programs an
 * application image into a slot, and appends a {@link CommitRecord}, in the order that keeps either
 * the old or the new image the ROM after a power cut at any point. Not thread-safe: {@link RomStore}
 * serializes its replaces.
 */
final class RomCommitArea {
    private final FlashRegion region;
    private final RomLayout layout;
    private final ByteBuffer map;

    RomCommitArea(FlashRegion region, RomLayout layout, ByteBuffer map) {
        this.region = region;
        this.layout = layout;
        this.map = map;
    }

    /** A readable commit record and the group of commit blocks it is in. */
    record Placed(CommitRecord record, int group) {
    }

    /**
     * The commit area: readable records naming images, newest first, each once; whether any readable
     * record (a format record included) claims the region; and per group the index after its last
     * programmed record position in any of its blocks (the next record goes there, in every block).
     */
    record Scan(List<Placed> records, boolean claimed, int[] nextFree) {
        long maxGeneration() {
            return records.isEmpty() ? 0 : records.get(0).record().generation();
        }
    }

    Scan scan() {
        List<Placed> records = new ArrayList<>();
        boolean claimed = false;
        int[] nextFree = new int[layout.commitGroups()];
        int size = layout.commitRecordSize();
        int recordVersion = layout.formatVersion() == 2 ? CommitRecord.LEGACY_VERSION : CommitRecord.VERSION;
        for (int block = 0; block < layout.commitBlocks(); block++) {
            int group = block / layout.recordCopies();
            // Every position is looked at: a torn, damaged or stray-programmed position is skipped, and
            // the next record goes after the last programmed one of the group, never over it.
            for (int index = 0; index < layout.recordsPerBlock(); index++) {
                long offset = layout.recordOffset(block, index);
                if (CommitRecord.isErased(map, offset, size)) {
                    continue;
                }
                nextFree[group] = Math.max(nextFree[group], index + 1);
                if (CommitRecord.versionAt(map, offset, size) != recordVersion) {
                    continue;
                }
                CommitRecord record = CommitRecord.decode(map, offset, size);
                if (record == null) {
                    continue;
                }
                claimed = true;
                if (record.namesImage() && records.stream().noneMatch(p -> p.record().equals(record))) {
                    records.add(new Placed(record, group));
                }
            }
        }
        records.sort(Comparator.comparingLong((Placed p) -> p.record().generation()).reversed());
        return new Scan(records, claimed, nextFree);
    }

    /** What this region's records carry: its identity in format 3, nothing (record version 1) in format 2. */
    RomIdentity identity() {
        return layout.formatVersion() == 2 ? null : RomIdentity.of(region);
    }

    /**
     * Before the first image goes into a format 3 region that no readable record claims yet (a fresh,
     * erased one), writes a format record to the first group, so that a power cut while the slot is
     * written leaves a region recognised as this ROM's rather than foreign bytes.
     */
    void claim(RomMount current) throws IOException {
        if (layout.formatVersion() == 2 || current.app() != null) {
            return;
        }
        Scan scan = scan();
        if (scan.claimed()) {
            return;
        }
        append(scan, current, CommitRecord.format(RomIdentity.of(region)));
    }

    /**
     * Erases the blocks the image needs (and, in format 3, those of the copy of its header and page
     * table) and programs it, the copy before the header and the header last, so the slot never holds
     * a readable header in front of missing bytes; then syncs and reads it back.
     */
    void writeSlot(int slot, byte[] image) throws IOException {
        int blockSize = layout.geometry().eraseBlockSize();
        long base = layout.slotOffset(slot);
        int first = layout.slotFirstBlock(slot);
        int blocks = (image.length + blockSize - 1) / blockSize;
        for (int b = 0; b < blocks; b++) {
            region.erase(first + b);
        }
        long copyAt = layout.slotCopyOffset(slot);
        int metadata = RomImageFormat.metadataLength(image);
        if (copyAt >= 0) {
            for (long b = copyAt / blockSize; b < (copyAt + layout.slotCopySize()) / blockSize; b++) {
                region.erase((int) b);
            }
        }
        byte[] padded = padded(image, image.length);
        int programSize = layout.geometry().programSize();
        int headerPart = Math.min(padded.length,
                (RomImageFormat.HEADER_SIZE + programSize - 1) / programSize * programSize);
        for (int at = headerPart; at < padded.length; at += blockSize) {
            region.program(base + at, ByteBuffer.wrap(padded, at, Math.min(blockSize, padded.length - at)));
        }
        if (copyAt >= 0) {
            byte[] copy = padded(image, metadata);
            for (int at = 0; at < copy.length; at += blockSize) {
                region.program(copyAt + at, ByteBuffer.wrap(copy, at, Math.min(blockSize, copy.length - at)));
            }
        }
        region.program(base, ByteBuffer.wrap(padded, 0, headerPart));
        region.sync();
        if (!map.slice((int) base, image.length).equals(ByteBuffer.wrap(image))
                || copyAt >= 0 && !map.slice((int) copyAt, metadata).equals(ByteBuffer.wrap(image, 0, metadata))) {
            throw new IOException("slot " + slot + " does not read back as programmed");
        }
    }

    /** The first {@code length} bytes of {@code image}, padded with {@code 0xFF} to whole program units. */
    private byte[] padded(byte[] image, int length) {
        int programSize = layout.geometry().programSize();
        byte[] padded = Arrays.copyOf(image, (length + programSize - 1) / programSize * programSize);
        Arrays.fill(padded, length, padded.length, (byte) 0xFF);
        return padded;
    }

    /**
     * Appends the record, at the same position, to every block of the group holding the served
     * record (each block synced before the next, so a cut leaves at least the previous records whole
     * in every block); when that group is full, erases the other group first: the group holding the
     * served record is never erased.
     */
    void append(Scan scan, RomMount current, CommitRecord record) throws IOException {
        int group = 0;
        for (Placed placed : scan.records()) {
            if (current.app() == null || placed.record().generation() == current.generation()
                    && placed.record().slot() == current.slot()) {
                group = placed.group();
                break;
            }
        }
        int index = scan.nextFree()[group];
        int copies = layout.recordCopies();
        if (index >= layout.recordsPerBlock()) {
            group = (group + 1) % layout.commitGroups();
            for (int c = 0; c < copies; c++) {
                region.erase(group * copies + c);
            }
            index = 0;
        }
        ByteBuffer encoded = record.encode(layout.commitRecordSize());
        for (int c = 0; c < copies; c++) {
            region.program(layout.recordOffset(group * copies + c, index), encoded.duplicate());
            region.sync();
        }
    }
}
