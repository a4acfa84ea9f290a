package datastore.logstore;

import datastore.logstore.LogFormat.Header;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import static datastore.logstore.LogFormat.DIR_ENTRY;
import static datastore.logstore.LogFormat.FLAG_MARKERS_LEAD;
import static datastore.logstore.LogFormat.FLAG_REMOVAL;
import static datastore.logstore.LogFormat.HEADER;
import static datastore.logstore.LogFormat.KIND_BATCH;
import static datastore.logstore.LogFormat.KIND_CLEAR;
import static datastore.logstore.LogFormat.KIND_SINGLE;
import static datastore.logstore.LogFormat.RUN;
import static datastore.logstore.LogFormat.align;
import static datastore.logstore.LogFormat.batchLength;
import static datastore.logstore.LogFormat.markerSize;
import static datastore.logstore.LogFormat.singleLength;

/**
 * Records of the runtime format (FORMAT.md): encoding single-entry, batch and clear records (format 4),
 * and parsing a batch record's directory (formats 4, 3 and 2).
 */
final class RecordCodec {
    private RecordCodec() {
    }

    /**
     * A parsed batch directory: the region offset of its valid copy's first entry (16 bytes each, read
     * in place: {@link MountScan.Scanned}), the revision of each entry, and whether one copy failed its CRC.
     */
    record Directory(int entriesAt, long[] revisions, boolean copyDamaged) {
    }

    /**
     * Parses the directory of the batch record at region offset {@code at} of {@code map}, trying both
     * copies; {@code null} if neither is valid. Reads the region in place. A second copy whose bytes
     * (its CRC included) equal the first's has the first's verdict, so an undamaged directory is
     * checksummed once.
     */
    static Directory parseDirectory(ByteBuffer map, int at, Header header) {
        int count = header.count();
        int runs = header.runs();
        int dirLength = RUN * runs + DIR_ENTRY * count;
        int first = at + 2 * HEADER + header.lead();
        int second = first + dirLength + 4;
        boolean firstValid = directoryValid(map, at, first, dirLength);
        boolean twins = map.slice(first, dirLength + 4).mismatch(map.slice(second, dirLength + 4)) < 0;
        boolean secondValid = twins ? firstValid : directoryValid(map, at, second, dirLength);
        Directory found = null;
        for (int copy = 0; copy < 2 && found == null; copy++) {
            if (copy == 0 ? !firstValid : !secondValid) {
                continue;
            }
            int dirAt = copy == 0 ? first : second;
            long[] revisions = revisions(map, dirAt, header);
            if (revisions != null) {
                found = new Directory(dirAt + RUN * runs, revisions, !firstValid || !secondValid);
            }
        }
        return found;
    }

    /** Whether the directory copy at {@code dirAt} matches its stored CRC, which binds it to either header copy. */
    private static boolean directoryValid(ByteBuffer map, int at, int dirAt, int dirLength) {
        int stored = map.getInt(dirAt + dirLength);
        boolean equalHeaders = map.slice(at, HEADER).mismatch(map.slice(at + HEADER, HEADER)) < 0;
        for (int h = 0; h < (equalHeaders ? 1 : 2); h++) {
            CRC32C crc = new CRC32C();
            crc.update(map.slice(at + h * HEADER, HEADER - 4));
            crc.update(map.slice(dirAt, dirLength));
            if ((int) crc.getValue() == stored) {
                return true;
            }
        }
        return false;
    }

    /** The revision of each entry from the directory's runs, or null if the runs do not describe exactly its entries. */
    private static long[] revisions(ByteBuffer map, int dirAt, Header header) {
        int count = header.count();
        long[] revisions = new long[count];
        int next = 0;
        for (int r = 0; r < header.runs(); r++) {
            long offset = map.getInt(dirAt + r * RUN) & 0xFFFFFFFFL;
            int length = map.getInt(dirAt + r * RUN + 4);
            if (length <= 0 || length > count - next) {
                return null;
            }
            for (int i = 0; i < length; i++) {
                revisions[next++] = header.seq() + offset + i;
            }
        }
        return next == count ? revisions : null;
    }

    /** One entry to encode. {@code value} is null for a removal. */
    record EncodedEntry(int namespaceCode, int format, byte[] name, ByteBuffer value, int valueCrc, long revision) {
        int valueLength() {
            return value == null ? 0 : value.remaining();
        }
    }

    /**
     * An encoded record (format 4), where, from its start, each entry's value begins, and where its
     * markers lie ({@code markersLength} bytes from {@code markersAt}, left erased: they are not
     * programmed with the record).
     */
    record Encoded(byte[] bytes, long[] valueAt, int markersAt, int markersLength) {
    }

    /**
     * Encodes entries as one record of format 4, padded with {@code 0xFF} to the program size: a
     * single-entry record for one entry, else a batch whose revisions are described as runs from the
     * first entry's revision (consecutive for a write, with gaps where collection left dead entries
     * behind). The markers lead the body: after the header copies, in program units of their own.
     */
    static Encoded encode(EncodedEntry[] entries, int lap, int flags, int programSize, byte[] identity) {
        return entries.length == 1 ? encodeSingle(entries[0], lap, flags, programSize, identity)
                : encodeBatch(entries, lap, flags, programSize, identity);
    }

    /**
     * The extent of the record {@link #encode} will produce, its markers included, so the record can be
     * placed before it is encoded.
     */
    static int encodedLength(EncodedEntry[] entries, int programSize) {
        int lead = LogFormat.lead(entries.length, programSize);
        if (entries.length == 1) {
            return align(singleLength(entries[0].name().length, entries[0].valueLength()) + lead, programSize);
        }
        long names = 0;
        long values = 0;
        for (EncodedEntry e : entries) {
            names += e.name().length;
            values += e.valueLength();
        }
        long total = batchLength(entries.length, runs(entries).length, names, values) + lead;
        if (total > Integer.MAX_VALUE - programSize) {
            throw new IllegalArgumentException("a record of " + total + " bytes is too long");
        }
        return align(total, programSize);
    }

    private static Encoded encodeSingle(EncodedEntry e, int lap, int flags, int programSize, byte[] identity) {
        int lead = LogFormat.lead(1, programSize);
        long total = singleLength(e.name().length, e.valueLength()) + lead;
        byte[] out = newRecord(total, programSize);
        int kindFlags = flags | FLAG_MARKERS_LEAD | (e.value() == null ? FLAG_REMOVAL : 0);
        byte[] copy = HeaderCodec.headerCopy(KIND_SINGLE, kindFlags, lap, e.revision());
        copy[3] = (byte) e.name().length;
        copy[6] = (byte) e.namespaceCode();
        copy[7] = (byte) e.format();
        ByteBuffer.wrap(copy).putInt(16, e.valueLength()).putInt(20, Checksums.nameCrc(e.namespaceCode(), e.name()))
                .putInt(24, e.valueCrc());
        HeaderCodec.seal(copy, identity);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.put(copy).put(copy);
        skipLead(b, lead);
        b.put(e.name());
        if (e.value() != null) {
            b.put(e.value().duplicate());
        }
        int word = Checksums.commitWord(e.revision());
        b.putInt(word).putInt(word);
        return new Encoded(out, new long[] {2L * HEADER + lead + e.name().length}, LogFormat.headerUnits(programSize),
                markerSize(1, programSize));
    }

    private static Encoded encodeBatch(EncodedEntry[] entries, int lap, int flags, int programSize, byte[] identity) {
        int count = entries.length;
        long base = entries[0].revision();
        int[][] runs = runs(entries);
        long names = 0;
        long values = 0;
        for (EncodedEntry e : entries) {
            names += e.name().length;
            values += e.valueLength();
        }
        int lead = LogFormat.lead(count, programSize);
        long total = batchLength(count, runs.length, names, values) + lead;
        byte[] out = newRecord(total, programSize);
        byte[] copy = HeaderCodec.headerCopy(KIND_BATCH, flags | FLAG_MARKERS_LEAD, lap, base);
        ByteBuffer.wrap(copy).putInt(16, count).putInt(20, (int) total).putInt(24, runs.length);
        HeaderCodec.seal(copy, identity);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.put(copy).put(copy);
        skipLead(b, lead);
        int dirAt = b.position();
        for (int[] run : runs) {
            b.putInt(run[0]).putInt(run[1]);
        }
        for (EncodedEntry e : entries) {
            b.put((byte) e.namespaceCode()).put((byte) e.format()).put((byte) (e.value() == null ? FLAG_REMOVAL : 0))
                    .put((byte) e.name().length).putInt(e.valueLength()).putInt(Checksums.nameCrc(e.namespaceCode(), e.name()))
                    .putInt(e.valueCrc());
        }
        int dirLength = b.position() - dirAt;
        byte[] covered = new byte[HEADER - 4 + dirLength];
        System.arraycopy(copy, 0, covered, 0, HEADER - 4);
        System.arraycopy(out, dirAt, covered, HEADER - 4, dirLength);
        b.putInt(Checksums.crc(covered, 0, covered.length));
        b.put(out, dirAt, dirLength + 4);
        for (EncodedEntry e : entries) {
            b.put(e.name());
        }
        long[] valueAt = new long[count];
        for (int i = 0; i < count; i++) {
            valueAt[i] = b.position();
            if (entries[i].value() != null) {
                b.put(entries[i].value().duplicate());
            }
        }
        int word = Checksums.commitWord(base);
        b.putInt(word).putInt(word);
        return new Encoded(out, valueAt, LogFormat.headerUnits(programSize), markerSize(count, programSize));
    }

    /** Leaves the {@code lead} bytes after the header copies erased: the rest of their program unit, the markers. */
    private static void skipLead(ByteBuffer b, int lead) {
        Arrays.fill(b.array(), b.position(), b.position() + lead, (byte) 0xFF);
        b.position(b.position() + lead);
    }

    /** A clear record: every revision below {@code seq} is gone. */
    static byte[] clear(long seq, int lap, int programSize, byte[] identity) {
        long total = batchLength(0, 0, 0, 0);
        byte[] out = newRecord(total, programSize);
        byte[] copy = HeaderCodec.headerCopy(KIND_CLEAR, 0, lap, seq);
        ByteBuffer.wrap(copy).putInt(16, 0).putInt(20, (int) total).putInt(24, 0);
        HeaderCodec.seal(copy, identity);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.put(copy).put(copy);
        int dirCrc = Checksums.crc(copy, 0, HEADER - 4);
        b.putInt(dirCrc).putInt(dirCrc);
        int word = Checksums.commitWord(seq);
        b.putInt(word).putInt(word);
        return out;
    }

    private static byte[] newRecord(long total, int programSize) {
        if (total > Integer.MAX_VALUE - programSize) {
            throw new IllegalArgumentException("a record of " + total + " bytes is too long");
        }
        byte[] out = new byte[align(total, programSize)];
        Arrays.fill(out, (int) total, out.length, (byte) 0xFF);
        return out;
    }

    /** Runs of consecutive revisions as (offset from the first, length) pairs. */
    private static int[][] runs(EncodedEntry[] entries) {
        long base = entries[0].revision();
        List<int[]> runs = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= entries.length; i++) {
            if (i == entries.length || entries[i].revision() != entries[i - 1].revision() + 1) {
                long offset = entries[start].revision() - base;
                if (offset < 0 || offset > 0xFFFFFFFFL) {
                    throw new IllegalArgumentException("revisions of one record must ascend within 2^32");
                }
                runs.add(new int[] {(int) offset, i - start});
                start = i;
            }
        }
        return runs.toArray(new int[0][]);
    }
}
