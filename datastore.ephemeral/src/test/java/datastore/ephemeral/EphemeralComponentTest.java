package datastore.ephemeral;

import static datastore.ephemeral.ArenaFixture.bytes;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import datastore.Namespace;
import datastore.spi.Change;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;
import datastore.testsupport.Configurations;

/** The component's own registrations: the partition when the arena opens, its refusal when it must not. */
public class EphemeralComponentTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    /** A registration as the fake framework keeps it. */
    static final class Registered {
        final Object clazz;
        final Object service;
        final Dictionary<?, ?> properties;
        boolean unregistered;

        Registered(Object clazz, Object service, Dictionary<?, ?> properties) {
            this.clazz = clazz;
            this.service = service;
            this.properties = properties;
        }
    }

    private final List<Registered> registered = new ArrayList<>();
    private final Map<String, String> properties = new HashMap<>();

    private final List<BundleListener> listeners = new ArrayList<>();

    /** A bundle of the ephemeral partition's symbolic name, as the fake framework reports it. */
    private static Bundle bundle(long id) {
        return (Bundle) Proxy.newProxyInstance(EphemeralComponentTest.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getBundleId" -> id;
                    case "getSymbolicName" -> "datastore.ephemeral";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private BundleContext context() {
        return context(1);
    }

    private BundleContext context(long bundleId) {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                    case "getBundle":
                        return bundle(bundleId);
                    case "addBundleListener":
                        listeners.add((BundleListener) args[0]);
                        return null;
                    case "removeBundleListener":
                        listeners.remove(args[0]);
                        return null;
                    case "getProperty":
                        return properties.get(args[0]);
                    case "getDataFile":
                        return null; // no bundle data area, as a framework without file system support answers
                    case "registerService":
                        Registered r = new Registered(args[0], args[1], (Dictionary<?, ?>) args[2]);
                        registered.add(r);
                        return Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                                    if (!m.getName().equals("unregister")) {
                                        throw new UnsupportedOperationException(m.getName());
                                    }
                                    if (r.unregistered) {
                                        throw new IllegalStateException("already unregistered");
                                    }
                                    r.unregistered = true;
                                    return null;
                                });
                    default:
                        throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    private List<Registered> live() {
        return registered.stream().filter(r -> !r.unregistered).toList();
    }

    private EphemeralPartition activate(Path arena) {
        return activate(arena, 1);
    }

    private EphemeralPartition activate(Path arena, long bundleId) {
        properties.put(Constants.FRAMEWORK_STORAGE, folder.getRoot().toString());
        properties.put(Constants.FRAMEWORK_UUID, "uuid-1");
        EphemeralPartition component = new EphemeralPartition();
        component.activate(context(bundleId),
                Configurations.of(EphemeralConfiguration.class, "capacity", 1L << 20, "path", arena.toString()));
        return component;
    }

    /**
     * A second instance on the same arena (a bundle of another version installed beside the first)
     * must not write it too: the two would each keep their own index and space accounting over one
     * file. It registers nothing until the first one's bundle stops, then takes the arena over with
     * every entry.
     */
    @Test
    public void aSecondInstanceNeverWritesTheArenaUntilTheOwnerStops() {
        Path arena = folder.getRoot().toPath().resolve("dock.arena");
        EphemeralPartition first = activate(arena, 1);
        EphemeralPartition second = activate(arena, 2);
        try {
            assertEquals("one partition service, the owner's", 1, live().size());
            // Every partition service there is takes writes, as the store would route them.
            int n = 0;
            for (Registered registration : live()) {
                PartitionStore store = (PartitionStore) registration.service;
                for (int i = 0; i < 200; i++) {
                    store.apply(List.of(Change.put(Namespace.KV, "k" + n + "-" + i, 0, ByteBuffer.wrap(bytes("v" + i)))));
                }
                n++;
            }
            first.deactivate();
            assertTrue(live().isEmpty());
            for (BundleListener listener : List.copyOf(listeners)) {
                listener.bundleChanged(new BundleEvent(BundleEvent.STOPPED, bundle(1)));
            }
            assertEquals("the waiting instance took the arena over", 1, live().size());
            PartitionStore store = (PartitionStore) live().get(0).service;
            for (int i = 0; i < 200; i++) {
                assertArrayEquals(bytes("v" + i), store.read(Namespace.KV, "k0-" + i, ArenaFixture::copy).orElseThrow());
            }
            assertTrue("it stopped listening", listeners.isEmpty());
        } finally {
            first.deactivate();
            second.deactivate();
        }
    }

    @Test
    public void anArenaItMayUseRegistersThePartitionWithItsRankingAndAnUpdateKeepsIt() {
        Path arena = folder.getRoot().toPath().resolve("dock.arena");
        EphemeralPartition component = activate(arena);
        Registered partition = live().get(0);
        assertEquals(1, live().size());
        assertEquals(PartitionStore.class, partition.clazz);
        assertEquals("ephemeral", partition.properties.get(PartitionStore.PARTITION));
        assertEquals(300, partition.properties.get(Constants.SERVICE_RANKING));
        ((PartitionStore) partition.service).apply(List.of(Change.put(Namespace.KV, "k", 0, ByteBuffer.wrap(bytes("v")))));
        component.deactivate();
        assertTrue(live().isEmpty());

        EphemeralPartition updated = activate(arena);
        try {
            PartitionStore store = (PartitionStore) live().get(0).service;
            assertArrayEquals(bytes("v"), store.read(Namespace.KV, "k", ArenaFixture::copy).orElseThrow());
        } finally {
            updated.deactivate();
        }
    }

    @Test
    public void aFileThatIsNotAnArenaRegistersARefusalUntilFormatted() throws IOException {
        Path arena = folder.getRoot().toPath().resolve("dock.arena");
        byte[] foreign = bytes("somebody's notes, not an arena");
        Files.write(arena, foreign);
        EphemeralPartition component = activate(arena);
        try {
            assertEquals(1, live().size());
            Registered refusal = live().get(0);
            assertEquals(RefusedPartition.class, refusal.clazz);
            assertEquals("ephemeral", refusal.properties.get(RefusedPartition.PARTITION));
            RefusedPartition refused = (RefusedPartition) refusal.service;
            assertEquals("ephemeral", refused.name());
            assertTrue(refused.reason(), refused.reason().contains("is not an arena of this store"));
            assertArrayEquals("untouched", foreign, Files.readAllBytes(arena));

            refused.format();
            assertEquals(1, live().size());
            Registered partition = live().get(0);
            assertEquals(PartitionStore.class, partition.clazz);
            assertEquals(300, partition.properties.get(Constants.SERVICE_RANKING));
            PartitionStore store = (PartitionStore) partition.service;
            assertEquals(0, store.usage().used());
            store.apply(List.of(Change.put(Namespace.KV, "k", 0, ByteBuffer.wrap(bytes("v")))));
            assertEquals(List.of("k"), store.names(Namespace.KV));
            IOException again = assertThrows(IOException.class, refused::format);
            assertTrue(again.getMessage(), again.getMessage().contains("no longer refused"));
        } finally {
            component.deactivate();
        }
        assertTrue(live().isEmpty());
    }

    @Test
    public void aRefusalCannotBeFormattedAfterDeactivation() throws IOException {
        Path arena = folder.getRoot().toPath().resolve("dock.arena");
        Files.write(arena, bytes("foreign"));
        EphemeralPartition component = activate(arena);
        RefusedPartition refused = (RefusedPartition) live().get(0).service;
        component.deactivate();
        assertThrows(IOException.class, refused::format);
        assertArrayEquals(bytes("foreign"), Files.readAllBytes(arena));
        assertNull(component.arena);
    }
}
