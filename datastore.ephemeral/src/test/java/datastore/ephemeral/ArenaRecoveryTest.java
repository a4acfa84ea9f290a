package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.bytes;
import static datastore.ephemeral.ArenaFixture.filled;
import static datastore.ephemeral.ArenaFixture.get;
import static datastore.ephemeral.ArenaFixture.put;
import static datastore.ephemeral.ArenaFixture.revision;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.spi.Change;

/**
 * What an arena instance finds when it opens a file another instance left behind: torn or damaged
 * records are never indexed, the others all are, and a write without its commit point is absent.
 */
public class ArenaRecoveryTest {
    static final long CAPACITY = 1024 * 1024;
    static final String VICTIM = "victim-with-a-unique-name";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    Path file;

    @Before
    public void prepare() {
        file = folder.getRoot().toPath().resolve("recovery.arena");
        Arena arena = new Arena(file, CAPACITY, "launch");
        put(arena, Namespace.KV, "before", bytes("first"));
        put(arena, Namespace.IMAGE, VICTIM, filled(5000, 1));
        put(arena, Namespace.KV, "after", bytes("third"));
        arena.close();
    }

    @Test
    public void recordWithDamagedValueIsSkippedAndTheOthersKept() throws IOException {
        int record = recordPosition(VICTIM);
        modify(record + ArenaFormat.RECORD_HEADER + VICTIM.length() + 100, (byte) 0x55);
        assertVictimGoneOthersKept();
    }

    @Test
    public void recordWithDamagedSpanIsSkippedByResynchronising() throws IOException {
        int record = recordPosition(VICTIM);
        writeInt(record + ArenaFormat.R_SPAN, 0x7FFF0001);
        assertVictimGoneOthersKept();
    }

    @Test
    public void recordWithDamagedMagicIsSkipped() throws IOException {
        int record = recordPosition(VICTIM);
        writeInt(record + ArenaFormat.R_MAGIC, 0);
        assertVictimGoneOthersKept();
    }

    @Test
    public void recordCutShortByATruncatedFileIsSkipped() throws IOException {
        Arena arena = new Arena(file, CAPACITY, "launch");
        put(arena, Namespace.IMAGE, "cut", filled(100_000, 2));
        arena.close();
        int record = recordPosition("cut");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(record + ArenaFormat.RECORD_HEADER + 3 + 500);
        }
        arena = new Arena(file, CAPACITY, "launch");
        try {
            assertNull(get(arena, Namespace.IMAGE, "cut"));
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(filled(5000, 1), get(arena, Namespace.IMAGE, VICTIM));
            assertArrayEquals(bytes("third"), get(arena, Namespace.KV, "after"));
            put(arena, Namespace.IMAGE, "cut", filled(200_000, 3)); // the arena grows again
        } finally {
            arena.close();
        }
        arena = new Arena(file, CAPACITY, "launch");
        try {
            assertArrayEquals(filled(200_000, 3), get(arena, Namespace.IMAGE, "cut"));
            assertEquals(4, arena.names(Namespace.KV).size() + arena.names(Namespace.IMAGE).size());
        } finally {
            arena.close();
        }
    }

    @Test
    public void batchStoppedBeforeItsCommitPointIsWhollyAbsent() {
        Arena arena = new Arena(file, CAPACITY, "launch");
        long before = revision(arena, Namespace.KV, "after");
        arena.beforeCommit = () -> {
            throw new IllegalStateException("stopped before the commit point");
        };
        try {
            arena.apply(List.of(
                    Change.put(Namespace.KV, "x", 0, ByteBuffer.wrap(bytes("x"))),
                    Change.put(Namespace.KV, "before", 0, ByteBuffer.wrap(bytes("overwritten"))),
                    Change.remove(Namespace.KV, "after"),
                    Change.put(Namespace.IMAGE, "y", 0, ByteBuffer.wrap(filled(3000, 4)))));
        } catch (IllegalStateException expected) {
            // the writer "stopped" with all its records and the new top in the file
        }
        arena.beforeCommit = null;
        arena.close();

        arena = new Arena(file, CAPACITY, "launch");
        try {
            assertNull(get(arena, Namespace.KV, "x"));
            assertNull(get(arena, Namespace.IMAGE, "y"));
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(bytes("third"), get(arena, Namespace.KV, "after"));
            assertArrayEquals(filled(5000, 1), get(arena, Namespace.IMAGE, VICTIM));
            assertEquals(6 + 5 + 5 + 5 + VICTIM.length() + 5000, arena.usage().used());
            // The stopped batch reserved revisions before + 1 to before + 4: never handed to other bytes.
            put(arena, Namespace.KV, "x", bytes("new"));
            assertTrue(revision(arena, Namespace.KV, "x") > before + 4);
            for (int i = 0; i < 30; i++) {
                put(arena, Namespace.IMAGE, "churn", filled(100_000, i)); // compacts the abandoned records away
            }
        } finally {
            arena.close();
        }
        arena = new Arena(file, CAPACITY, "launch");
        try {
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(bytes("new"), get(arena, Namespace.KV, "x"));
            assertNull(get(arena, Namespace.IMAGE, "y"));
        } finally {
            arena.close();
        }
    }

    @Test
    public void batchStoppedBeforeItsCommitPointStaysAbsentAfterLaterCommits() {
        Arena arena = new Arena(file, CAPACITY, "launch");
        arena.beforeCommit = () -> {
            throw new IllegalStateException("stopped before the commit point");
        };
        assertThrows(IllegalStateException.class, () -> arena.apply(List.of(
                Change.put(Namespace.KV, "x", 0, ByteBuffer.wrap(bytes("x"))),
                Change.put(Namespace.KV, "before", 0, ByteBuffer.wrap(bytes("overwritten"))),
                Change.remove(Namespace.KV, "after"))));
        arena.beforeCommit = null;
        assertNull(get(arena, Namespace.KV, "x"));
        // A later write commits a higher revision: the stopped batch's revisions are below it now.
        put(arena, Namespace.KV, "later", bytes("committed"));
        arena.close();

        Arena reopened = new Arena(file, CAPACITY, "launch");
        try {
            assertNull(get(reopened, Namespace.KV, "x"));
            assertArrayEquals(bytes("first"), get(reopened, Namespace.KV, "before"));
            assertArrayEquals(bytes("third"), get(reopened, Namespace.KV, "after"));
            assertArrayEquals(bytes("committed"), get(reopened, Namespace.KV, "later"));
        } finally {
            reopened.close();
        }
    }

    @Test
    public void valueDamagedWhileTheArenaRunsIsReportedOnOpen() throws IOException {
        Arena arena = new Arena(file, CAPACITY, "launch");
        try {
            put(arena, Namespace.IMAGE, "written-here", filled(3000, 5));
            // The scan verified the victim; then another process scribbles on it before any read.
            modify(recordPosition(VICTIM) + ArenaFormat.RECORD_HEADER + VICTIM.length() + 100, (byte) 0x55);
            modify(recordPosition("written-here") + ArenaFormat.RECORD_HEADER + 12 + 2999, (byte) 0x01);
            for (String name : List.of(VICTIM, "written-here")) {
                CorruptedEntryException damaged = assertThrows(CorruptedEntryException.class,
                        () -> arena.open(Namespace.IMAGE, name));
                assertEquals(name, damaged.name().orElseThrow());
                assertEquals(Namespace.IMAGE, damaged.namespace());
                // Reported again, never served, and the other entries stay readable.
                assertThrows(CorruptedEntryException.class, () -> arena.open(Namespace.IMAGE, name));
            }
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(bytes("third"), get(arena, Namespace.KV, "after"));
            // Writing the name again replaces the damaged record.
            put(arena, Namespace.IMAGE, VICTIM, filled(4000, 6));
            assertArrayEquals(filled(4000, 6), get(arena, Namespace.IMAGE, VICTIM));
        } finally {
            arena.close();
        }
    }

    @Test
    public void recordHeaderDamagedAfterAReadIsReportedOnTheNextOpen() throws IOException {
        Arena arena = new Arena(file, CAPACITY, "launch");
        try {
            assertArrayEquals(filled(5000, 1), get(arena, Namespace.IMAGE, VICTIM));
            int record = recordPosition(VICTIM);
            writeLong(record + ArenaFormat.R_REVISION, headerLong(record + ArenaFormat.R_REVISION) + 1000);
            assertThrows(CorruptedEntryException.class, () -> arena.open(Namespace.IMAGE, VICTIM));
            writeInt(record + ArenaFormat.R_MAGIC, 0);
            assertThrows(CorruptedEntryException.class, () -> arena.open(Namespace.IMAGE, VICTIM));
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
        } finally {
            arena.close();
        }
    }

    @Test
    public void recordHeaderDamagedAfterAReadIsReportedByTheNextUnpinnedRead() throws IOException {
        Arena arena = new Arena(file, CAPACITY, "launch");
        try {
            // The first read verifies the record through a pin; the next ones are unpinned.
            assertArrayEquals(bytes("first"), arena.read(Namespace.KV, "before", ArenaFixture::copy).orElseThrow());
            assertArrayEquals(bytes("first"), arena.read(Namespace.KV, "before", ArenaFixture::copy).orElseThrow());
            int record = recordPosition("before");
            writeLong(record + ArenaFormat.R_REVISION, headerLong(record + ArenaFormat.R_REVISION) + 1000);
            assertThrows(CorruptedEntryException.class, () -> arena.read(Namespace.KV, "before", ArenaFixture::copy));
            assertArrayEquals(bytes("third"), arena.read(Namespace.KV, "after", ArenaFixture::copy).orElseThrow());
        } finally {
            arena.close();
        }
    }

    @Test(timeout = 20_000)
    public void compactionSurvivesSpansScribbledWhileTheArenaRuns() throws IOException {
        Arena arena = new Arena(file, CAPACITY, "launch");
        try {
            put(arena, Namespace.IMAGE, "dead-zero", filled(2000, 10));
            put(arena, Namespace.IMAGE, "dead-zero", filled(2000, 11)); // the first record is dead now
            put(arena, Namespace.IMAGE, "live-huge", filled(3000, 12));
            put(arena, Namespace.IMAGE, "after-them", filled(4000, 13));
            put(arena, Namespace.IMAGE, "flagged-dead", filled(4500, 14));
            put(arena, Namespace.IMAGE, "dead-long", filled(2000, 20));
            put(arena, Namespace.IMAGE, "skipped-live", filled(2500, 21));
            put(arena, Namespace.IMAGE, "dead-long", filled(2000, 22)); // its first record is dead now
            // Another process scribbles on the headers compaction walks: a dead record's span to zero
            // (a walk that trusts it never moves on) and a live record's span past the top.
            int dead = offsetOf(filled(2000, 10)) - ArenaFormat.RECORD_HEADER - "dead-zero".length();
            writeInt(dead + ArenaFormat.R_SPAN, 0);
            writeInt(recordPosition("live-huge") + ArenaFormat.R_SPAN, 0x40000000);
            // And a live record's dead flag (a walk that trusts it reclaims bytes a slot still points at).
            writeInt(recordPosition("flagged-dead") + ArenaFormat.R_FLAGS, ArenaFormat.FLAG_DEAD);
            // And a dead record's span to a sane length that swallows the live record after it.
            int deadLong = offsetOf(filled(2000, 20)) - ArenaFormat.RECORD_HEADER - "dead-long".length();
            writeInt(deadLong + ArenaFormat.R_SPAN, ArenaFormat.recordSpan(9, 2000) + ArenaFormat.recordSpan(12, 2500));
            for (int i = 0; i < 40; i++) {
                put(arena, Namespace.IMAGE, "churn", filled(100_000, i)); // compacts again and again
            }
            assertTrue(arena.compactions() > 0);
            assertArrayEquals(filled(100_000, 39), get(arena, Namespace.IMAGE, "churn"));
            assertArrayEquals(filled(2000, 11), get(arena, Namespace.IMAGE, "dead-zero"));
            assertArrayEquals(filled(4000, 13), get(arena, Namespace.IMAGE, "after-them"));
            assertArrayEquals(filled(4500, 14), get(arena, Namespace.IMAGE, "flagged-dead"));
            assertArrayEquals(filled(2500, 21), get(arena, Namespace.IMAGE, "skipped-live"));
            assertArrayEquals(filled(2000, 22), get(arena, Namespace.IMAGE, "dead-long"));
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(filled(5000, 1), get(arena, Namespace.IMAGE, VICTIM));
        } finally {
            arena.close();
        }
        Arena reopened = new Arena(file, CAPACITY, "launch");
        try {
            // The damaged live records are dropped by the scan; everything else is kept.
            assertNull(get(reopened, Namespace.IMAGE, "live-huge"));
            assertNull(get(reopened, Namespace.IMAGE, "flagged-dead"));
            assertArrayEquals(filled(4000, 13), get(reopened, Namespace.IMAGE, "after-them"));
            assertArrayEquals(filled(2500, 21), get(reopened, Namespace.IMAGE, "skipped-live"));
            assertArrayEquals(filled(2000, 22), get(reopened, Namespace.IMAGE, "dead-long"));
            assertArrayEquals(filled(100_000, 39), get(reopened, Namespace.IMAGE, "churn"));
            assertArrayEquals(bytes("third"), get(reopened, Namespace.KV, "after"));
        } finally {
            reopened.close();
        }
    }

    @Test
    public void recordsBeyondTheCommittedRevisionAreIgnored() throws IOException {
        long committed = headerLong(ArenaFormat.H_COMMITTED_REVISION);
        writeLong(ArenaFormat.H_COMMITTED_REVISION, committed - 1); // "after" was the last committed write
        Arena arena = new Arena(file, CAPACITY, "launch");
        try {
            assertNull(get(arena, Namespace.KV, "after"));
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(filled(5000, 1), get(arena, Namespace.IMAGE, VICTIM));
        } finally {
            arena.close();
        }
    }

    @Test
    public void aDamagedMagicIsRefusedNotReformatted() throws IOException {
        writeLong(ArenaFormat.H_MAGIC, 0);
        byte[] before = Files.readAllBytes(file);
        assertThrows(ArenaRefusedException.class, () -> new Arena(file, CAPACITY, "launch"));
        assertArrayEquals("the entries are still there for whoever can repair the header", before,
                Files.readAllBytes(file));
    }

    private void assertVictimGoneOthersKept() {
        Arena arena = new Arena(file, CAPACITY, "launch");
        try {
            assertNull(get(arena, Namespace.IMAGE, VICTIM));
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(bytes("third"), get(arena, Namespace.KV, "after"));
            assertEquals(6 + 5 + 5 + 5, arena.usage().used());
            put(arena, Namespace.IMAGE, VICTIM, filled(7000, 9));
            for (int i = 0; i < 40; i++) {
                put(arena, Namespace.IMAGE, "churn", filled(100_000, i)); // compacts over the repaired gap
            }
        } finally {
            arena.close();
        }
        arena = new Arena(file, CAPACITY, "launch");
        try {
            assertArrayEquals(filled(7000, 9), get(arena, Namespace.IMAGE, VICTIM));
            assertArrayEquals(filled(100_000, 39), get(arena, Namespace.IMAGE, "churn"));
            assertArrayEquals(bytes("first"), get(arena, Namespace.KV, "before"));
            assertArrayEquals(bytes("third"), get(arena, Namespace.KV, "after"));
        } finally {
            arena.close();
        }
    }

    /** The offset of the only record of {@code name} in the file. */
    private int recordPosition(String name) throws IOException {
        return offsetOf(bytes(name)) - ArenaFormat.RECORD_HEADER;
    }

    /** The offset of the only occurrence of {@code needle} in the file. */
    private int offsetOf(byte[] needle) throws IOException {
        byte[] content = Files.readAllBytes(file);
        int found = -1;
        for (int i = ArenaFormat.HEADER_SIZE; i + needle.length <= content.length; i++) {
            int j = 0;
            while (j < needle.length && content[i + j] == needle[j]) {
                j++;
            }
            if (j == needle.length) {
                assertEquals("one occurrence", -1, found);
                found = i;
            }
        }
        assertTrue(found > 0);
        return found;
    }

    private void modify(long position, byte xor) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte) (one.get(0) ^ xor)).rewind();
            channel.write(one, position);
        }
    }

    private void writeInt(long position, int value) throws IOException {
        write(position, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
    }

    private void writeLong(long position, long value) throws IOException {
        write(position, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    private void write(long position, ByteBuffer bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(bytes, position);
        }
    }

    private long headerLong(int offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer value = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(value, offset);
            return value.getLong(0);
        }
    }
}
