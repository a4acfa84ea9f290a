package datastore.runtime;

import java.util.concurrent.atomic.AtomicInteger;

/** A record in the ring: its virtual extent, its entries and the views pinning it. */
final class RecordRef {
    static final EntryLoc[] NO_ENTRIES = new EntryLoc[0];

    final long start;
    final long end;
    final int kind;
    /** The collection that wrote it, or 0. */
    final long pass;
    /** Open views; -1 once sealed for erasing, after which it can never be pinned again. */
    final AtomicInteger pins = new AtomicInteger();
    EntryLoc[] entries = NO_ENTRIES;
    /** Region offset of the record's superseded markers (one bit per entry, cleared when superseded); -1: none. */
    long markerAt = -1;

    RecordRef(long start, long end, int kind, long pass) {
        this.start = start;
        this.end = end;
        this.kind = kind;
        this.pass = pass;
    }

    /** Pins the record for a view; false once it is sealed for erasing. */
    boolean pin() {
        while (true) {
            int n = pins.get();
            if (n < 0) {
                return false;
            }
            if (pins.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Seals the record for erasing: true if no view holds it (it can never be pinned again). */
    boolean seal() {
        return pins.compareAndSet(0, -1) || pins.get() < 0;
    }

    boolean sealed() {
        return pins.get() < 0;
    }
}
