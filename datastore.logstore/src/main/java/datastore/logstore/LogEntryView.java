package datastore.logstore;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

import datastore.Namespace;
import datastore.spi.EntryView;

/**
 * An open entry of the runtime partition: a read-only slice of the mapped flash region, whatever the
 * value's size. The record holding it stays pinned (its blocks are never erased) until
 * {@link #close()}.
 */
final class LogEntryView implements EntryView {
    private final Namespace namespace;
    private final String name;
    private final int format;
    private final long revision;
    private final ByteBuffer data;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    LogEntryView(Namespace namespace, String name, int format, long revision, ByteBuffer data, Runnable release) {
        this.namespace = namespace;
        this.name = name;
        this.format = format;
        this.revision = revision;
        this.data = data;
        this.release = release;
    }

    @Override
    public Namespace namespace() {
        return namespace;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int format() {
        return format;
    }

    @Override
    public long revision() {
        return revision;
    }

    @Override
    public ByteBuffer data() {
        return data.duplicate();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && release != null) {
            release.run();
        }
    }
}
