package datastore.rom;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

import datastore.Namespace;
import datastore.spi.EntryView;

/**
 * An open ROM entry: a read-only slice of the mapped flash, never a copy. While it is open its slot
 * is pinned, so no replace erases the bytes under it; closing releases the pin once.
 */
final class RomEntryView implements EntryView {
    private final RomEntry entry;
    private final long revision;
    private final ByteBuffer data;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    RomEntryView(RomEntry entry, long revision, ByteBuffer data, Runnable release) {
        this.entry = entry;
        this.revision = revision;
        this.data = data;
        this.release = release;
    }

    @Override
    public Namespace namespace() {
        return entry.namespace();
    }

    @Override
    public String name() {
        return entry.name();
    }

    @Override
    public int format() {
        return entry.format();
    }

    @Override
    public long revision() {
        return revision;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException once the view is closed, because its slot may then be erased
     */
    @Override
    public ByteBuffer data() {
        if (closed.get()) {
            throw new IllegalStateException("view of " + entry.namespace().id() + " entry \"" + entry.name()
                    + "\" of the ROM is closed");
        }
        return data.duplicate();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }

    @Override
    public String toString() {
        return "RomEntryView[" + entry.namespace().id() + " \"" + entry.name() + "\", revision " + revision + ", "
                + entry.length() + " bytes]";
    }
}
