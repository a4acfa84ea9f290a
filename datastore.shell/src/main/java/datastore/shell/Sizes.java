package datastore.shell;

import java.util.Locale;

/** How the commands print byte counts and how full something is. */
final class Sizes {

    private Sizes() {
    }

    /** A byte count for people: bytes below 1 KiB, else KiB or MiB with one decimal. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    /** {@code used} as a percentage of {@code capacity} with one decimal, or "-" without a capacity. */
    static String percent(long used, long capacity) {
        return capacity <= 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * used / capacity);
    }
}
