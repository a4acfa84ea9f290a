package datastore.devapi;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

import org.junit.Test;

public class LimitedInputStreamTest {

    /** A source that counts what is taken from it. */
    static final class Source extends InputStream {
        final long size;
        long taken;

        Source(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            return taken < size ? (int) (taken++ & 0x7f) : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (taken >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - taken);
            taken += n;
            return n;
        }
    }

    @Test
    public void aBodyOfExactlyTheLimitIsReadWhole() throws IOException {
        byte[] body = new byte[100];
        body[99] = 7;
        assertArrayEquals(body, new LimitedInputStream(new ByteArrayInputStream(body), 100).readAllBytes());
    }

    @Test
    public void oneByteOverTheLimitFails() {
        assertThrows(LimitedInputStream.TooLargeException.class,
                () -> new LimitedInputStream(new ByteArrayInputStream(new byte[101]), 100).readAllBytes());
        assertThrows(LimitedInputStream.TooLargeException.class, () -> {
            InputStream in = new LimitedInputStream(new ByteArrayInputStream(new byte[101]), 100);
            while (in.read() >= 0) {
                // byte by byte
            }
        });
    }

    @Test
    public void aHugeBodyIsNotReadFarBeyondTheLimit() {
        Source source = new Source(1L << 40);
        assertThrows(LimitedInputStream.TooLargeException.class,
                () -> new LimitedInputStream(source, 1000).readAllBytes());
        assertEquals(1001, source.taken);
    }
}
