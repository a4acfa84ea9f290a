package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.condition.Condition;
import org.osgi.util.tracker.ServiceTracker;

import datastore.ImageStore;
import datastore.KvStore;
import datastore.Partitions;
import datastore.image.ImageType;
import datastore.spi.RomContent;
import datastore.spi.RomContent.RomImage;
import datastore.spi.RomProvisioning;
import datastore.system.ApplicationCodeStore;
import datastore.system.FactoryReset;
import datastore.system.Readiness;
import datastore.system.StoreStatus;

/**
 * No flapping: once the full development dock is ready, a ROM replace, code deploys to two
 * partitions, a configuration change of the development API and a factory reset unregister none
 * of the store's services (KvStore, ImageStore, code store, status, ROM provisioning, factory
 * reset), nor the ready condition, nor a servlet of the API; an application holding a
 * {@link KvStore} keeps the same one throughout.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NoFlapIT extends DockTestSupport {

    private static final List<String> WATCHED = List.of(KvStore.class.getName(), ImageStore.class.getName(),
            ApplicationCodeStore.class.getName(), StoreStatus.class.getName(), RomProvisioning.class.getName(),
            FactoryReset.class.getName(), Condition.class.getName(), "jakarta.servlet.Servlet");

    @Override
    protected String product() {
        return "dock";
    }

    @Test
    public void writesReplacesResetsAndReconfigurationUnregisterNothing() throws Exception {
        ServiceTracker<Condition, Condition> ready = new ServiceTracker<>(context, context.createFilter(
                "(&(objectClass=" + Condition.class.getName() + ")(osgi.condition.id=" + Readiness.CONDITION + "))"),
                null);
        ready.open();
        assertNotNull("the dock never became ready", ready.waitForService(TimeUnit.SECONDS.toMillis(30)));
        ready.close();

        List<String> unregistered = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch reconfigured = new CountDownLatch(1);
        ServiceListener listener = event -> {
            ServiceReference<?> reference = event.getServiceReference();
            if (event.getType() == ServiceEvent.UNREGISTERING) {
                unregistered.add(describe(reference));
            } else if (event.getType() == ServiceEvent.MODIFIED
                    && "datastore.devapi".equals(reference.getProperty("component.name"))
                    && "77".equals(String.valueOf(reference.getProperty("token.ttl.seconds")))) {
                reconfigured.countDown();
            }
        };
        StringBuilder filter = new StringBuilder("(|(component.name=datastore.devapi)");
        WATCHED.forEach(name -> filter.append("(objectClass=").append(name).append(')'));
        context.addServiceListener(listener, filter.append(')').toString());
        try {
            KvStore held = service(KvStore.class);
            ServiceReference<KvStore> heldReference = context.getServiceReference(KvStore.class);
            held.put("before", "kept", Partitions.RUNTIME);

            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("dock_name", "RW02-0009");
            service(RomProvisioning.class).replace(new RomContent("print('rom')".getBytes(), settings,
                    Map.of("splash", new RomImage(ImageType.PNG, TestImages.encode("png", 64, 48)))));
            ApplicationCodeStore code = service(ApplicationCodeStore.class);
            code.deploy("print('runtime build')".getBytes(), Partitions.RUNTIME);
            code.deploy("print('ephemeral build')".getBytes(), Partitions.EPHEMERAL);

            // Held for the whole change: Configuration Admin is a service factory, dead once ungot.
            ServiceReference<ConfigurationAdmin> adminReference = context.getServiceReference(ConfigurationAdmin.class);
            ConfigurationAdmin configurations = context.getService(adminReference);
            Configuration devapi = configurations.getConfiguration("datastore.devapi", "?");
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put("token.ttl.seconds", "77");
            devapi.update(properties);
            assertTrue("the development API never took its new configuration",
                    reconfigured.await(30, TimeUnit.SECONDS));

            service(FactoryReset.class).reset();
            devapi.delete();
            context.ungetService(adminReference);

            assertEquals("unregistered: " + unregistered, List.of(), List.copyOf(unregistered));
            assertSame(heldReference, context.getServiceReference(KvStore.class));
            assertEquals("RW02-0009", held.get("dock_name"));
            held.put("after", "still here", Partitions.RUNTIME);
            assertEquals("still here", held.get("after"));
        } finally {
            context.removeServiceListener(listener);
        }
    }

    private static String describe(ServiceReference<?> reference) {
        return String.join("/", (String[]) reference.getProperty(Constants.OBJECTCLASS)) + " "
                + reference.getProperty("component.name") + " " + reference.getProperty(Condition.CONDITION_ID);
    }
}
