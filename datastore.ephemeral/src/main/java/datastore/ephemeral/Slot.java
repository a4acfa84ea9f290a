package datastore.ephemeral;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Where one record lives in the arena, and how many open views pin it. A slot is never reused: a
 * record that moves or is superseded gets a new slot and its old one is retired, so a reader holding a
 * stale slot can never pin bytes that were handed to another record (no ABA).
 *
 * <p>The pin state is one int: a count of views ({@code >= 0}), {@link #RETIRED} once the writer has
 * taken the record away from readers (only possible at count 0), or {@link #HANDED_OFF} once the arena
 * closed and moved the remaining count into the record's shared pin word in the mapped file, where the
 * next arena instance (after a bundle update) sees it.
 *
 * <p>A slot also caches whether its record passed its CRC32C, which the first open checks: a record
 * never changes while it is live, and a moved record gets a new slot, so the copy is checked again.
 */
final class Slot {
    static final int RETIRED = -1;
    static final int HANDED_OFF = Integer.MIN_VALUE;
    static final int UNVERIFIED = 0;
    static final int INTACT = 1;
    static final int DAMAGED = 2;

    private static final AtomicIntegerFieldUpdater<Slot> STATE =
            AtomicIntegerFieldUpdater.newUpdater(Slot.class, "state");

    final int position;
    final int span;
    final long revision;
    final int nameLength;
    final int valueLength;
    final int format;

    private volatile int state;
    /** {@link #UNVERIFIED}, {@link #INTACT} or {@link #DAMAGED}; readers racing to set it agree. */
    private volatile int integrity;

    Slot(int position, int span, long revision, int nameLength, int valueLength, int format) {
        this.position = position;
        this.span = span;
        this.revision = revision;
        this.nameLength = nameLength;
        this.valueLength = valueLength;
        this.format = format;
    }

    /** The same record at another position (compaction); revision and content are unchanged. */
    Slot movedTo(int newPosition) {
        return new Slot(newPosition, span, revision, nameLength, valueLength, format);
    }

    int integrity() {
        return integrity;
    }

    void integrity(int verdict) {
        integrity = verdict;
    }

    long payload() {
        return (long) nameLength + valueLength;
    }

    int valuePosition() {
        return position + ArenaFormat.RECORD_HEADER + nameLength;
    }

    /**
     * Whether the record is still this slot's: not retired and not handed off. The arena overwrites a
     * record's bytes only after its slot stopped being live, and a slot never becomes live again, so a
     * reader that read the bytes before seeing {@code true} here read the record as written.
     */
    boolean live() {
        return state >= 0;
    }

    /** Adds a pin unless the slot is retired or handed off. Lock-free. */
    boolean tryPin() {
        for (;;) {
            int s = state;
            if (s < 0) {
                return false;
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                return true;
            }
        }
    }

    /** Drops a pin taken by {@link #tryPin()}; after a hand-off the pin lives in the arena file. */
    void unpin(Arena arena) {
        for (;;) {
            int s = state;
            if (s == HANDED_OFF) {
                arena.releaseHandedOffPin(position);
                return;
            }
            if (STATE.compareAndSet(this, s, s - 1)) {
                return;
            }
        }
    }

    /** Takes the record away from readers if no view pins it. */
    boolean tryRetire() {
        return STATE.compareAndSet(this, 0, RETIRED);
    }

    /**
     * Moves the remaining pins into the record's shared pin word, so that they outlive this arena
     * instance. Views released later decrement the shared word instead (see {@link #unpin(Arena)}).
     */
    void handOff(Arena arena) {
        for (;;) {
            int s = state;
            if (s == RETIRED || s == HANDED_OFF) {
                return;
            }
            if (s == 0) {
                if (STATE.compareAndSet(this, 0, HANDED_OFF)) {
                    return;
                }
                continue;
            }
            // Publish the count first, so that a view closing right after the switch finds it there.
            arena.addSharedPins(position, s);
            if (STATE.compareAndSet(this, s, HANDED_OFF)) {
                return;
            }
            arena.addSharedPins(position, -s);
        }
    }
}
