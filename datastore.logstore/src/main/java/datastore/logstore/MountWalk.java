package datastore.logstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one walk of the ring from a tail ({@link MountScan#walk}) found: every record's
 * {@link RecordRef} in ring order, and at the same index its {@link MountScan.Scanned}, which is null
 * for an undamaged single record whose entry the walk already put into its ref (the mount's common
 * case), with that record's name hash. Such records lying back to back share one ref, a run
 * ({@link RecordRef#run}), which then fills one index for each of its slots, in slot order. Kept in
 * chunks, so that a walk of 100k records allocates each column once instead of copying it as it grows
 * (on a fresh heap every allocated page is a page fault).
 */
final class MountWalk {
    private static final int CHUNK = 4096;
    private RecordRef[][] refs = new RecordRef[16][];
    private MountScan.Scanned[][] scanned = new MountScan.Scanned[16][];
    private int[][] hashes = new int[16][];
    private int size;
    /** Distinct refs added: the records the ring will hold. */
    private int records;
    final List<String> problems = new ArrayList<>();
    long end;
    long maxSeq = 1;
    /** A tail record naming a later tail than the walk started from (the newest anchor was lost). */
    long newerTail = -1;
    boolean sawLegacy;

    /**
     * Adds a record: its {@link MountScan.Scanned}, or null with its name's hash for an undamaged single
     * record; a run is added once for each slot, in slot order.
     */
    void add(RecordRef ref, MountScan.Scanned s, int hash) {
        if (size == 0 || ref != ref(size - 1)) {
            records++;
        }
        int chunk = size / CHUNK;
        if (chunk == refs.length) {
            refs = Arrays.copyOf(refs, 2 * chunk);
            scanned = Arrays.copyOf(scanned, 2 * chunk);
            hashes = Arrays.copyOf(hashes, 2 * chunk);
        }
        if (refs[chunk] == null) {
            refs[chunk] = new RecordRef[CHUNK];
            scanned[chunk] = new MountScan.Scanned[CHUNK];
            hashes[chunk] = new int[CHUNK];
        }
        int i = size % CHUNK;
        refs[chunk][i] = ref;
        scanned[chunk][i] = s;
        hashes[chunk][i] = hash;
        size++;
    }

    int size() {
        return size;
    }

    /** The distinct records added (a run counts once). */
    int records() {
        return records;
    }

    RecordRef ref(int k) {
        return refs[k / CHUNK][k % CHUNK];
    }

    MountScan.Scanned scanned(int k) {
        return scanned[k / CHUNK][k % CHUNK];
    }

    /** The name hash of the undamaged single record (or run slot) at {@code k}. */
    int hash(int k) {
        return hashes[k / CHUNK][k % CHUNK];
    }
}
