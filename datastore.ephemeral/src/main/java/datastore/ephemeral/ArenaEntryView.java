package datastore.ephemeral;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import datastore.Names;
import datastore.Namespace;
import datastore.spi.EntryView;

/**
 * An open entry of the ephemeral arena: a read-only slice of the mapped file, pinned through a
 * {@link Pin} so the arena neither moves nor reuses those bytes until {@link #close()}.
 */
final class ArenaEntryView implements EntryView {
    private static final AtomicIntegerFieldUpdater<ArenaEntryView> CLOSED =
            AtomicIntegerFieldUpdater.newUpdater(ArenaEntryView.class, "closed");

    private final Arena arena;
    private final Pin pin;
    private final int position;
    private final int format;
    private final long revision;
    private final int valuePosition;
    private final int valueLength;
    private final Namespace namespace;
    private final String name;
    /** The read-only mapping that covers the record; each {@link #data()} slices it (one buffer per call). */
    private final ByteBuffer mapping;
    private volatile int closed;

    ArenaEntryView(Arena arena, Pin pin, int position, Namespace namespace, String name, ByteBuffer mapping,
            int format, long revision, int valuePosition, int valueLength) {
        this.arena = arena;
        this.pin = pin;
        this.position = position;
        this.format = format;
        this.revision = revision;
        this.valuePosition = valuePosition;
        this.valueLength = valueLength;
        this.namespace = namespace;
        this.name = name;
        this.mapping = mapping;
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
     * @throws IllegalStateException if the view is closed: its bytes may belong to another entry by now
     */
    @Override
    public ByteBuffer data() {
        if (closed != 0) {
            throw new IllegalStateException("the view of " + namespace.id() + " entry \"" + Names.display(name)
                    + "\" is closed; its bytes may have been reused");
        }
        return mapping.slice(valuePosition, valueLength);
    }

    @Override
    public void close() {
        if (CLOSED.compareAndSet(this, 0, 1)) {
            arena.unpin(pin, position);
        }
    }
}
