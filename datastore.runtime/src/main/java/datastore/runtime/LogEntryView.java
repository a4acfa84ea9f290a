package datastore.runtime;

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
    private final EntryLoc loc;
    private final ByteBuffer data;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    LogEntryView(EntryLoc loc, ByteBuffer data, Runnable release) {
        this.loc = loc;
        this.data = data;
        this.release = release;
    }

    @Override
    public Namespace namespace() {
        return loc.namespace;
    }

    @Override
    public String name() {
        return loc.name;
    }

    @Override
    public int format() {
        return loc.format;
    }

    @Override
    public long revision() {
        return loc.revision;
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
