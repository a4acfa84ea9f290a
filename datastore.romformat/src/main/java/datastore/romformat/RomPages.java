package datastore.romformat;

import static datastore.romformat.RomImageFormat.HASH_SIZE;
import static datastore.romformat.RomImageFormat.PAGE_SIZE;
import static datastore.romformat.RomImageFormat.sha256;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The lazy verification of one mounted image's paged area (hash table, index, data): each page is
 * hashed against the page table the first time it is touched and the verdict cached, and the damage
 * found so far (pages, refused entries, a damaged copy of the metadata) is kept for reporting.
 * Thread-safe: two readers may hash one page, and the first verdict counts.
 */
final class RomPages {
    private static final int UNCHECKED = 0;
    private static final int SOUND = 1;
    private static final int CORRUPTED = 2;

    private final ByteBuffer map;
    private final int base;
    private final int end;
    private final int pagedAt;
    private final String kindName;
    private final byte[] pageHashes;
    private final AtomicIntegerArray pages;
    private final AtomicInteger verifiedPages = new AtomicInteger();
    private final Set<String> problems = ConcurrentHashMap.newKeySet();

    /**
     * @param base the map offset of the image
     * @param pagedStart the image offset of the paged area, after the header and page table
     * @param imageLength bytes the image occupies
     * @param pageHashes the page table
     * @param kindName the image's kind for messages, as {@link RomImage#kindName}
     */
    RomPages(ByteBuffer map, int base, long pagedStart, int imageLength, byte[] pageHashes, String kindName) {
        this.map = map;
        this.base = base;
        this.end = base + imageLength;
        this.pagedAt = base + (int) pagedStart;
        this.kindName = kindName;
        int pageCount = (int) ((imageLength - pagedStart + PAGE_SIZE - 1) / PAGE_SIZE);
        this.pageHashes = Arrays.copyOf(pageHashes, HASH_SIZE * pageCount);
        this.pages = new AtomicIntegerArray(pageCount);
    }

    /** The map offset of the paged area's first byte. */
    int pagedAt() {
        return pagedAt;
    }

    int count() {
        return pages.length();
    }

    /** Pages hashed so far, sound or not. */
    int verified() {
        return verifiedPages.get();
    }

    /**
     * Whether every page holding map bytes [at, at + length) matches its hash, hashing those not
     * checked yet. Bytes before the paged area belong to the header and page table, checked at mount.
     */
    boolean sound(int at, int length) {
        if (length <= 0) {
            return true;
        }
        int first = (at - pagedAt) / PAGE_SIZE;
        int last = (at + length - 1 - pagedAt) / PAGE_SIZE;
        boolean sound = true;
        for (int p = first; p <= last; p++) {
            int state = pages.get(p);
            if (state == UNCHECKED) {
                state = verifyPage(p);
            }
            sound &= state == SOUND;
        }
        return sound;
    }

    /** Hashes every page not yet hashed. */
    void verifyAll() {
        // An interrupted caller (the partition's background verifier as its bundle stops) stops here,
        // leaving the rest unchecked: reads still check each page before serving from it.
        for (int p = 0; p < pages.length() && !Thread.currentThread().isInterrupted(); p++) {
            if (pages.get(p) == UNCHECKED) {
                verifyPage(p);
            }
        }
    }

    private int verifyPage(int page) {
        int from = pagedAt + page * PAGE_SIZE;
        int length = Math.min(PAGE_SIZE, end - from);
        MessageDigest sha = sha256();
        sha.update(map.slice(from, length));
        byte[] computed = sha.digest();
        boolean sound = Arrays.equals(computed, 0, HASH_SIZE, pageHashes, page * HASH_SIZE, (page + 1) * HASH_SIZE);
        int state = sound ? SOUND : CORRUPTED;
        if (pages.compareAndSet(page, UNCHECKED, state)) {
            verifiedPages.incrementAndGet();
            if (!sound) {
                problems.add("page " + page + " (image bytes " + (from - base) + "-" + (from - base + length - 1)
                        + ") of " + kindName + " fails its SHA-256; entries whose record or bytes lie there are "
                        + "not served");
            }
        }
        return pages.get(page);
    }

    /** Records damage found outside a page check. */
    void report(String problem) {
        problems.add(problem);
    }

    /** The damage found so far, sorted; unmodifiable. */
    List<String> problems() {
        List<String> list = new ArrayList<>(problems);
        Collections.sort(list);
        return Collections.unmodifiableList(list);
    }
}
