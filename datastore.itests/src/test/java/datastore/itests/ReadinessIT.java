package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.condition.Condition;
import org.osgi.util.tracker.ServiceTracker;

import datastore.KvStore;
import datastore.system.Readiness;

/**
 * Readiness in the minimal product (store, ephemeral partition, shell; no HTTP, so the store
 * announces readiness itself): ready once the partition of every active partition bundle is
 * registered, not ready, naming the partition, while its bundle is stopped for a replace, and
 * ready again when it is back; an application holding a {@link KvStore} keeps it throughout.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReadinessIT extends DockTestSupport {

    @Override
    protected String product() {
        return "minimal";
    }

    private Condition awaitReady() throws Exception {
        ServiceTracker<Condition, Condition> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + Condition.class.getName() + ")(osgi.condition.id="
                        + Readiness.CONDITION + "))"), null);
        tracker.open();
        try {
            // A bound, not a pause: the tracker returns as soon as the condition is registered.
            return tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        } finally {
            tracker.close();
        }
    }

    private ServiceReference<Condition> readyReference() throws Exception {
        var references = context.getServiceReferences(Condition.class,
                "(osgi.condition.id=" + Readiness.CONDITION + ")");
        return references.isEmpty() ? null : references.iterator().next();
    }

    @Test
    public void readyWithEveryPartitionAndNotWhileOneIsGone() throws Exception {
        assertNotNull("the dock never became ready", awaitReady());
        Readiness readiness = service(Readiness.class);
        assertTrue(readiness.waitingFor().toString(), readiness.ready());
        assertEquals(List.of(), readiness.waitingFor());

        KvStore kv = service(KvStore.class);
        ServiceReference<KvStore> held = context.getServiceReference(KvStore.class);
        Bundle ephemeral = bundle("datastore.ephemeral");
        // Stopped transiently, as a hot-replace (an update) stops it: it is still meant to run.
        ephemeral.stop(Bundle.STOP_TRANSIENT);
        try {
            assertTrue(readiness.waitingFor().toString(), !readiness.ready());
            assertEquals(List.of("partition ephemeral"), readiness.waitingFor());
            assertNull("the ready condition outlived the partition", readyReference());
        } finally {
            ephemeral.start(Bundle.START_TRANSIENT);
        }
        assertNotNull("not ready again after the partition came back", awaitReady());
        assertTrue(readiness.waitingFor().toString(), readiness.ready());
        // The application's KvStore was never taken away.
        assertNotNull(held.getBundle());
        assertEquals(held, context.getServiceReference(KvStore.class));
        kv.put("after", "the partition came back", "ephemeral");
        assertEquals("the partition came back", kv.get("after"));
    }
}
