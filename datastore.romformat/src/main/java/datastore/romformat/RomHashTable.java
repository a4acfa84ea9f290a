package datastore.romformat;

import static datastore.romformat.RomImageFormat.BUCKET_SIZE;
import static datastore.romformat.RomImageFormat.INDEX_RECORD_FIXED;
import static datastore.romformat.RomImageFormat.firstSlot;
import static datastore.romformat.RomImageFormat.hash;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The search of one mounted image's on-flash hash table (open addressing, linear probing, as
 * {@link RomImageFormat} lays it out) for a name's index record, every page it reads checked
 * through {@link RomPages} first; past a damaged table page, the index is walked instead.
 * Allocates nothing for ASCII names. Thread-safe: it only reads.
 */
final class RomHashTable {
    private final ByteBuffer map;
    private final int base;
    private final int buckets;
    private final int bucketsAt;
    private final int bucketSize;
    private final int indexAt;
    private final int indexEnd;
    private final RomPages pages;

    RomHashTable(ByteBuffer map, int base, int buckets, int bucketsAt, int bucketSize, int indexAt, int indexEnd,
            RomPages pages) {
        this.map = map;
        this.base = base;
        this.buckets = buckets;
        this.bucketsAt = bucketsAt;
        this.bucketSize = bucketSize;
        this.indexAt = indexAt;
        this.indexEnd = indexEnd;
        this.pages = pages;
    }

    /**
     * The map offset of the index record of an entry, {@link RomImage#ABSENT}, or {@link RomImage#DAMAGED} when a
     * page of the hash table or index the search had to read fails its hash (then the answer is
     * unknown: a damaged record on the probe path could be this entry's). Allocates nothing for
     * ASCII names.
     */
    int lookup(int code, String name) {
        int hash = hash(code, name);
        int slot = firstSlot(hash, buckets);
        boolean hashed = bucketSize == BUCKET_SIZE;
        for (int probes = 0; probes < buckets; probes++) {
            int at = bucketsAt + bucketSize * slot;
            if (!pages.sound(at, bucketSize)) {
                return scanIndex(code, name);
            }
            int record = map.getInt(at);
            if (record == 0) {
                return RomImage.ABSENT;
            }
            if (hashed && map.getInt(at + 4) != hash) {
                // Another entry's slot: its record is not read, so a damaged page of it costs this lookup nothing.
                slot = slot + 1 == buckets ? 0 : slot + 1;
                continue;
            }
            int r = base + record;
            if (r < indexAt || r > indexEnd - INDEX_RECORD_FIXED || !pages.sound(r, INDEX_RECORD_FIXED)) {
                return RomImage.DAMAGED;
            }
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            if (r + INDEX_RECORD_FIXED + nameLength > indexEnd) {
                return RomImage.DAMAGED;
            }
            if ((map.get(r) & 0xFF) == code) {
                if (!pages.sound(r + INDEX_RECORD_FIXED, nameLength)) {
                    return RomImage.DAMAGED;
                }
                if (nameEquals(r + INDEX_RECORD_FIXED, nameLength, name)) {
                    return r;
                }
            }
            slot = slot + 1 == buckets ? 0 : slot + 1;
        }
        return RomImage.ABSENT;
    }

    /**
     * The way round a damaged hash table page: the index records one after the other from the first,
     * each page checked as for a lookup; {@link RomImage#DAMAGED} if a damaged page comes before the entry.
     */
    private int scanIndex(int code, String name) {
        int r = indexAt;
        while (r <= indexEnd - INDEX_RECORD_FIXED) {
            if (!pages.sound(r, INDEX_RECORD_FIXED)) {
                return RomImage.DAMAGED;
            }
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            if (nameLength == 0 || r + INDEX_RECORD_FIXED + nameLength > indexEnd
                    || !pages.sound(r + INDEX_RECORD_FIXED, nameLength)) {
                return RomImage.DAMAGED;
            }
            if ((map.get(r) & 0xFF) == code && nameEquals(r + INDEX_RECORD_FIXED, nameLength, name)) {
                return r;
            }
            r += INDEX_RECORD_FIXED + nameLength;
        }
        return RomImage.ABSENT;
    }

    private boolean nameEquals(int at, int length, String name) {
        int p = 0;
        for (int i = 0, n = name.length(); i < n; i++) {
            char c = name.charAt(i);
            if (c >= 0x80) {
                byte[] rest = name.substring(i).getBytes(StandardCharsets.UTF_8);
                if (p + rest.length != length) {
                    return false;
                }
                for (byte b : rest) {
                    if (map.get(at + p++) != b) {
                        return false;
                    }
                }
                return true;
            }
            if (p >= length || map.get(at + p) != (byte) c) {
                return false;
            }
            p++;
        }
        return p == length;
    }
}
