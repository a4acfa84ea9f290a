package datastore.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import datastore.ChangeEvents;
import datastore.Namespace;
import datastore.system.ApplicationCode;
import datastore.system.ApplicationCodeStore;

import org.junit.Test;

public class LogicalCodeStoreTest {

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Test
    public void theHighestRankingCopyRunsAndRemovingItUncoversTheNext() {
        TestDock dock = TestDock.standard();
        assertEquals(Optional.empty(), dock.code.current());

        dock.partition("rom").with(Namespace.CODE, ApplicationCodeStore.MAIN, 0, new byte[] {1});
        ApplicationCode factory = dock.code.current().orElseThrow();
        assertEquals("rom", factory.partition());
        assertArrayEquals(new byte[] {1}, bytes(factory.source()));

        dock.code.deploy(new byte[] {2, 2}, "ephemeral");
        ApplicationCode dev = dock.code.current().orElseThrow();
        assertEquals("ephemeral", dev.partition());
        assertArrayEquals(new byte[] {2, 2}, bytes(dev.source()));
        assertTrue(dev.source().isReadOnly());

        dock.code.deploy(new byte[] {3}, "ephemeral");
        assertNotEquals("every deploy has a new revision", dev.revision(), dock.code.current().orElseThrow().revision());

        assertTrue(dock.code.remove("ephemeral"));
        assertFalse(dock.code.remove("ephemeral"));
        assertEquals("rom", dock.code.current().orElseThrow().partition());
    }

    @Test
    public void theSourceIsACopy() {
        TestDock dock = TestDock.standard();
        dock.code.deploy(new byte[] {7}, "runtime");
        ApplicationCode code = dock.code.current().orElseThrow();
        dock.partition("runtime").poke(Namespace.CODE, ApplicationCodeStore.MAIN, 0, (byte) 9);
        assertEquals(7, code.source().get(0));
    }

    @Test
    public void deployAndRemovePostCodeEvents() {
        TestDock dock = TestDock.standard();
        dock.code.deploy(new byte[] {1}, "ephemeral");
        dock.code.remove("ephemeral");
        assertEquals(List.of("datastore/code/PUT", "datastore/code/REMOVED"), dock.events.topics());
        dock.events.posted().forEach(e -> {
            assertEquals("code", e.getProperty(ChangeEvents.NAMESPACE));
            assertEquals(ApplicationCodeStore.MAIN, e.getProperty(ChangeEvents.NAME));
            assertEquals("ephemeral", e.getProperty(ChangeEvents.PARTITION));
        });
    }

    @Test
    public void theCodeIsNoKeyOrImage() {
        TestDock dock = TestDock.standard();
        dock.code.deploy(new byte[] {1}, "runtime");
        assertEquals(List.of(), dock.kv.list());
        assertEquals(List.of(), dock.images.list());
    }
}
