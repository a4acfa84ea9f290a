package datastore.logstore;

import datastore.logstore.LogFormat.Header;
import java.nio.ByteBuffer;
import java.util.Arrays;

import static datastore.logstore.LogFormat.FLAG_REMOVAL;
import static datastore.logstore.LogFormat.HEADER;
import static datastore.logstore.LogFormat.KIND_BATCH;
import static datastore.logstore.LogFormat.KIND_CLEAR;
import static datastore.logstore.LogFormat.KIND_PAD;
import static datastore.logstore.LogFormat.KIND_SINGLE;
import static datastore.logstore.LogFormat.KIND_TAIL;
import static datastore.logstore.LogFormat.MAX_ENTRIES_PER_RECORD;
import static datastore.logstore.LogFormat.RECORD_MAGIC;
import static datastore.logstore.LogFormat.batchLength;
import static datastore.logstore.LogFormat.padSize;
import static datastore.logstore.LogFormat.singleLength;

/**
 * Record headers of the runtime format (FORMAT.md): writing the two copies of a header, parsing
 * them, and repairing a header whose copies are both damaged; pad and tail records are headers only.
 */
final class HeaderCodec {
    private HeaderCodec() {
    }

    static byte[] headerCopy(int kind, int flags, int lap, long seq) {
        byte[] h = new byte[HEADER];
        ByteBuffer b = ByteBuffer.wrap(h);
        b.putShort((short) RECORD_MAGIC).put((byte) (kind | flags << 4)).put((byte) 0).putShort((short) lap)
                .putShort((short) 0).putLong(seq);
        return h;
    }

    static void seal(byte[] copy, byte[] identity) {
        ByteBuffer.wrap(copy).putInt(HEADER - 4, Checksums.headerCrc(copy, 0, identity));
    }

    /**
     * Parses the first valid copy of a header from its two copies ({@code 2 * HEADER} bytes), or
     * {@code null}: a header of format 4 or 3 bound to {@code identity}, or with {@code legacy} also a
     * format-2 one, of a region of {@code programSize}-byte program units.
     */
    static Header parseHeader(byte[] both, byte[] identity, boolean legacy, int programSize) {
        if (Arrays.equals(both, 0, HEADER, both, HEADER, 2 * HEADER)) {
            // Equal copies are both valid or both not: one parse decides (the mount's usual case).
            return parseCopy(both, 0, identity, legacy, programSize);
        }
        Header found = null;
        int valid = 0;
        for (int copy = 0; copy < 2; copy++) {
            Header h = parseCopy(both, copy * HEADER, identity, legacy, programSize);
            if (h != null) {
                valid++;
                if (found == null) {
                    found = h;
                }
            }
        }
        if (found == null || valid == 2) {
            return found;
        }
        return damaged(found);
    }

    /**
     * Repairs a header neither of whose copies is valid: combines the copies where they differ (each
     * differing byte taken from either, so two copies damaged at different bytes give the original),
     * else tries every value of every covered byte of each copy (a copy damaged at one byte); a
     * candidate counts only if its CRC32C matches. {@code null} if nothing matches. The caller must
     * still check what it can of the result (lap, extent, commit word), since a repair is a guess the
     * CRC confirms with a probability of about 2^-19 of being wrong.
     */
    static Header repairHeader(byte[] both, byte[] identity, boolean legacy, int programSize) {
        int[] differ = new int[HEADER];
        int d = 0;
        for (int i = 0; i < HEADER; i++) {
            if (both[i] != both[HEADER + i]) {
                differ[d++] = i;
            }
        }
        byte[] candidate = new byte[HEADER];
        if (d > 0 && d <= 8) {
            for (int mask = 1; mask < (1 << d) - 1; mask++) {
                System.arraycopy(both, 0, candidate, 0, HEADER);
                for (int j = 0; j < d; j++) {
                    if ((mask & (1 << j)) != 0) {
                        candidate[differ[j]] = both[HEADER + differ[j]];
                    }
                }
                Header h = parseCopy(candidate, 0, identity, legacy, programSize);
                if (h != null) {
                    return damaged(h);
                }
            }
        }
        for (int copy = 0; copy < 2; copy++) {
            System.arraycopy(both, copy * HEADER, candidate, 0, HEADER);
            int storedCrc = ByteBuffer.wrap(candidate).getInt(HEADER - 4);
            for (int i = 0; i < HEADER - 4; i++) {
                byte original = candidate[i];
                for (int v = 0; v < 256; v++) {
                    if ((byte) v == original) {
                        continue;
                    }
                    candidate[i] = (byte) v;
                    if (Checksums.headerCrc(candidate, 0, identity) == storedCrc
                            || legacy && Checksums.headerCrc(candidate, 0, null) == storedCrc) {
                        Header h = parseCopy(candidate, 0, identity, legacy, programSize);
                        if (h != null) {
                            return damaged(h);
                        }
                    }
                }
                candidate[i] = original;
            }
        }
        return null;
    }

    private static Header damaged(Header h) {
        return new Header(h.kind(), h.flags(), h.lap(), h.seq(), h.count(), h.length(), h.runs(), h.namespaceCode(),
                h.format(), h.nameLength(), h.valueLength(), h.nameCrc(), h.valueCrc(), true, h.floor(), h.legacy(),
                h.lead());
    }

    /**
     * The header copy at {@code at}, or {@code null} if it is not a valid one. Only single and batch
     * records of format 3 or later may say that their markers lead ({@link LogFormat#FLAG_MARKERS_LEAD}).
     */
    static Header parseCopy(byte[] bytes, int at, byte[] identity, boolean legacy, int programSize) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if ((b.getShort(at) & 0xFFFF) != RECORD_MAGIC) {
            return null;
        }
        int stored = b.getInt(at + HEADER - 4);
        boolean old;
        if (identity != null && Checksums.headerCrc(bytes, at, identity) == stored) {
            old = false;
        } else if (legacy && Checksums.headerCrc(bytes, at, null) == stored) {
            old = true;
        } else {
            return null;
        }
        int kind = bytes[at + 2] & 0x0F;
        int flags = (bytes[at + 2] & 0xF0) >>> 4;
        int lap = b.getShort(at + 4) & 0xFFFF;
        long seq = b.getLong(at + 8);
        boolean lead = (flags & LogFormat.FLAG_MARKERS_LEAD) != 0;
        if (lead && (old || kind != KIND_SINGLE && kind != KIND_BATCH)) {
            return null;
        }
        switch (kind) {
            case KIND_SINGLE: {
                int nameLength = bytes[at + 3] & 0xFF;
                int valueLength = b.getInt(at + 16);
                if (!validSingle((flags & FLAG_REMOVAL) != 0, nameLength, valueLength)) {
                    return null;
                }
                int before = lead ? LogFormat.lead(1, programSize) : 0;
                return new Header(kind, flags, lap, seq, 1, singleLength(nameLength, valueLength) + before, 0,
                        bytes[at + 6] & 0xFF, bytes[at + 7] & 0xFF, nameLength, valueLength, b.getInt(at + 20),
                        b.getInt(at + 24), false, 0, old, before);
            }
            case KIND_BATCH:
            case KIND_CLEAR: {
                int count = b.getInt(at + 16);
                long length = b.getInt(at + 20) & 0xFFFFFFFFL;
                int runs = b.getInt(at + 24);
                if (count < 0 || count > MAX_ENTRIES_PER_RECORD || runs < 0 || runs > count
                        || (kind == KIND_BATCH) != (count > 0) || count > 0 && runs == 0) {
                    return null;
                }
                int before = lead ? LogFormat.lead(count, programSize) : 0;
                if (length < batchLength(count, runs, count, 0) + before) {
                    return null;
                }
                return new Header(kind, flags, lap, seq, count, length, runs, 0, 0, 0, 0, 0, 0, false, 0, old, before);
            }
            case KIND_PAD: {
                long length = b.getInt(at + 20) & 0xFFFFFFFFL;
                if (length < 2 * HEADER) {
                    return null;
                }
                return new Header(kind, flags, lap, seq, 0, length, 0, 0, 0, 0, 0, 0, 0, false, 0, old, 0);
            }
            case KIND_TAIL: {
                long floor = b.getLong(at + 16);
                if (old || seq < 0 || floor < 0) {
                    return null;
                }
                return new Header(kind, flags, lap, seq, 0, 2 * HEADER, 0, 0, 0, 0, 0, 0, 0, false, floor, false, 0);
            }
            default:
                return null;
        }
    }

    /** Whether a single record's lengths can be a record's: a name, a value of no negative length, none for a removal. */
    static boolean validSingle(boolean removal, int nameLength, int valueLength) {
        return nameLength != 0 && valueLength >= 0 && !(removal && valueLength != 0);
    }

    /** A pad header, padded to the program size: the record skips {@code length} bytes. */
    static byte[] pad(int lap, long seq, long length, int programSize, byte[] identity) {
        byte[] copy = headerCopy(KIND_PAD, 0, lap, seq);
        ByteBuffer.wrap(copy).putInt(20, (int) length);
        seal(copy, identity);
        return twice(copy, programSize);
    }

    /** A tail record: the collection made the ring start at {@code tail}; revisions start at {@code floor}. */
    static byte[] tail(int lap, long tail, long floor, int programSize, byte[] identity) {
        byte[] copy = headerCopy(KIND_TAIL, 0, lap, tail);
        ByteBuffer.wrap(copy).putLong(16, floor);
        seal(copy, identity);
        return twice(copy, programSize);
    }

    private static byte[] twice(byte[] copy, int programSize) {
        byte[] out = new byte[padSize(programSize)];
        Arrays.fill(out, (byte) 0xFF);
        System.arraycopy(copy, 0, out, 0, HEADER);
        System.arraycopy(copy, 0, out, HEADER, HEADER);
        return out;
    }
}
