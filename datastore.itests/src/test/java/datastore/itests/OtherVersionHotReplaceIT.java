package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import datastore.KvStore;
import datastore.Partitions;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;

/**
 * A {@code datastore.ephemeral} jar of another version dropped into {@code deploy/}: FileInstall
 * installs it beside the running bundle (only a jar of the same symbolic name and version updates
 * it in place). The two must never write one arena. The outcome, as the ephemeral bundle's README
 * documents it: the running instance keeps the arena and keeps serving; the newcomer is active but
 * owns nothing, registers neither a partition nor a refusal (a refusal would make reads at the
 * ephemeral rank fail on a dock that is serving), and logs what to do; once the running bundle is
 * uninstalled, the newcomer takes the arena over with every entry, including those written while it
 * waited.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OtherVersionHotReplaceIT extends DockTestSupport {

    private static final String BSN = "datastore.ephemeral";
    private static final Version OTHER = new Version(1, 0, 1);

    @Override
    protected String product() {
        return "production";
    }

    @Test
    public void anotherVersionWaitsForTheArenaAndTakesItOverWithEveryEntry() throws Exception {
        KvStore kv = service(KvStore.class);
        for (int i = 0; i < 100; i++) {
            kv.put("before-" + i, "value-" + i, Partitions.EPHEMERAL);
        }
        Bundle running = bundle(BSN);
        assertTrue(running.getVersion() + " must differ from " + OTHER, !running.getVersion().equals(OTHER));

        AtomicReference<Bundle> newcomer = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        BundleListener listener = event -> {
            if (event.getType() == BundleEvent.STARTED && BSN.equals(event.getBundle().getSymbolicName())
                    && OTHER.equals(event.getBundle().getVersion())) {
                newcomer.set(event.getBundle());
                started.countDown();
            }
        };
        context.addBundleListener(listener);
        Path deploy = Paths.get(context.getProperty("felix.fileinstall.dir"));
        Path jar = Paths.get(System.getProperty("itest.ephemeral.jar"));
        withVersion(jar, OTHER, deploy.resolve("datastore.ephemeral-" + OTHER + ".jar"));
        assertTrue("FileInstall did not start the jar of version " + OTHER + " within 30 s", started.await(30, TimeUnit.SECONDS));
        context.removeBundleListener(listener);
        Bundle other = newcomer.get();
        assertEquals("FileInstall installed it beside the running bundle", Bundle.ACTIVE, running.getState());
        assertEquals(Bundle.ACTIVE, other.getState());
        assertEquals("the newcomer's component is active, waiting", ComponentConfigurationDTO.ACTIVE, componentState(other));

        // One writer: the running bundle's partition, and nothing of the newcomer's.
        ServiceReference<?>[] partitions = context.getServiceReferences(PartitionStore.class.getName(),
                "(" + PartitionStore.PARTITION + "=" + Partitions.EPHEMERAL + ")");
        assertEquals(1, partitions.length);
        assertEquals(running.getBundleId(), partitions[0].getBundle().getBundleId());
        assertNull("no refusal either", context.getServiceReferences(RefusedPartition.class.getName(), null));
        for (int i = 0; i < 100; i++) {
            kv.put("while-" + i, "value-" + i, Partitions.EPHEMERAL);
        }

        // The developer removes the old bundle: the newcomer takes the arena over, entries and all.
        running.uninstall();
        service(PartitionStore.class, "(&(" + PartitionStore.PARTITION + "=" + Partitions.EPHEMERAL + ")("
                + Constants.SERVICE_BUNDLEID + "=" + other.getBundleId() + "))");
        for (int i = 0; i < 100; i++) {
            assertEquals("value-" + i, kv.get("before-" + i));
            assertEquals("value-" + i, kv.get("while-" + i));
            assertEquals(Partitions.EPHEMERAL, kv.lookup("while-" + i).orElseThrow().partition());
        }
        kv.put("after", "written by " + OTHER, Partitions.EPHEMERAL);
        assertEquals("written by " + OTHER, kv.get("after"));
        System.out.println("other-version-hot-replace: newcomer waited, took over " + kv.list().size() + " keys");
    }

    private int componentState(Bundle bundle) {
        ServiceComponentRuntime scr = service(ServiceComponentRuntime.class);
        Collection<ComponentDescriptionDTO> descriptions = scr.getComponentDescriptionDTOs(bundle);
        assertEquals(1, descriptions.size());
        Collection<ComponentConfigurationDTO> configurations = scr.getComponentConfigurationDTOs(descriptions.iterator().next());
        assertEquals(1, configurations.size());
        return configurations.iterator().next().state;
    }

    /** Copies {@code jar} to {@code target} with another {@code Bundle-Version}, like a later build. */
    private static void withVersion(Path jar, Version version, Path target) throws Exception {
        // Written outside the deploy folder, then moved in whole: FileInstall never sees half a jar.
        Path partial = target.getParent().resolveSibling(target.getFileName() + ".part");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name(Constants.BUNDLE_VERSION), version.toString());
            try (OutputStream file = Files.newOutputStream(partial); JarOutputStream out = new JarOutputStream(file, manifest)) {
                for (JarEntry entry; (entry = in.getNextJarEntry()) != null;) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
