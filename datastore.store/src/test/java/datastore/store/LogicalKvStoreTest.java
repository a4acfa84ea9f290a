package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Optional;

import datastore.ChangeEvents;
import datastore.CorruptedEntryException;
import datastore.DatastoreException;
import datastore.KvEntry;
import datastore.Namespace;
import datastore.NoSuchPartitionException;
import datastore.ReadOnlyPartitionException;
import datastore.testsupport.MemoryPartition;
import datastore.testsupport.ServiceProperties;

import org.junit.Test;
import org.osgi.service.event.Event;

public class LogicalKvStoreTest {

    @Test
    public void readsAnswerFromTheHighestRankingPartitionThatHasTheKey() {
        TestDock dock = new TestDock();
        // Bound in no particular order: the ranking decides, not the order of arrival.
        MemoryPartition rom = new MemoryPartition("rom").makeReadOnly().withKv("all", "rom").withKv("low", "rom")
                .withKv("romOnly", "r");
        MemoryPartition ephemeral = new MemoryPartition("ephemeral").withKv("all", "ephemeral");
        MemoryPartition runtime = new MemoryPartition("runtime").withKv("all", "runtime").withKv("low", "runtime");
        dock.add(rom, 100);
        dock.add(ephemeral, 300);
        dock.add(runtime, 200);

        assertEquals("ephemeral", dock.kv.get("all"));
        assertEquals("runtime", dock.kv.get("low"));
        assertEquals("r", dock.kv.get("romOnly"));
        assertEquals(Optional.of(new KvEntry("low", "runtime", "runtime")), dock.kv.lookup("low"));
        assertEquals(Optional.of(new KvEntry("romOnly", "r", "rom")), dock.kv.lookup("romOnly"));
        assertEquals(List.of("all", "low", "romOnly"), dock.kv.list());
    }

    @Test
    public void absentKeysReadAsEmptyString() {
        TestDock dock = TestDock.standard();
        assertEquals("", dock.kv.get("missing"));
        assertEquals(Optional.empty(), dock.kv.find("missing"));
        assertEquals(Optional.empty(), dock.kv.lookup("missing"));
    }

    @Test
    public void anEmptyValueIsAValue() {
        TestDock dock = TestDock.standard();
        dock.partition("runtime").withKv("k", "low");
        dock.kv.put("k", "", "ephemeral");
        assertEquals(Optional.of(""), dock.kv.find("k"));
    }

    @Test
    public void listIsSortedWithoutDuplicatesAndUnmodifiable() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("b", "1").withKv("a", "1");
        dock.partition("runtime").withKv("c", "1").withKv("a", "2");
        List<String> keys = dock.kv.list();
        assertEquals(List.of("a", "b", "c"), keys);
        assertThrows(UnsupportedOperationException.class, () -> keys.add("d"));
    }

    @Test
    public void equalRankingsAskTheLowerServiceIdFirst() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("first").withKv("k", "first"), 5);
        dock.add(new MemoryPartition("second").withKv("k", "second"), 5);
        assertEquals("first", dock.kv.get("k"));
    }

    @Test
    public void aRankingThatIsNotAnIntegerCountsAsZero() {
        TestDock dock = new TestDock();
        MemoryPartition odd = new MemoryPartition("odd").withKv("k", "odd");
        dock.store.bindPartition(odd, ServiceProperties.partition("odd", "500"));
        dock.add(new MemoryPartition("one").withKv("k", "one"), 1);
        assertEquals("one", dock.kv.get("k"));
    }

    @Test
    public void partitionsComeAndGoAtRunTime() {
        TestDock dock = new TestDock();
        assertEquals("", dock.kv.get("k"));
        assertEquals(List.of(), dock.kv.list());

        MemoryPartition rom = new MemoryPartition("rom").makeReadOnly().withKv("k", "rom");
        dock.add(rom, 100);
        assertEquals("rom", dock.kv.get("k"));

        MemoryPartition ephemeral = new MemoryPartition("ephemeral").withKv("k", "ephemeral").withKv("e", "1");
        dock.add(ephemeral, 300);
        assertEquals("ephemeral", dock.kv.get("k"));
        assertEquals(List.of("e", "k"), dock.kv.list());

        dock.remove(ephemeral);
        assertEquals("rom", dock.kv.get("k"));
        assertEquals(List.of("k"), dock.kv.list());

        dock.remove(rom);
        assertEquals("", dock.kv.get("k"));
    }

    @Test
    public void aRankingChangeReordersTheLookup() {
        TestDock dock = TestDock.standard();
        dock.partition("ephemeral").withKv("k", "ephemeral");
        dock.partition("runtime").withKv("k", "runtime");
        assertEquals("ephemeral", dock.kv.get("k"));

        dock.rerank(dock.partition("runtime"), 400);
        assertEquals("runtime", dock.kv.get("k"));

        dock.rerank(dock.partition("runtime"), 150);
        assertEquals("ephemeral", dock.kv.get("k"));
    }

    @Test
    public void aProductWithOnlyTheRomReadsAndRefusesWrites() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("rom").makeReadOnly().withKv("brand", "Acme"), 100);
        assertEquals("Acme", dock.kv.get("brand"));
        assertEquals(List.of("brand"), dock.kv.list());
        assertThrows(NoSuchPartitionException.class, () -> dock.kv.put("k", "v"));
        assertThrows(ReadOnlyPartitionException.class, () -> dock.kv.put("k", "v", "rom"));
    }

    @Test
    public void putGoesToTheDefaultPartitionOrTheNamedOne() {
        TestDock dock = TestDock.standard();
        dock.kv.put("k", "v");
        assertEquals(Optional.of(new KvEntry("k", "v", "runtime")), dock.kv.lookup("k"));

        dock.kv.put("k", "fast", "ephemeral");
        assertEquals(Optional.of(new KvEntry("k", "fast", "ephemeral")), dock.kv.lookup("k"));
        assertTrue(dock.partition("runtime").stored(Namespace.KV, "k").isPresent());
    }

    @Test
    public void theDefaultPartitionIsConfiguration() {
        TestDock dock = new TestDock("ephemeral", 0);
        dock.add(new MemoryPartition("ephemeral"), 300);
        dock.add(new MemoryPartition("runtime"), 200);
        dock.kv.put("k", "v");
        assertEquals("ephemeral", dock.kv.lookup("k").orElseThrow().partition());
        assertFalse(dock.partition("runtime").stored(Namespace.KV, "k").isPresent());
    }

    @Test
    public void removeTakesTheKeyFromThatPartitionOnlyAndUncoversTheLowerValue() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("k", "factory");
        dock.kv.put("k", "user", "runtime");
        dock.kv.put("k", "session", "ephemeral");

        assertTrue(dock.kv.remove("k", "ephemeral"));
        assertEquals(Optional.of(new KvEntry("k", "user", "runtime")), dock.kv.lookup("k"));
        assertFalse("the ephemeral partition no longer holds it", dock.kv.remove("k", "ephemeral"));

        assertTrue(dock.kv.remove("k", "runtime"));
        assertEquals(Optional.of(new KvEntry("k", "factory", "rom")), dock.kv.lookup("k"));
        assertThrows(ReadOnlyPartitionException.class, () -> dock.kv.remove("k", "rom"));
        assertEquals("factory", dock.kv.get("k"));
    }

    @Test
    public void removingAnAbsentKeyWritesNothing() {
        TestDock dock = TestDock.standard();
        int before = dock.partition("runtime").applyCalls();
        assertFalse(dock.kv.remove("nothing", "runtime"));
        assertEquals(before, dock.partition("runtime").applyCalls());
        assertEquals(List.of(), dock.events.posted());
    }

    @Test
    public void aCorruptedEntryCanBeRemoved() {
        TestDock dock = TestDock.standard();
        dock.kv.put("k", "v", "runtime");
        dock.partition("runtime").corrupt(Namespace.KV, "k");
        assertTrue(dock.kv.remove("k", "runtime"));
        assertEquals("", dock.kv.get("k"));
    }

    @Test
    public void valuesRoundTripAsUtf8() {
        TestDock dock = TestDock.standard();
        String value = "Grüße, 東京, \uD83D\uDE00 and \u0000 inside";
        dock.kv.put("k", value);
        assertEquals(value, dock.kv.get("k"));
        assertEquals(value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                dock.partition("runtime").stored(Namespace.KV, "k").orElseThrow().bytes().length);
    }

    @Test
    public void theFactoryValueUnderAnOverrideIsReadByNamingItsPartition() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("timezone", "GB");
        dock.kv.put("timezone", "UTC", "runtime");

        assertEquals("UTC", dock.kv.get("timezone"));
        assertEquals(Optional.of(new KvEntry("timezone", "GB", "rom")), dock.kv.lookup("timezone", "rom"));
        assertEquals(Optional.of(new KvEntry("timezone", "UTC", "runtime")), dock.kv.lookup("timezone", "runtime"));
        assertEquals(Optional.empty(), dock.kv.lookup("timezone", "ephemeral"));
        assertThrows(NoSuchPartitionException.class, () -> dock.kv.lookup("timezone", "flash"));
        dock.partition("rom").corrupt(Namespace.KV, "timezone");
        assertThrows(CorruptedEntryException.class, () -> dock.kv.lookup("timezone", "rom"));
        assertEquals("UTC", dock.kv.get("timezone"));
    }

    @Test
    public void namesOutsideTheBmpAndAtTheLengthLimitWork() {
        TestDock dock = TestDock.standard();
        String longest = "€".repeat(85); // 255 UTF-8 bytes
        dock.kv.put(longest, "v");
        dock.kv.put("\uD83D\uDE00", "smile");
        dock.kv.put("family \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "a joiner between symbols is allowed");
        assertEquals("v", dock.kv.get(longest));
        assertEquals("smile", dock.kv.get("\uD83D\uDE00"));
        assertEquals(3, dock.kv.list().size());
    }

    @Test
    public void eachChangePostsOneEventWithPartitionNamespaceAndName() {
        TestDock dock = TestDock.standard();
        dock.kv.put("k", "v", "ephemeral");
        dock.kv.remove("k", "ephemeral");
        List<Event> posted = dock.events.posted();
        assertEquals(List.of("datastore/kv/PUT", "datastore/kv/REMOVED"), dock.events.topics());
        for (Event event : posted) {
            assertEquals("ephemeral", event.getProperty(ChangeEvents.PARTITION));
            assertEquals("kv", event.getProperty(ChangeEvents.NAMESPACE));
            assertEquals("k", event.getProperty(ChangeEvents.NAME));
        }
    }

    @Test
    public void partitionsArrivingAndLeavingPostEvents() {
        TestDock dock = new TestDock();
        MemoryPartition runtime = new MemoryPartition("runtime");
        dock.add(runtime, 200);
        dock.remove(runtime);
        assertEquals(List.of(ChangeEvents.TOPIC_PARTITION_ADDED, ChangeEvents.TOPIC_PARTITION_REMOVED), dock.events.topics());
        dock.events.posted().forEach(e -> assertEquals("runtime", e.getProperty(ChangeEvents.PARTITION)));
    }

    @Test
    public void writesSucceedWithoutEventAdminOrWhenItFails() {
        TestDock dock = TestDock.standard();
        dock.store.eventAdmin = null;
        dock.kv.put("a", "1");
        dock.store.eventAdmin = new org.osgi.service.event.EventAdmin() {
            @Override
            public void postEvent(Event event) {
                throw new IllegalStateException("event admin is stopping");
            }

            @Override
            public void sendEvent(Event event) {
                throw new IllegalStateException("event admin is stopping");
            }
        };
        dock.kv.put("b", "2");
        assertEquals(List.of("a", "b"), dock.kv.list());
    }

    @Test
    public void aFailingPartitionIsLeftOutOfListsButNamedOnSingleReads() {
        TestDock dock = TestDock.standard();
        dock.partition("runtime").withKv("r", "1");
        dock.partition("rom").withKv("k", "rom");
        MemoryPartition ephemeral = dock.partition("ephemeral").withKv("e", "1");
        ephemeral.readFailure = new IllegalStateException("arena unmapped");

        assertEquals(List.of("k", "r"), dock.kv.list());
        DatastoreException e = assertThrows(DatastoreException.class, () -> dock.kv.get("k"));
        assertEquals(Optional.of("ephemeral"), e.partition());
        assertEquals(Optional.of("k"), e.name());
        assertTrue(e.getCause() instanceof IllegalStateException);
    }

    @Test
    public void aDatastoreExceptionFromListingPropagates() {
        TestDock dock = TestDock.standard();
        CorruptedEntryException corrupted = new CorruptedEntryException("runtime", Namespace.KV, "x", "index damaged");
        dock.partition("runtime").readFailure = corrupted;
        assertSame(corrupted, assertThrows(CorruptedEntryException.class, () -> dock.kv.list()));
    }

    @Test
    public void aCorruptedWinningEntryIsReportedNotAnsweredFromBelow() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("k", "factory");
        dock.kv.put("k", "user", "runtime");
        dock.partition("runtime").corrupt(Namespace.KV, "k");
        CorruptedEntryException e = assertThrows(CorruptedEntryException.class, () -> dock.kv.get("k"));
        assertEquals(Optional.of("runtime"), e.partition());
    }

    @Test
    public void readsCloseEveryViewTheyOpen() {
        TestDock dock = TestDock.standard();
        dock.kv.put("k", "v");
        dock.kv.get("k");
        dock.kv.lookup("k");
        dock.kv.remove("k", "runtime");
        for (String name : List.of("ephemeral", "runtime", "rom")) {
            assertEquals(name, 0, dock.partition(name).openViews());
        }
    }

    @Test
    public void kvDoesNotSeeOtherNamespaces() {
        TestDock dock = TestDock.standard();
        dock.partition("runtime").with(Namespace.IMAGE, "logo", 1, new byte[] {1});
        dock.code.deploy(new byte[] {1, 2}, "runtime");
        assertEquals(List.of(), dock.kv.list());
        assertEquals("", dock.kv.get("logo"));
        assertEquals("", dock.kv.get("main"));
    }
}
