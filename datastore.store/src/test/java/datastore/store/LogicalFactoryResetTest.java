package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Optional;

import datastore.ChangeEvents;
import datastore.DatastoreException;
import datastore.image.ImageType;
import datastore.testsupport.MemoryPartition;

import org.junit.Test;

public class LogicalFactoryResetTest {

    @Test
    public void resetEmptiesTheWritablePartitionsInLookupOrderAndKeepsTheRom() {
        TestDock dock = TestDock.standard();
        dock.partition("rom").withKv("brand", "Acme").withKv("k", "factory");
        dock.kv.put("k", "user", "runtime");
        dock.kv.put("session", "1", "ephemeral");
        dock.images.put("logo", MarkerImageFormat.image(ImageType.PNG, ""), ImageType.PNG, "runtime");
        dock.code.deploy(new byte[] {1}, "ephemeral");
        dock.events.clear();

        assertEquals(List.of("ephemeral", "runtime"), dock.reset.reset());

        assertEquals(List.of("brand", "k"), dock.kv.list());
        assertEquals("factory", dock.kv.get("k"));
        assertEquals(List.of(), dock.images.list());
        assertEquals(Optional.empty(), dock.code.current());
        assertEquals(List.of(ChangeEvents.TOPIC_RESET), dock.events.topics());
    }

    @Test
    public void resetWithOnlyTheRomEmptiesNothing() {
        TestDock dock = new TestDock();
        dock.add(new MemoryPartition("rom").makeReadOnly().withKv("brand", "Acme"), 100);
        assertEquals(List.of(), dock.reset.reset());
        assertEquals("Acme", dock.kv.get("brand"));
    }

    @Test
    public void aPartitionThatCannotBeEmptiedDoesNotStopTheOthers() {
        TestDock dock = TestDock.standard();
        dock.kv.put("e", "1", "ephemeral");
        dock.kv.put("r", "1", "runtime");
        dock.partition("ephemeral").clearFailure = new IllegalStateException("arena gone");
        dock.events.clear();

        DatastoreException e = assertThrows(DatastoreException.class, dock.reset::reset);

        assertEquals(Optional.of("ephemeral"), e.partition());
        assertTrue(e.getMessage(), e.getMessage().contains("emptied: [runtime]"));
        assertEquals(List.of("e"), dock.kv.list());
        assertEquals("no RESET: the store is not in its factory state", List.of(), dock.events.posted());
    }
}
