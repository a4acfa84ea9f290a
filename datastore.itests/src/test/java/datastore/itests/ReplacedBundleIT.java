package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

import datastore.ImageStore;
import datastore.ImageView;
import datastore.KvStore;
import datastore.Partitions;
import datastore.flash.FlashRegion;
import datastore.image.ImageFormat;
import datastore.image.ImageType;
import datastore.spi.PartitionStore;
import datastore.spi.RomContent;
import datastore.spi.RomProvisioning;

/**
 * A bundle of the product replaced in the running dock (an update and a refresh, as a developer's
 * hot-replace does) leaves nothing of its own behind: once its successor serves, the replaced
 * revision's class loader, and with it every class, static and mapping it held, can be collected,
 * although this thread read through every partition before (per-thread state kept by a reader would
 * hold it: the runtime engine's did until it kept only JDK types). Each partition, the store, the
 * device and the image formats in turn; every entry is served again afterwards.
 *
 * <p>The class runs in a JVM of its own without the JIT (the pom's {@code replaced-bundles}
 * execution): a compilation in flight holds the classes it inlines, the replaced ones among them,
 * and a collection while it runs keeps them. With the JIT, one run in four kept a loader for one
 * collection; with {@code -XX:-BackgroundCompilation}, none of six.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReplacedBundleIT extends DockTestSupport {

    private static final String VALUE = "v".repeat(100);
    private static final int READS = 200;

    @Override
    protected String product() {
        return "dock";
    }

    /** Skips, saying why, in a JVM with the JIT (such as the default execution under {@code -Dit.test}). */
    @Before
    public void withoutTheJit() {
        assumeTrue("runs without the JIT, in the replaced-bundles execution (-Xint)",
                System.getProperty("java.vm.info", "").contains("interpreted mode"));
    }

    @Test
    public void aReplacedEphemeralBundleLeavesNothingOfItsOwnBehind() throws Exception {
        replaceAndCollect("datastore.ephemeral", Partitions.EPHEMERAL);
    }

    @Test
    public void aReplacedRuntimeBundleLeavesNothingOfItsOwnBehind() throws Exception {
        replaceAndCollect("datastore.runtime", Partitions.RUNTIME);
    }

    @Test
    public void aReplacedRomBundleLeavesNothingOfItsOwnBehind() throws Exception {
        replaceAndCollect("datastore.rom", Partitions.ROM);
    }

    @Test
    public void aReplacedStoreBundleLeavesNothingOfItsOwnBehind() throws Exception {
        replaceAndCollect("datastore.store", KvStore.class, null);
    }

    @Test
    public void aReplacedDeviceBundleLeavesNothingOfItsOwnBehind() throws Exception {
        replaceAndCollect("datastore.device", FlashRegion.class, "(" + FlashRegion.REGION + "=runtime)");
    }

    @Test
    public void aReplacedImagesBundleLeavesNothingOfItsOwnBehind() throws Exception {
        replaceAndCollect("datastore.images", ImageFormat.class, null);
    }

    private void replaceAndCollect(String symbolicName, String partition) throws Exception {
        replaceAndCollect(symbolicName, PartitionStore.class, "(datastore.partition=" + partition + ")");
    }

    private <S> void replaceAndCollect(String symbolicName, Class<S> type, String filter) throws Exception {
        fill();
        readEverything();
        Bundle bundle = bundle(symbolicName);
        WeakReference<ClassLoader> replaced = new WeakReference<>(bundle.adapt(BundleWiring.class).getClassLoader());
        ServiceReference<?> before = context.getServiceReferences(type, filter).iterator().next();

        bundle.update();
        CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(bundle), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        });
        assertTrue("the refresh ended within 30 s", refreshed.await(30, TimeUnit.SECONDS));
        service(type, filter);
        assertNotEquals("the new " + symbolicName + " registered its " + type.getSimpleName(), before,
                context.getServiceReferences(type, filter).iterator().next());
        readEverything();
        // Event Admin reports the replacement (the old service's unregistration among it) to its
        // handlers on threads of its own, each event holding the old service's reference until it is
        // delivered; it delivers the events of one posting thread in order.
        awaitEventsPostedByThisThread();

        System.gc();
        assertNull("the replaced " + symbolicName + " revision's class loader is still reachable", replaced.get());
    }

    /** Returns once Event Admin has delivered a marker posted now, and so every event this thread posted before. */
    private void awaitEventsPostedByThisThread() throws InterruptedException {
        String topic = "datastore/itests/marker";
        CountDownLatch delivered = new CountDownLatch(1);
        EventHandler handler = event -> delivered.countDown();
        ServiceRegistration<EventHandler> registration = context.registerService(EventHandler.class, handler,
                FrameworkUtil.asDictionary(Map.of(EventConstants.EVENT_TOPIC, topic)));
        try {
            service(EventAdmin.class).postEvent(new Event(topic, Map.of()));
            assertTrue("Event Admin delivered the marker within 30 s", delivered.await(30, TimeUnit.SECONDS));
        } finally {
            registration.unregister();
        }
    }

    /** A small setting in each partition, and an image in each writable one. */
    private void fill() throws Exception {
        KvStore kv = service(KvStore.class);
        RomProvisioning rom = service(RomProvisioning.class);
        if (!kv.find("rom-key").isPresent()) {
            rom.replace(new RomContent("print('replaced')".getBytes(), Map.of("rom-key", VALUE), Map.of()));
        }
        kv.put("runtime-key", VALUE, Partitions.RUNTIME);
        kv.put("ephemeral-key", VALUE, Partitions.EPHEMERAL);
        ImageStore images = service(ImageStore.class);
        images.put("runtime-splash", TestImages.encode("png", 16, 16), ImageType.PNG, Partitions.RUNTIME);
        images.put("ephemeral-splash", TestImages.encode("png", 16, 16), ImageType.PNG, Partitions.EPHEMERAL);
    }

    /** Reads every entry by each path a reader takes: a get, a lookup (a view), an image copy and view. */
    private void readEverything() {
        KvStore kv = service(KvStore.class);
        ImageStore images = service(ImageStore.class);
        for (int i = 0; i < READS; i++) {
            for (String[] entry : new String[][] {{"rom-key", Partitions.ROM}, {"runtime-key", Partitions.RUNTIME},
                    {"ephemeral-key", Partitions.EPHEMERAL}}) {
                assertEquals(VALUE, kv.get(entry[0]));
                assertEquals(entry[1], kv.lookup(entry[0]).orElseThrow().partition());
            }
            for (String tag : List.of("runtime-splash", "ephemeral-splash")) {
                assertTrue(images.get(tag).data().remaining() > 0);
                try (ImageView view = images.open(images.getToken(tag))) {
                    assertTrue(view.bytes().remaining() > 0);
                }
            }
        }
    }
}
