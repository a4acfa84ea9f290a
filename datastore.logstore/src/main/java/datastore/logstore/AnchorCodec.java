package datastore.logstore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static datastore.logstore.LogFormat.ANCHOR;
import static datastore.logstore.LogFormat.ANCHOR_MAGIC;
import static datastore.logstore.LogFormat.BLOCK_FORMAT_HEADER;
import static datastore.logstore.LogFormat.BLOCK_FORMAT_MAGIC;
import static datastore.logstore.LogFormat.BLOCK_FORMAT_VERSION;
import static datastore.logstore.LogFormat.LEGACY_ANCHOR;
import static datastore.logstore.LogFormat.LEGACY_VERSION;
import static datastore.logstore.LogFormat.MARKERS_TRAIL_VERSION;
import static datastore.logstore.LogFormat.PARTITION_ID;
import static datastore.logstore.LogFormat.VERSION;
import static datastore.logstore.LogFormat.align;

/**
 * Anchor slots of the runtime format (FORMAT.md): writing format-4 slots, parsing those and format-3
 * ones, reading format-2 ones, and recognising a newer format or the refused format 1 by name.
 */
final class AnchorCodec {
    private AnchorCodec() {
    }

    /**
     * A parsed anchor slot: the tail's virtual position and the floor for new revisions; for formats 3
     * and 4 also the geometry and identity it was written for, and where records of format 2 end (0: none).
     */
    record Anchor(int version, long anchorSeq, long tail, long seqFloor, boolean copyDamaged, String partition,
            long deviceOffset, long regionSize, int blockSize, int programSize, long legacyEnd) {

        /** The geometry and identity as the log and the refusal messages name them. */
        String describe() {
            return version == LEGACY_VERSION ? "format " + version + " (no geometry recorded)"
                    : "partition \"" + partition + "\" format " + version + " at device offset " + deviceOffset
                            + ", " + regionSize + " bytes, erase blocks of " + blockSize + ", program unit " + programSize;
        }
    }

    static byte[] anchor(long anchorSeq, long tail, long seqFloor, long legacyEnd, long deviceOffset, long regionSize,
            int blockSize, int programSize) {
        byte[] copy = new byte[ANCHOR];
        ByteBuffer b = ByteBuffer.wrap(copy);
        b.putInt(ANCHOR_MAGIC).put((byte) VERSION).put((byte) Integer.numberOfTrailingZeros(blockSize))
                .put((byte) Integer.numberOfTrailingZeros(programSize)).put((byte) 0).putInt((int) anchorSeq);
        byte[] id = new byte[8];
        byte[] name = PARTITION_ID.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, id, 0, name.length);
        b.put(id).putLong(tail).putLong(seqFloor).putLong(deviceOffset).putLong(regionSize).putLong(legacyEnd);
        b.putInt(Checksums.crc(copy, 0, ANCHOR - 4));
        byte[] out = new byte[align(2 * ANCHOR, programSize)];
        Arrays.fill(out, (byte) 0xFF);
        System.arraycopy(copy, 0, out, 0, ANCHOR);
        System.arraycopy(copy, 0, out, ANCHOR, ANCHOR);
        return out;
    }

    /**
     * Parses an anchor slot of format 4 or 3 ({@code 2 * ANCHOR} bytes, the same fields), or {@code null}.
     * A slot whose two copies name different versions is taken from its first valid copy.
     */
    static Anchor parseAnchor(byte[] both) {
        Anchor found = null;
        int valid = 0;
        ByteBuffer b = ByteBuffer.wrap(both);
        for (int copy = 0; copy < 2; copy++) {
            int at = copy * ANCHOR;
            int version = both[at + 4] & 0xFF;
            if (b.getInt(at) != ANCHOR_MAGIC || version != VERSION && version != MARKERS_TRAIL_VERSION
                    || Checksums.crc(both, at, ANCHOR - 4) != b.getInt(at + ANCHOR - 4)) {
                continue;
            }
            int blockLog = both[at + 5];
            int programLog = both[at + 6];
            long tail = b.getLong(at + 20);
            if (tail < 0 || blockLog < 0 || blockLog > 30 || programLog < 0 || programLog > 30) {
                continue;
            }
            valid++;
            if (found == null) {
                int end = 0;
                while (end < 8 && both[at + 12 + end] != 0) {
                    end++;
                }
                String partition = new String(both, at + 12, end, StandardCharsets.US_ASCII);
                found = new Anchor(version, b.getInt(at + 8) & 0xFFFFFFFFL, tail, b.getLong(at + 28), false, partition,
                        b.getLong(at + 36), b.getLong(at + 44), 1 << blockLog, 1 << programLog, b.getLong(at + 52));
            }
        }
        return found == null || valid == 2 ? found : withDamagedCopy(found);
    }

    /** Parses a format-2 anchor slot ({@code 2 * LEGACY_ANCHOR} bytes), or {@code null}. */
    static Anchor parseLegacyAnchor(byte[] both) {
        Anchor found = null;
        int valid = 0;
        ByteBuffer b = ByteBuffer.wrap(both);
        for (int copy = 0; copy < 2; copy++) {
            int at = copy * LEGACY_ANCHOR;
            if (b.getInt(at) != ANCHOR_MAGIC || (both[at + 4] & 0xFF) != LEGACY_VERSION
                    || Checksums.crc(both, at, LEGACY_ANCHOR - 4) != b.getInt(at + LEGACY_ANCHOR - 4)) {
                continue;
            }
            long tail = b.getLong(at + 16);
            if (tail < 0) {
                continue;
            }
            valid++;
            if (found == null) {
                found = new Anchor(LEGACY_VERSION, b.getLong(at + 8), tail, b.getLong(at + 24), false, PARTITION_ID, -1, -1,
                        -1, -1, Long.MAX_VALUE);
            }
        }
        return found == null || valid == 2 ? found : withDamagedCopy(found);
    }

    private static Anchor withDamagedCopy(Anchor a) {
        return new Anchor(a.version(), a.anchorSeq(), a.tail(), a.seqFloor(), true, a.partition(), a.deviceOffset(),
                a.regionSize(), a.blockSize(), a.programSize(), a.legacyEnd());
    }

    /**
     * The version an anchor slot of a newer, unknown format names, or 0: both copies start with the
     * anchor magic and the same version byte above {@link #VERSION} (one flipped bit cannot make that).
     */
    static int newerVersion(byte[] both) {
        ByteBuffer b = ByteBuffer.wrap(both);
        int version = both[4] & 0xFF;
        if (b.getInt(0) == ANCHOR_MAGIC && b.getInt(ANCHOR) == ANCHOR_MAGIC && version > VERSION
                && (both[ANCHOR + 4] & 0xFF) == version) {
            return version;
        }
        return 0;
    }

    /** Whether {@code BLOCK_FORMAT_HEADER} bytes at {@code at} are a valid block header of format 1. */
    static boolean blockFormatHeader(ByteBuffer map, int at) {
        if (map.getInt(at) != BLOCK_FORMAT_MAGIC || (map.get(at + 4) & 0xFF) != BLOCK_FORMAT_VERSION) {
            return false;
        }
        byte[] one = new byte[BLOCK_FORMAT_HEADER];
        map.get(at, one);
        return Checksums.crc(one, 0, BLOCK_FORMAT_HEADER - 4) == ByteBuffer.wrap(one).getInt(BLOCK_FORMAT_HEADER - 4);
    }
}
