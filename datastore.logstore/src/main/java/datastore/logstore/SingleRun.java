package datastore.logstore;

/**
 * Undamaged single records the mount read back to back, gathered into one {@link RecordRef} run
 * ({@link RecordRef#run}): a ring of keys written one by one then costs the index one object for each
 * run of up to {@link #MAX} records in one block, instead of one for each record. The mount's (one
 * thread); the columns are reused from run to run.
 */
final class SingleRun {
    /** The most records a run takes; a block of the shipped geometry holds at most 682 single records. */
    static final int MAX = 1024;
    /** How far a run's revisions may lie from its first one's: 2^30. */
    static final long REVISION_SPAN = 1L << 30;

    private final int[] codes = new int[MAX];
    private final int[] formats = new int[MAX];
    private final int[] nameAts = new int[MAX];
    private final int[] nameLengths = new int[MAX];
    private final int[] valueLengths = new int[MAX];
    private final int[] valueCrcs = new int[MAX];
    private final int[] flags = new int[MAX];
    private final int[] hashes = new int[MAX];
    private final long[] revisions = new long[MAX];
    private long start;
    /** Virtual position after the last record taken. */
    long end;
    private int size;
    private long maxRevision;
    /** Whether the run's records lead with their markers (format 4); a run's records are all of one format. */
    private boolean lead;

    /** Starts an empty run at virtual position {@code start}. */
    void clear(long start) {
        this.lead = false;
        this.start = start;
        this.end = start;
        this.size = 0;
        this.maxRevision = 0;
    }

    int size() {
        return size;
    }

    boolean full() {
        return size == MAX;
    }

    /**
     * Whether an entry of this revision may join: a run keeps its revisions within
     * {@link #REVISION_SPAN} of its first one, so that any two differ by less than 2^31 and a split
     * ({@link RecordRef#split}) can keep the later ones relative to the first of them.
     */
    boolean admits(long revision) {
        return size == 0 || Math.abs(revision - revisions[0]) <= REVISION_SPAN;
    }

    /** Whether a record of this format may join: the run's records are all of format 4 or all of format 3. */
    boolean admitsFormat(boolean markersLead) {
        return size == 0 || markersLead == lead;
    }

    /** Takes the single record ending at {@code end}, with its entry's columns and its name's hash. */
    void add(long end, boolean markersLead, int code, int format, int nameAt, int nameLength, int valueLength,
            long revision, int valueCrc, int flagBits, int hash) {
        lead = markersLead;
        codes[size] = code;
        formats[size] = format;
        nameAts[size] = nameAt;
        nameLengths[size] = nameLength;
        valueLengths[size] = valueLength;
        valueCrcs[size] = valueCrc;
        flags[size] = flagBits;
        hashes[size] = hash;
        revisions[size] = revision;
        maxRevision = Math.max(maxRevision, revision);
        size++;
        this.end = end;
    }

    /** The name hash of the run's {@code i}-th entry, which the index files it by. */
    int hash(int i) {
        return hashes[i];
    }

    long maxRevision() {
        return maxRevision;
    }

    /** The run as one record: a plain single record when it took one, else a run of {@link #size} slots. */
    RecordRef build() {
        RecordRef ref = new RecordRef(start, end, LogFormat.KIND_SINGLE, 0);
        if (lead) {
            ref.markersLead();
        }
        if (size > 1) {
            ref.run();
        } else {
            ref.markers();
        }
        ref.entries(size);
        for (int i = 0; i < size; i++) {
            ref.entry(i, codes[i], formats[i], nameAts[i], nameLengths[i], nameAts[i] + nameLengths[i], valueLengths[i],
                    revisions[i], valueCrcs[i], flags[i]);
        }
        return ref;
    }
}
