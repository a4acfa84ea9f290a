package datastore.ephemeral;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The views of this arena instance that pin one record, by position; only records that a view (or a
 * reader about to validate its lookup) pins have one, so the index itself holds no object per key.
 * Every change happens under the pin's monitor, so that a pin and a retirement never cross: once the
 * writer has retired a record (no view pinned it) no reader can pin it until the writer lets the
 * position go, after the record moved and its index entry says so.
 *
 * <p>At {@link Arena#close()} the remaining count moves into the record's shared pin word in the
 * mapped file ({@link #handOff}), where the next arena instance (after a bundle update) sees it; a
 * view closed later decrements the file's word instead.
 */
final class Pin {
    private int count;
    /** The writer took the record away from readers: no pin until this marker leaves the map. */
    private boolean retired;
    /** The arena closed: the count lives in the file's shared pin word. */
    private boolean handedOff;
    /** The last pin went: this object left (or is leaving) the map; a reader takes a fresh one. */
    private boolean gone;

    /**
     * Pins the record at {@code position} unless the writer has retired it.
     *
     * @return the pin to release, or null when the record is retired (or the arena closed)
     */
    static Pin tryPin(ConcurrentHashMap<Integer, Pin> pins, int position) {
        for (;;) {
            Pin pin = pins.computeIfAbsent(position, at -> new Pin());
            synchronized (pin) {
                if (pin.gone) {
                    pins.remove(position, pin);
                    continue;
                }
                if (pin.retired || pin.handedOff) {
                    return null;
                }
                pin.count++;
                return pin;
            }
        }
    }

    /** Drops a pin taken by {@link #tryPin}; after a hand-off the pin lives in the arena file. */
    void unpin(Arena arena, ConcurrentHashMap<Integer, Pin> pins, int position) {
        synchronized (this) {
            if (handedOff) {
                arena.releaseHandedOffPin(position);
                return;
            }
            if (--count > 0) {
                return;
            }
            gone = true;
        }
        pins.remove(position, this);
    }

    /**
     * Retires the record at {@code position} if no view of this instance pins it: until
     * {@link #release} no reader can pin it. Under the write lock.
     *
     * @return the marker to release once the record's index entry no longer names this position, or
     *         null when a view pins the record
     */
    static Pin tryRetire(ConcurrentHashMap<Integer, Pin> pins, int position) {
        for (;;) {
            Pin pin = pins.computeIfAbsent(position, at -> new Pin());
            synchronized (pin) {
                if (pin.gone) {
                    pins.remove(position, pin);
                    continue;
                }
                if (pin.count > 0) {
                    return null;
                }
                pin.retired = true;
                return pin;
            }
        }
    }

    /** Lets readers pin the position again: the retired record's entry has moved on. */
    static void release(ConcurrentHashMap<Integer, Pin> pins, int position, Pin marker) {
        pins.remove(position, marker);
    }

    /** Whether a view of this instance pins the record at {@code position}. */
    static boolean pinned(ConcurrentHashMap<Integer, Pin> pins, int position) {
        Pin pin = pins.get(position);
        if (pin == null) {
            return false;
        }
        synchronized (pin) {
            return pin.count > 0;
        }
    }

    /**
     * Moves the remaining pins into the record's shared pin word, so that they outlive this arena
     * instance; no pin is taken after it.
     */
    void handOff(Arena arena, int position) {
        synchronized (this) {
            if (handedOff || gone) {
                return;
            }
            if (count > 0) {
                arena.addSharedPins(position, count);
            }
            handedOff = true;
        }
    }
}
