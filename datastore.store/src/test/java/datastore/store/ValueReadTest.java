package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.Namespace;
import datastore.spi.Change;
import datastore.spi.EntryView;
import datastore.spi.PartitionStore;
import datastore.spi.PartitionUsage;
import datastore.testsupport.MemoryPartition;
import datastore.testsupport.ServiceProperties;

import org.junit.Test;

/**
 * Reads of a value only ({@code KvStore.get} and {@code find}) go through
 * {@link PartitionStore#readOrNull(Namespace, String, Function)}: a partition's own override when it
 * has one, else its {@code read} (the default unwraps it), else a view opened and closed; all decode
 * as {@code lookup} does.
 */
public class ValueReadTest {

    @Test
    public void getAndFindUseThePartitionsOwnRead() {
        TestDock dock = new TestDock();
        MemoryPartition memory = new MemoryPartition("ephemeral").withKv("k", "value");
        CountingPartition counting = new CountingPartition(memory);
        dock.store.bindPartition(counting, ServiceProperties.partition("ephemeral", 300));
        dock.add(new MemoryPartition("runtime").withKv("low", "below"), 200);

        assertEquals("value", dock.kv.get("k"));
        assertEquals(Optional.of("value"), dock.kv.find("k"));
        assertEquals("below", dock.kv.get("low")); // a miss above, answered below
        assertEquals("", dock.kv.get("absent"));
        assertEquals(Optional.empty(), dock.kv.find("absent"));
        assertEquals(5, counting.reads.get());
        assertEquals("lookup needs the partition's name and opens a view", 0, counting.opens.get());
        assertEquals("value", dock.kv.lookup("k").orElseThrow().value());
        assertEquals(1, counting.opens.get());
        assertEquals(0, memory.openViews());
    }

    @Test
    public void getAndFindPreferThePartitionsNullableRead() {
        TestDock dock = new TestDock();
        AtomicInteger nullableReads = new AtomicInteger();
        CountingPartition counting = new CountingPartition(new MemoryPartition("ephemeral").withKv("k", "value")) {
            @Override
            public <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
                nullableReads.incrementAndGet();
                return super.read(namespace, name, decoder).orElse(null);
            }
        };
        dock.store.bindPartition(counting, ServiceProperties.partition("ephemeral", 300));
        dock.add(new MemoryPartition("runtime").withKv("low", "below"), 200);

        assertEquals("value", dock.kv.get("k"));
        assertEquals(Optional.empty(), dock.kv.find("absent"));
        assertEquals("below", dock.kv.get("low")); // null above means a miss there, answered below
        assertEquals(3, nullableReads.get());
        assertEquals("each nullable read reads once", 3, counting.reads.get());
        assertEquals(0, counting.opens.get());
    }

    @Test
    public void aDirectBufferDecodesWhateverItsSizeAndPosition() {
        for (int length : new int[] {0, 1, 100, LogicalKvStore.SCRATCH_BYTES, LogicalKvStore.SCRATCH_BYTES + 1, 70_000}) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; text.length() < length; i++) {
                text.append(i % 7 == 0 ? '\u00e9' : (char) ('a' + i % 26));
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 10);
            direct.position(5);
            direct.put(bytes);
            direct.position(5).limit(5 + bytes.length);
            String first = LogicalKvStore.decode(direct.asReadOnlyBuffer());
            assertEquals(text.toString(), first);
            // The next decode on this thread does not change the string the first returned.
            LogicalKvStore.decode(ByteBuffer.allocateDirect(bytes.length));
            assertEquals(text.toString(), first);
        }
    }

    @Test
    public void getFindAndLookupDecodeAlikeWhateverTheBytes() {
        byte[] malformed = {'a', (byte) 0xC3, '(', (byte) 0xF0, (byte) 0x9F, 'z'};
        TestDock dock = TestDock.standard();
        dock.partition("rom").with(Namespace.KV, "bad", 0, malformed);
        dock.kv.put("good", "h\u00e9llo \ud83d\ude00 \u4e16\u754c");
        String expected = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(malformed)).toString();
        assertEquals(expected, dock.kv.get("bad"));
        assertEquals(Optional.of(expected), dock.kv.find("bad"));
        assertEquals(expected, dock.kv.lookup("bad").orElseThrow().value());
        assertEquals("h\u00e9llo \ud83d\ude00 \u4e16\u754c", dock.kv.get("good"));
        assertEquals("h\u00e9llo \ud83d\ude00 \u4e16\u754c", dock.kv.lookup("good").orElseThrow().value());
    }

    @Test
    public void decodeReadsOnlyTheRemainingBytesOfAnyBuffer() {
        byte[] bytes = "xx-h\u00e9llo-yy".getBytes(StandardCharsets.UTF_8);
        ByteBuffer heap = ByteBuffer.wrap(bytes, 3, bytes.length - 6).slice(); // array offset 3
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).position(3).limit(bytes.length - 3);
        assertEquals("h\u00e9llo", LogicalKvStore.decode(heap));
        assertEquals("h\u00e9llo", LogicalKvStore.decode(heap.asReadOnlyBuffer()));
        assertEquals("h\u00e9llo", LogicalKvStore.decode(direct));
        assertEquals(3, direct.position()); // the buffer is left as it was
        assertEquals("", LogicalKvStore.decode(ByteBuffer.allocate(0)));
    }

    @Test
    public void aCorruptedOrFailingValueReadIsReportedNotAnsweredFromBelow() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("k", "factory");
        dock.kv.put("k", "user", "runtime");
        dock.partition("runtime").corrupt(Namespace.KV, "k");
        assertEquals(Optional.of("runtime"),
                assertThrows(CorruptedEntryException.class, () -> dock.kv.find("k")).partition());
        dock.partition("ephemeral").readFailure = new IllegalStateException("arena unmapped");
        DatastoreException e = assertThrows(DatastoreException.class, () -> dock.kv.get("k"));
        assertEquals(Optional.of("ephemeral"), e.partition());
    }

    /** A partition with its own {@code read}, counting how reads reach it. */
    private static class CountingPartition implements PartitionStore {
        final MemoryPartition inner;
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger opens = new AtomicInteger();

        CountingPartition(MemoryPartition inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public boolean readOnly() {
            return inner.readOnly();
        }

        @Override
        public Optional<EntryView> open(Namespace namespace, String name) {
            opens.incrementAndGet();
            return inner.open(namespace, name);
        }

        @Override
        public <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
            reads.incrementAndGet();
            Optional<EntryView> view = inner.open(namespace, name);
            if (view.isEmpty()) {
                return Optional.empty();
            }
            try (EntryView entry = view.get()) {
                ByteBuffer data = entry.data();
                byte[] copy = new byte[data.remaining()];
                data.get(copy);
                return Optional.of(decoder.apply(ByteBuffer.wrap(copy)));
            }
        }

        @Override
        public List<String> names(Namespace namespace) {
            return inner.names(namespace);
        }

        @Override
        public void apply(List<Change> changes) {
            inner.apply(changes);
        }

        @Override
        public PartitionUsage usage() {
            return inner.usage();
        }

        @Override
        public void clear() {
            inner.clear();
        }
    }
}
