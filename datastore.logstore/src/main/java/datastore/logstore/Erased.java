package datastore.logstore;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Finding the end of erased flash at memory speed: a mount reads the whole ring (a fresh region is
 * nearly all erased, a full one has a long free area), so runs of 0xFF bytes are compared in large
 * slices with a vectorized mismatch instead of a load at a time.
 */
final class Erased {
    /** A run of erased bytes to compare the map against. */
    private static final ByteBuffer ONES;

    static {
        byte[] ones = new byte[64 * 1024];
        Arrays.fill(ones, (byte) 0xFF);
        ONES = ByteBuffer.wrap(ones).asReadOnlyBuffer();
    }

    private Erased() {
    }

    /** The first offset in {@code [from, end)} of {@code map} whose byte is not erased, else {@code end}. */
    static int firstNotErased(ByteBuffer map, int from, int end) {
        int x = from;
        while (x < end) {
            int length = Math.min(ONES.capacity(), end - x);
            int differs = map.slice(x, length).mismatch(ONES.slice(0, length));
            if (differs >= 0) {
                return x + differs;
            }
            x += length;
        }
        return end;
    }

    /**
     * The first position after {@code p} (a multiple of {@code step}) at which a record header could
     * start, given that the 8 bytes at {@code p} are erased: both header copies of every position
     * before it lie in erased bytes. At most {@code end}, the end of the bytes a header may occupy.
     */
    static int nextCandidate(ByteBuffer map, int p, int step, int end) {
        int x = firstNotErased(map, p, end);
        return Math.max(p + step, (x - 2 * LogFormat.HEADER) / step * step);
    }
}
