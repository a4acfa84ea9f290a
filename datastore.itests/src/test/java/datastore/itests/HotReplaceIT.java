package datastore.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

import datastore.ImageStore;
import datastore.KvStore;
import datastore.Partitions;
import datastore.image.ImageType;
import datastore.spi.PartitionStore;

/**
 * Replacing the running {@code datastore.ephemeral} bundle (a bundle update, by the API and by the
 * Gogo {@code update} command) while four threads read continuously: no read fails or answers wrong,
 * and the ephemeral data is all there afterwards. Each update starts once every reader is reading and
 * a round ends once every reader has read again past the new partition, counted, not timed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotReplaceIT extends DockTestSupport {

    private static final int KEYS = 200;
    private static final int READERS = 4;
    /** Reads each reader does before an update starts and after the new partition is registered. */
    private static final int READS_AROUND_AN_UPDATE = 200;

    @Override
    protected String product() {
        return "minimal";
    }

    @Test
    public void updatingTheEphemeralBundleUnderConcurrentReadsLosesNothing() throws Exception {
        KvStore kv = service(KvStore.class);
        ImageStore images = service(ImageStore.class);
        for (int i = 0; i < KEYS; i++) {
            kv.put("key-" + i, "value-" + i, Partitions.EPHEMERAL);
        }
        byte[] splash = TestImages.encode("png", 64, 48);
        images.put("splash", splash, ImageType.PNG, Partitions.EPHEMERAL);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> readers = new ArrayList<>();
        // Each reader counts its reads down on its own latch: the test waits for reads, not for time.
        List<AtomicReference<CountDownLatch>> wanted = new ArrayList<>();
        for (int t = 0; t < READERS; t++) {
            AtomicReference<CountDownLatch> mine = new AtomicReference<>(new CountDownLatch(0));
            wanted.add(mine);
            Thread reader = new Thread(() -> {
                while (running.get()) {
                    int i = ThreadLocalRandom.current().nextInt(KEYS);
                    try {
                        String value = kv.get("key-" + i);
                        if (!value.equals("value-" + i)) {
                            failures.add("key-" + i + " read as '" + value + "'");
                        }
                    } catch (RuntimeException e) {
                        failures.add("key-" + i + " threw " + e);
                    }
                    reads.incrementAndGet();
                    mine.get().countDown();
                }
            }, "reader-" + t);
            reader.start();
            readers.add(reader);
        }

        Bundle ephemeral = bundle("datastore.ephemeral");
        long before = ephemeral.getLastModified();
        try {
            for (int round = 0; round < 3; round++) {
                awaitReadsByEveryReader(wanted, "before round " + round);
                ServiceReference<PartitionStore> old = context.getServiceReference(PartitionStore.class);
                if (round == 1) {
                    gogo("update " + ephemeral.getBundleId());
                } else {
                    ephemeral.update();
                }
                service(PartitionStore.class, "(datastore.partition=ephemeral)");
                assertNotEquals("the update registered a new partition service", old,
                        context.getServiceReference(PartitionStore.class));
                awaitReadsByEveryReader(wanted, "after round " + round);
            }
        } finally {
            running.set(false);
            for (Thread reader : readers) {
                reader.join(10_000);
            }
        }
        assertEquals("failed reads: " + failures.stream().limit(5).toList(), 0, failures.size());
        assertTrue("the bundle was replaced", ephemeral.getLastModified() > before);
        assertEquals(Bundle.ACTIVE, ephemeral.getState());
        System.out.println("hot-replace: updates=3 reads=" + reads.get() + " failed=" + failures.size());

        for (int i = 0; i < KEYS; i++) {
            assertEquals("value-" + i, kv.get("key-" + i));
            assertEquals(Partitions.EPHEMERAL, kv.lookup("key-" + i).orElseThrow().partition());
        }
        ByteBuffer stored = images.get("splash").data();
        byte[] bytes = new byte[stored.remaining()];
        stored.get(bytes);
        assertArrayEquals(splash, bytes);
    }

    /** Waits until every reader has done {@link #READS_AROUND_AN_UPDATE} more reads; fails after 30 s. */
    private static void awaitReadsByEveryReader(List<AtomicReference<CountDownLatch>> wanted, String when)
            throws InterruptedException {
        List<CountDownLatch> latches = new ArrayList<>();
        for (AtomicReference<CountDownLatch> reader : wanted) {
            CountDownLatch latch = new CountDownLatch(READS_AROUND_AN_UPDATE);
            reader.set(latch);
            latches.add(latch);
        }
        for (CountDownLatch latch : latches) {
            assertTrue("every reader kept reading " + when, latch.await(30, TimeUnit.SECONDS));
        }
    }

    private void gogo(String command) throws Exception {
        CommandProcessor processor = service(CommandProcessor.class);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true)) {
            CommandSession session = processor.createSession(System.in, print, print);
            try {
                session.execute(command);
            } finally {
                session.close();
            }
        }
    }
}
