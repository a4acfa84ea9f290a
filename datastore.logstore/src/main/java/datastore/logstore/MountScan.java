package datastore.logstore;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The mount's reading of the ring: finding the tail without an anchor, walking the records from the
 * tail (repairing a header from its two damaged copies, resyncing on the next real record over
 * damage, restarting at a later tail record when the newest anchor was lost) into a {@link MountWalk}.
 * Reads only; the steps are in FORMAT.md, "Mount". A region that holds no log of this partition is
 * refused by {@link RegionRefusals}.
 */
final class MountScan {

    /**
     * A record found by the scan. A single record's one entry is its header's, so it keeps no
     * directory of its own: a ring of keys written one by one is mostly single records.
     */
    final class Scanned {
        long pos;
        LogFormat.Header header;
        RecordRef ref;
        /**
         * A batch's directory, read in place: the region offset of its valid copy's first entry in the
         * scan's map (two words each: {@link #fields}, {@link #crcs}), and the revision of each entry.
         * Revisions are null for other kinds, and for a batch whose directory copies are both damaged.
         */
        int entriesAt;
        long[] revisions;
        boolean dirCopyDamaged;
        boolean trailerCopyDamaged;
        boolean complete;

        private boolean single() {
            return header.kind() == LogFormat.KIND_SINGLE;
        }

        /** Whether the entries are known: a single record, or a batch with a readable directory. */
        boolean hasEntries() {
            return single() || revisions != null;
        }

        int count() {
            return single() ? 1 : revisions.length;
        }

        long revision(int i) {
            return single() ? header.seq() : revisions[i];
        }

        /**
         * The entry's first directory word, as stored: namespace code, format, flags and name length
         * (a byte each), value length; for a single record, the same from its header.
         */
        long fields(int i) {
            if (single()) {
                return (long) header.namespaceCode() << 56 | (long) header.format() << 48 | (long) header.flags() << 40
                        | (long) header.nameLength() << 32 | header.valueLength() & 0xFFFFFFFFL;
            }
            return map.getLong(entriesAt + i * LogFormat.DIR_ENTRY);
        }

        /** The entry's second directory word: name CRC, value CRC. */
        long crcs(int i) {
            if (single()) {
                return (long) header.nameCrc() << 32 | header.valueCrc() & 0xFFFFFFFFL;
            }
            return map.getLong(entriesAt + i * LogFormat.DIR_ENTRY + 8);
        }

        static int namespaceCode(long fields) {
            return (int) (fields >>> 56);
        }

        static int format(long fields) {
            return (int) (fields >>> 48) & 0xFF;
        }

        static boolean removal(long fields) {
            return (fields >>> 40 & LogFormat.FLAG_REMOVAL) != 0;
        }

        static int nameLength(long fields) {
            return (int) (fields >>> 32) & 0xFF;
        }

        static int valueLength(long fields) {
            return (int) fields;
        }

        static int nameCrc(long crcs) {
            return (int) (crcs >>> 32);
        }

        static int valueCrc(long crcs) {
            return (int) crcs;
        }
    }

    private final RingLayout layout;
    private final ByteBuffer map;
    /** Where legacy records are accepted during the current walk. */
    private long scanLegacyEnd;
    /** The header copies being parsed (a mount is one thread). */
    private final byte[] headerBuffer = new byte[2 * LogFormat.HEADER];
    private final RegionChecks checks;
    /** The undamaged single records {@link #cleanRunAt} read last. */
    private final SingleRun run = new SingleRun();

    MountScan(RingLayout layout, ByteBuffer map) {
        this.layout = layout;
        this.map = map;
        this.checks = new RegionChecks(map);
    }

    /** Parses the ring from {@code tail} to the head, resyncing over damage; stops at a later tail record. */
    MountWalk walk(long tail, long legacyEnd) {
        MountWalk w = new MountWalk();
        long limit = layout.blockStart(tail) + layout.ringSize;
        scanLegacyEnd = legacyEnd;
        try (FreeAreaScan free = new FreeAreaScan(map, layout, tail, limit)) {
            w.end = walk(w, tail, limit, free);
        }
        return w;
    }

    /** The walk's loop; returns where it ended. */
    private long walk(MountWalk w, long tail, long limit, FreeAreaScan free) {
        long pos = tail;
        while (pos + 2 * LogFormat.HEADER <= limit) {
            if (cleanRunAt(pos, limit)) {
                RecordRef ref = run.build();
                for (int i = 0; i < run.size(); i++) {
                    w.add(ref, null, run.hash(i));
                }
                w.maxSeq = Math.max(w.maxSeq, run.maxRevision() + 1);
                pos = ref.end();
                continue;
            }
            LogFormat.Header header = headerAt(pos, limit);
            if (header == null) {
                header = repairedHeaderAt(pos, limit);
                if (header != null) {
                    w.problems.add("record at ring offset " + layout.ringOffset(pos) + " (revision " + header.seq()
                            + "): both copies of its header are damaged; repaired from them");
                }
            }
            if (header == null) {
                if (free.erasedToLimit(pos)) {
                    // Only erased flash follows: the free area, no record past damage.
                    break;
                }
                long resync = resync(pos + layout.programSize, limit);
                if (resync < 0) {
                    break;
                }
                w.problems.add("ring offset " + layout.ringOffset(pos) + ": " + (resync - pos)
                        + " unreadable bytes skipped");
                pos = resync;
                continue;
            }
            w.sawLegacy |= header.legacy();
            if (header.kind() == LogFormat.KIND_TAIL) {
                w.maxSeq = Math.max(w.maxSeq, header.floor());
                if (header.seq() > tail && header.seq() <= pos) {
                    w.newerTail = header.seq();
                    return pos;
                }
            }
            Scanned s = scan(pos, header);
            w.add(s.ref, s, 0);
            if (header.kind() != LogFormat.KIND_PAD && header.kind() != LogFormat.KIND_TAIL) {
                long top = s.hasEntries() ? header.seq() + 1 : header.seq() + Math.max(1, header.count());
                if (s.hasEntries()) {
                    for (int i = 0; i < s.count(); i++) {
                        top = Math.max(top, s.revision(i) + 1);
                    }
                }
                w.maxSeq = Math.max(w.maxSeq, top);
            }
            pos = s.ref.end();
        }
        return pos;
    }

    /**
     * Without an anchor: where the ring's tail is, found from the tail records in it (the newest one
     * names the tail the lost anchor held), else the start of the oldest lap any record of this region
     * carries; with the revision floor. {@code null} if the ring holds no record of this region at all.
     */
    long[] findTail() {
        long tail = -1;
        long floor = 1;
        int minLap = -1;
        long ringSize = layout.ringSize;
        byte[] both = new byte[2 * LogFormat.HEADER];
        int step = layout.programSize;
        int end = (int) layout.region.geometry().size();
        for (long q = layout.ringStart; q + 2 * LogFormat.HEADER <= end; q += step) {
            int p = (int) q;
            if ((map.getShort(p) & 0xFFFF) != LogFormat.RECORD_MAGIC
                    && (map.getShort(p + LogFormat.HEADER) & 0xFFFF) != LogFormat.RECORD_MAGIC) {
                if (map.getLong(p) == -1L) {
                    // Erased flash holds no header: pass over it at memory speed.
                    q = Erased.nextCandidate(map, p, step, end) - step;
                }
                continue;
            }
            map.get(p, both);
            LogFormat.Header h = HeaderCodec.parseHeader(both, layout.identity, true, layout.programSize);
            if (h == null) {
                continue;
            }
            if (h.kind() == LogFormat.KIND_TAIL) {
                long lap = layout.lapOf(h.seq());
                for (long l = lap; l <= lap + 1; l++) {
                    long at = l * ringSize + (q - layout.ringStart);
                    if ((l & 0xFFFF) == h.lap() && at >= h.seq() && at - h.seq() < ringSize) {
                        tail = Math.max(tail, h.seq());
                        floor = Math.max(floor, h.floor());
                    }
                }
            } else if (h.kind() != LogFormat.KIND_PAD) {
                minLap = minLap < 0 ? h.lap() : Math.min(minLap, h.lap());
            }
        }
        if (tail >= 0) {
            return new long[] {tail, floor};
        }
        return minLap < 0 ? null : new long[] {minLap * ringSize, floor};
    }

    /**
     * Reads the undamaged single records from {@code pos} on into {@link #run}, as long as they lie
     * back to back in the block where the first one starts (the first may end in the next one). False
     * if the record at {@code pos} is not one.
     */
    private boolean cleanRunAt(long pos, long limit) {
        run.clear(pos);
        if (!cleanSingleAt(pos, limit)) {
            return false;
        }
        long bound = Math.min(limit, layout.blockStart(pos) + layout.blockSize);
        while (layout.runs && !run.full() && run.end + 2 * LogFormat.HEADER <= bound
                && cleanSingleAt(run.end, bound)) {
            // taken
        }
        return true;
    }

    /**
     * Adds the undamaged single record at {@code pos}, ending by {@code bound}, to {@link #run} with its
     * entry and checks in place; false for anything else (another kind, a legacy record, a copy of its
     * header or commit word damaged, a name of an unknown namespace or failing its CRC, a revision
     * the run cannot keep), which the general path ({@link #scan}) and {@link IndexBuilder} then take
     * unless a run ends there. Reads the header straight from its bytes, so that a ring of keys written
     * one by one costs no object a record to mount. A value failing its CRC is flagged damaged here,
     * as the builder does.
     */
    private boolean cleanSingleAt(long pos, long bound) {
        if (pos < scanLegacyEnd) {
            return false;
        }
        byte[] both = headerBytes(pos);
        int h = LogFormat.HEADER;
        if (both == null || ((both[0] & 0xFF) << 8 | both[1] & 0xFF) != LogFormat.RECORD_MAGIC
                || (both[2] & 0x0F) != LogFormat.KIND_SINGLE
                || !Arrays.equals(both, 0, h, both, h, 2 * h)) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(both);
        if (Checksums.headerCrc(both, 0, layout.identity) != b.getInt(h - 4)
                || (b.getShort(4) & 0xFFFF) != layout.lap16(pos)) {
            return false;
        }
        int flags = (both[2] & 0xF0) >>> 4;
        boolean removal = (flags & LogFormat.FLAG_REMOVAL) != 0;
        boolean lead = (flags & LogFormat.FLAG_MARKERS_LEAD) != 0;
        int nameLength = both[3] & 0xFF;
        int valueLength = b.getInt(16);
        int code = both[6] & 0xFF;
        if (!HeaderCodec.validSingle(removal, nameLength, valueLength) || !IndexBuilder.known(code)) {
            return false;
        }
        long seq = b.getLong(8);
        int before = lead ? layout.singleLead : 0;
        long length = LogFormat.singleLength(nameLength, valueLength) + before;
        long extent = layout.singleExtent(nameLength, valueLength, lead);
        if (pos + extent > layout.ringEndAfter(pos) || pos + extent > bound || !run.admits(seq)
                || !run.admitsFormat(lead)) {
            return false;
        }
        int at = (int) layout.phys(pos);
        if (!Checksums.fullyCommitted(map, (int) (at + length - LogFormat.TRAILER), seq)) {
            return false;
        }
        int nameAt = at + 2 * h + before;
        if (checks.nameCrc(code, nameAt, nameLength) != b.getInt(20)) {
            return false;
        }
        int hash = checks.lastNameHash(code, nameLength);
        int valueCrc = b.getInt(24);
        boolean valueOk = removal || checks.valueCrc(nameAt + nameLength, valueLength) == valueCrc;
        run.add(pos + extent, lead, code, both[7] & 0xFF, nameAt, nameLength, valueLength, seq, valueCrc,
                RecordRef.NAMED | (removal ? RecordRef.REMOVAL : 0) | (valueOk ? RecordRef.VERIFIED : RecordRef.DAMAGED)
                        | RecordRef.REPORTED, hash);
        return true;
    }

    /** The header of a record of this lap at {@code pos} whose extent fits, or {@code null}. */
    private LogFormat.Header headerAt(long pos, long limit) {
        byte[] both = headerBytes(pos);
        return both == null ? null
                : placed(pos, HeaderCodec.parseHeader(both, layout.identity, pos < scanLegacyEnd, layout.programSize),
                        limit);
    }

    /** The two header copies at {@code pos}, in a buffer the next call reuses, or null where no header fits. */
    private byte[] headerBytes(long pos) {
        if (pos + 2 * LogFormat.HEADER > layout.ringEndAfter(pos)) {
            return null;
        }
        map.get((int) layout.phys(pos), headerBuffer);
        return headerBuffer;
    }

    /** {@code header} if it belongs to this lap at {@code pos} and its extent fits, else {@code null}. */
    private LogFormat.Header placed(long pos, LogFormat.Header header, long limit) {
        if (header == null || header.lap() != layout.lap16(pos)) {
            return null;
        }
        boolean pad = header.kind() == LogFormat.KIND_PAD;
        long extent = layout.extent(header);
        if (extent % layout.programSize != 0 || !pad && pos + extent > layout.ringEndAfter(pos) || pos + extent > limit) {
            return null;
        }
        return header;
    }

    /** Whether the record at {@code pos} has a commit word where its header says its trailer is. */
    private boolean committedAt(long pos, LogFormat.Header header) {
        return Checksums.committed(map, (int) (layout.phys(pos) + header.length() - LogFormat.TRAILER), header.seq());
    }

    /**
     * The header at {@code pos} repaired from its two damaged copies, if a record is expected there
     * (the bytes are not erased) and the repair is confirmed by its lap, extent and commit word.
     */
    private LogFormat.Header repairedHeaderAt(long pos, long limit) {
        byte[] both = headerBytes(pos);
        if (both == null) {
            return null;
        }
        boolean erased = true;
        for (byte b : both) {
            erased &= b == (byte) 0xFF;
        }
        if (erased) {
            return null;
        }
        LogFormat.Header header = placed(pos,
                HeaderCodec.repairHeader(both, layout.identity, pos < scanLegacyEnd, layout.programSize), limit);
        if (header == null || !RingLayout.headerOnly(header) && !committedAt(pos, header)) {
            return null;
        }
        return header;
    }

    /**
     * The next position after {@code from} where a real record of the expected lap starts, or -1: how
     * the scan finds the records written after a torn header or a damaged one. A position counts only
     * if both header copies are valid and equal, or, with one valid copy, if the record's commit word
     * stands where that header puts its trailer: a lone second copy is otherwise indistinguishable
     * from the first copy of a record one header further on, and taking it would misplace every
     * record after it.
     */
    private long resync(long from, long limit) {
        byte[] both = new byte[2 * LogFormat.HEADER];
        int step = layout.programSize;
        long q = LogFormat.align(from, step);
        while (q + 2 * LogFormat.HEADER <= limit) {
            long ringEnd = layout.ringEndAfter(q);
            if (q + 2 * LogFormat.HEADER > ringEnd) {
                q = ringEnd;
                continue;
            }
            // Within one lap positions map to the region without a division: the free area is long.
            long last = Math.min(limit, ringEnd) - 2 * LogFormat.HEADER;
            int p = (int) layout.phys(q);
            int lap = layout.lap16(q);
            int end = (int) layout.phys(last) + 2 * LogFormat.HEADER;
            for (; q <= last; q += step, p += step) {
                if ((map.getShort(p) & 0xFFFF) != LogFormat.RECORD_MAGIC
                        && (map.getShort(p + LogFormat.HEADER) & 0xFFFF) != LogFormat.RECORD_MAGIC) {
                    if (map.getLong(p) == -1L) {
                        // Erased flash holds no header: pass over it at memory speed.
                        int skip = Erased.nextCandidate(map, p, step, end) - p - step;
                        q += skip;
                        p += skip;
                    }
                    continue;
                }
                // Records of an older lap (the free area holds them until its blocks are erased) are
                // passed over before any checksum: a header is taken only with this lap.
                if ((map.getShort(p + 4) & 0xFFFF) != lap && (map.getShort(p + LogFormat.HEADER + 4) & 0xFFFF) != lap) {
                    continue;
                }
                map.get(p, both);
                boolean legacy = q < scanLegacyEnd;
                int program = layout.programSize;
                LogFormat.Header first = HeaderCodec.parseCopy(both, 0, layout.identity, legacy, program);
                LogFormat.Header second = HeaderCodec.parseCopy(both, LogFormat.HEADER, layout.identity, legacy,
                        program);
                LogFormat.Header header = placed(q, first != null ? first : second, limit);
                if (header == null) {
                    continue;
                }
                boolean twins = first != null && second != null
                        && Arrays.equals(both, 0, LogFormat.HEADER, both, LogFormat.HEADER, 2 * LogFormat.HEADER);
                if (twins || !RingLayout.headerOnly(header) && committedAt(q, header)) {
                    return q;
                }
            }
        }
        return -1;
    }

    /**
     * Where writing resumes after the scan ended at {@code pos}: there if the rest of its block is
     * erased (or the block holds nothing before it), else after the torn bytes, where the next scan's
     * resync will find what follows.
     */
    long placeHead(long pos, long limit) {
        long start = layout.blockStart(pos);
        if (pos == start || pos >= limit) {
            return pos;
        }
        long end = start + layout.blockSize;
        long last = end;
        while (last > pos && map.get((int) layout.phys(last - 1)) == (byte) 0xFF) {
            last--;
        }
        long head = Math.max(pos, LogFormat.align(last - start, layout.programSize) + start);
        if (head >= end) {
            return end;
        }
        long ringEnd = layout.ringEndAfter(head);
        if (ringEnd - head < layout.padSize) {
            return ringEnd;
        }
        return head;
    }

    private Scanned scan(long pos, LogFormat.Header header) {
        Scanned s = new Scanned();
        s.pos = pos;
        s.header = header;
        long extent = layout.extent(header);
        s.ref = new RecordRef(pos, pos + extent, header.kind(), 0);
        if (RingLayout.headerOnly(header)) {
            return s;
        }
        if (header.markersLead()) {
            s.ref.markersLead();
        } else if (!header.legacy() && header.count() > 0) {
            s.ref.markers();
        }
        int trailer = (int) (layout.phys(pos) + header.length() - LogFormat.TRAILER);
        s.complete = Checksums.committed(map, trailer, header.seq());
        s.trailerCopyDamaged = s.complete && !Checksums.fullyCommitted(map, trailer, header.seq());
        switch (header.kind()) {
            case LogFormat.KIND_BATCH: {
                RecordCodec.Directory directory = RecordCodec.parseDirectory(map, (int) layout.phys(pos), header);
                if (directory != null) {
                    s.entriesAt = directory.entriesAt();
                    long names = 0;
                    long values = 0;
                    for (int i = 0; i < header.count(); i++) {
                        long fields = s.fields(i);
                        names += Scanned.nameLength(fields);
                        int valueLength = Scanned.valueLength(fields);
                        values += valueLength < 0 ? Integer.MAX_VALUE : valueLength;
                    }
                    long length = LogFormat.batchLength(header.count(), header.runs(), names, values) + header.lead();
                    if (length == header.length()) {
                        s.revisions = directory.revisions();
                        s.dirCopyDamaged = directory.copyDamaged();
                    }
                }
                break;
            }
            default:
                break;
        }
        return s;
    }
}
