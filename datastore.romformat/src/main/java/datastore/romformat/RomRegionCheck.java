package datastore.romformat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import datastore.flash.FlashRegion;

/**
 * Decides, before anything is mounted or written, what a ROM region holds: format 3 commit records
 * written for this very region (mount it), format 2 commit records (mount it as format 2, as it is),
 * nothing but erased bytes (a fresh region), or something to refuse: records that name another
 * geometry or place, a newer format, or foreign bytes. Reads the commit blocks, and the whole region
 * only when they hold no readable record. Reads only; never writes.
 */
final class RomRegionCheck {

    /** What the region holds: the layout to mount it with, or why it is refused. */
    record Verdict(RomLayout layout, String refusal, boolean fresh) {
    }

    private RomRegionCheck() {
    }

    static Verdict examine(FlashRegion region, ByteBuffer map) {
        RomIdentity configured = RomIdentity.of(region);
        RomLayout layout;
        try {
            layout = RomLayout.of(region.geometry());
        } catch (IllegalArgumentException tooSmallForFormat3) {
            // Format 2 took smaller regions; such a region stays readable as it is.
            RomLayout legacy = legacyIfRecorded(region, map);
            if (legacy != null) {
                return new Verdict(legacy, null, false);
            }
            throw tooSmallForFormat3;
        }
        String where = region.name() + " region (" + configured + ")";
        boolean ours = false;
        int size = layout.commitRecordSize();
        for (int block = 0; block < layout.commitBlocks(); block++) {
            for (int index = 0; index < layout.recordsPerBlock(); index++) {
                long offset = layout.recordOffset(block, index);
                int version = CommitRecord.versionAt(map, offset, size);
                if (version == 0 || version == CommitRecord.LEGACY_VERSION) {
                    continue;
                }
                if (version > CommitRecord.VERSION) {
                    return refuse("commit record version " + version + " at region offset " + offset + " was written by "
                            + "newer software than this dock's, which reads ROM formats " + RomImageFormat.OLDEST_READABLE
                            + " to " + RomImageFormat.VERSION + "; the " + where + " is left as it is: update the "
                            + "dock's software");
                }
                CommitRecord record = CommitRecord.decode(map, offset, size);
                if (record == null) {
                    continue;
                }
                RomIdentity recorded = record.identity();
                if (recorded.formatVersion() > RomImageFormat.VERSION) {
                    return refuse("the commit record at region offset " + offset + " names ROM format "
                            + recorded.formatVersion() + ", newer than this dock's software, which reads formats "
                            + RomImageFormat.OLDEST_READABLE + " to " + RomImageFormat.VERSION + "; the " + where
                            + " is left as it is: update the dock's software");
                }
                if (!recorded.sameRegion(configured)) {
                    return refuse("the ROM on this flash was written for " + recorded + ", but it is configured as "
                            + configured + " (" + differences(recorded, configured) + ": the partition table "
                            + "changed, a region resized, moved or swapped); nothing is mounted or written: restore "
                            + "the partition table, or format the partition to erase what it holds");
                }
                ours = true;
            }
        }
        if (ours) {
            return new Verdict(layout, null, false);
        }
        RomLayout legacy = legacyIfRecorded(region, map);
        if (legacy != null) {
            return new Verdict(legacy, null, false);
        }
        long found = firstNonErased(map, layout);
        if (found < 0) {
            return new Verdict(layout, null, true);
        }
        return refuse("the " + where + " holds bytes that are neither erased nor a ROM written for it: "
                + describe(map, layout, found) + "; nothing is mounted or written: check the partition table, or "
                + "format the partition to erase what it holds");
    }

    /** The fields in which two identities differ, both values named. */
    private static String differences(RomIdentity written, RomIdentity configured) {
        List<String> out = new ArrayList<>();
        if (!written.partition().equals(configured.partition())) {
            out.add("partition " + written.partition() + " written, " + configured.partition() + " configured");
        }
        if (written.deviceOffset() != configured.deviceOffset()) {
            out.add("device offset " + written.deviceOffset() + " written, " + configured.deviceOffset() + " configured");
        }
        if (written.size() != configured.size()) {
            out.add("size " + written.size() + " written, " + configured.size() + " configured");
        }
        if (written.eraseBlockSize() != configured.eraseBlockSize()) {
            out.add("erase block " + written.eraseBlockSize() + " written, " + configured.eraseBlockSize()
                    + " configured");
        }
        if (written.programSize() != configured.programSize()) {
            out.add("program size " + written.programSize() + " written, " + configured.programSize() + " configured");
        }
        return String.join("; ", out);
    }

    /** The format 2 layout, if the format 2 commit area holds a readable version 1 record; else null. */
    private static RomLayout legacyIfRecorded(FlashRegion region, ByteBuffer map) {
        RomLayout legacy;
        try {
            legacy = RomLayout.legacy(region.geometry());
        } catch (IllegalArgumentException tooSmall) {
            return null;
        }
        for (int block = 0; block < legacy.commitBlocks(); block++) {
            for (int index = 0; index < legacy.recordsPerBlock(); index++) {
                if (CommitRecord.versionAt(map, legacy.recordOffset(block, index), legacy.commitRecordSize())
                        == CommitRecord.LEGACY_VERSION) {
                    return legacy;
                }
            }
        }
        return null;
    }

    private static Verdict refuse(String reason) {
        return new Verdict(null, reason, false);
    }

    /**
     * The first byte that is not {@code 0xFF}, or -1: bytes of the first record of each commit block
     * are allowed, since a format record torn by a power cut leaves only them behind.
     */
    static long firstNonErased(ByteBuffer map, RomLayout layout) {
        long size = layout.geometry().size();
        long at = 0;
        while (at < size) {
            long allowedEnd = -1;
            for (int block = 0; block < layout.commitBlocks(); block++) {
                long first = layout.recordOffset(block, 0);
                if (at >= first && at < first + layout.commitRecordSize()) {
                    allowedEnd = first + layout.commitRecordSize();
                }
            }
            if (allowedEnd > 0) {
                at = allowedEnd;
                continue;
            }
            // To the end of this block; the next one may start with a commit block's first record.
            long end = Math.min(size, (at / layout.geometry().eraseBlockSize() + 1) * layout.geometry().eraseBlockSize());
            long i = at;
            for (; i + 8 <= end; i += 8) {
                if (map.getLong((int) i) != -1L) {
                    break;
                }
            }
            for (; i < end; i++) {
                if (map.get((int) i) != (byte) 0xFF) {
                    return i;
                }
            }
            at = end;
        }
        return -1;
    }

    /** What lies at {@code found}: a ROM image header of some version if a block starts with one, else the bytes. */
    private static String describe(ByteBuffer map, RomLayout layout, long found) {
        int block = layout.geometry().eraseBlockSize();
        for (long at = 0; at + RomImageFormat.HEADER_SIZE <= layout.geometry().size(); at += block) {
            byte[] magic = new byte[RomImageFormat.MAGIC.length];
            map.get((int) at, magic);
            if (Arrays.equals(magic, RomImageFormat.MAGIC)) {
                int version = map.getShort((int) at + RomImageFormat.OFF_VERSION) & 0xFFFF;
                return "a ROM image header of format " + version + " at region offset " + at + " without commit records "
                        + "where this geometry puts them" + (version > RomImageFormat.VERSION ? " (a format newer than "
                        + "this dock's software, which reads formats " + RomImageFormat.OLDEST_READABLE + " to "
                        + RomImageFormat.VERSION + ")" : "");
            }
        }
        byte[] head = new byte[(int) Math.min(16, layout.geometry().size() - found)];
        map.get((int) found, head);
        return "the first byte that is not erased is at region offset " + found + " (" + RomImageFormat.hex(head) + ")";
    }
}
