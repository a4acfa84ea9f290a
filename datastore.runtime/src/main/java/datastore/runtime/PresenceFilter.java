package datastore.runtime;

import java.util.concurrent.atomic.AtomicLongArray;

import datastore.Namespace;

/**
 * A blocked Bloom filter of the names the partition holds: each (namespace, name) sets four bits of
 * one 64-bit word, chosen from the name's {@code String.hashCode()} (cached in the string, so a test
 * hashes nothing) mixed with the namespace. Bits are only ever set, so a name once added tests
 * present until the owner replaces the filter with one rebuilt from its index; a removal only leaves
 * a false positive behind. Filled to the count it was sized for ({@link #BITS_PER_NAME} bits a
 * name), it lets about 0.5% of absent names through (PresenceFilterTest prints the rate).
 *
 * <p>Only the writer that publishes the index adds to a filter, inside the index's seqlock window;
 * readers test it inside the same window (see {@code LogStore.mayContain}), so a test agrees with
 * the index as of one publication.
 */
final class PresenceFilter {

    /** Bits of filter per name it is sized for. */
    static final int BITS_PER_NAME = 16;
    /** The fewest names a filter is sized for: 512 bytes of words. */
    static final int MIN_NAMES = 256;

    private final AtomicLongArray words;
    private final int wordMask;
    /** How many names this filter is sized for; the owner rebuilds it beyond that. */
    private final int sizedFor;
    /** Names added (the writer's count; a name added twice counts once if the writer says so). */
    private int added;

    /** A filter sized for {@code names} names (at least {@link #MIN_NAMES}), empty. */
    PresenceFilter(int names) {
        int wanted = Math.max(names, MIN_NAMES);
        long bits = (long) wanted * BITS_PER_NAME;
        long needed = Math.min((bits + 63) / 64, 1L << 28);
        int wordCount = Integer.highestOneBit((int) needed);
        if (wordCount < needed) {
            wordCount <<= 1;
        }
        this.words = new AtomicLongArray(wordCount);
        this.wordMask = wordCount - 1;
        this.sizedFor = (int) Math.min((long) wordCount * 64 / BITS_PER_NAME, Integer.MAX_VALUE);
    }

    /** Adds a name; call from the publishing writer only. */
    void add(Namespace namespace, String name) {
        long h = mix(namespace, name);
        int at = (int) h & wordMask;
        long bits = mask(h);
        long word = words.get(at);
        if ((word & bits) != bits) {
            words.set(at, word | bits);
        }
    }

    /** Counts one more distinct name; whether the filter is now fuller than it was sized for. */
    boolean countAdded() {
        return ++added > sizedFor;
    }

    /** Whether the name may have been added: false only if it never was. */
    boolean mayContain(Namespace namespace, String name) {
        long h = mix(namespace, name);
        long bits = mask(h);
        return (words.get((int) h & wordMask) & bits) == bits;
    }

    /** How many names the filter is sized for. */
    int sizedFor() {
        return sizedFor;
    }

    /** Heap the words take, for the record of what the filter costs. */
    long bytes() {
        return (long) words.length() * Long.BYTES;
    }

    /** 64 well-mixed bits from the name's hash and the namespace (the finalizer of SplitMix64). */
    private static long mix(Namespace namespace, String name) {
        long z = ((long) namespace.ordinal() << 32 | (name.hashCode() & 0xFFFFFFFFL)) + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Four bit positions taken from the high 24 bits (the low bits choose the word). */
    private static long mask(long h) {
        return 1L << (h >>> 40 & 63) | 1L << (h >>> 46 & 63) | 1L << (h >>> 52 & 63) | 1L << (h >>> 58);
    }
}
