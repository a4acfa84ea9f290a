package datastore.romformat;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import datastore.Namespace;
import datastore.spi.EntryView;

/**
 * An open ROM entry: a read-only slice of the mapped flash, never a copy. While it is open its slot
 * is pinned (a counter, no lock), so no replace erases the bytes under it; closing releases the pin
 * once. The slice is made when {@link #data()} is asked for, so opening allocates only the view.
 */
final class RomEntryView implements EntryView {
    private static final AtomicIntegerFieldUpdater<RomEntryView> CLOSED =
            AtomicIntegerFieldUpdater.newUpdater(RomEntryView.class, "closed");

    private final Namespace namespace;
    private final String name;
    private final int format;
    private final long revision;
    private final ByteBuffer map;
    private final int offset;
    private final int length;
    private final AtomicInteger pin;
    private volatile int closed;

    /**
     * @param map the read-only map the entry's bytes are in
     * @param pin the slot's pin count to release on close, or null when nothing is pinned
     */
    RomEntryView(Namespace namespace, String name, int format, long revision, ByteBuffer map, int offset, int length,
            AtomicInteger pin) {
        this.namespace = namespace;
        this.name = name;
        this.format = format;
        this.revision = revision;
        this.map = map;
        this.offset = offset;
        this.length = length;
        this.pin = pin;
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

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException once the view is closed, because its slot may then be erased
     */
    @Override
    public ByteBuffer data() {
        if (closed != 0) {
            throw new IllegalStateException("view of " + namespace.id() + " entry \"" + name + "\" of the ROM is closed");
        }
        return map.slice(offset, length);
    }

    @Override
    public void close() {
        if (CLOSED.compareAndSet(this, 0, 1) && pin != null) {
            pin.decrementAndGet();
        }
    }

    @Override
    public String toString() {
        return "RomEntryView[" + namespace.id() + " \"" + name + "\", revision " + revision + ", " + length + " bytes]";
    }
}
