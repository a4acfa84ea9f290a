package datastore.devapi;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A request body read with a limit: counts what passes and fails as soon as the count goes over the
 * limit, so a body without (or with a false) Content-Length is refused before it is held whole.
 */
final class LimitedInputStream extends FilterInputStream {

    /** The body went over the limit; what was read so far is dropped. */
    static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException(long limit) {
            super("the request body is larger than the limit of " + limit + " bytes");
        }
    }

    private final long limit;
    private long count;

    LimitedInputStream(InputStream in, long limit) {
        super(in);
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            counted(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        // Ask for at most one byte past the limit: enough to notice the excess without reading far beyond it.
        long allowed = limit - count + 1;
        int n = super.read(buffer, offset, (int) Math.min(length, Math.max(1, allowed)));
        if (n > 0) {
            counted(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(Math.min(n, limit - count + 1));
        counted(skipped);
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void counted(long n) throws TooLargeException {
        count += n;
        if (count > limit) {
            throw new TooLargeException(limit);
        }
    }
}
