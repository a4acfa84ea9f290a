package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import datastore.KvStore;
import datastore.Partitions;
import datastore.spi.RomContent;
import datastore.spi.RomProvisioning;
import datastore.system.FactoryReset;

/**
 * Reads pass partitions whose presence test rules a name out: in the full dock, a name whose write to
 * the runtime partition has returned is never answered from the ROM below it, while other writers
 * add names (so the runtime filter is rebuilt under the readers) and the ROM is replaced again and
 * again with every one of those names in it; a removal or a factory reset uncovers the newest ROM.
 * A hit in any partition allocates only the string it returns, and a miss nothing.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReadPathIT extends DockTestSupport {

    private static final int WRITERS = 2;
    private static final int WRITES = 250;

    @Override
    protected String product() {
        return "dock";
    }

    private static String name(int writer, int i) {
        return "w" + writer + "-" + i;
    }

    /** Every name the writers will write, each with a value naming the ROM generation. */
    private static RomContent rom(int generation) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (int w = 0; w < WRITERS; w++) {
            for (int i = 1; i <= WRITES; i++) {
                settings.put(name(w, i), "rom-" + generation);
            }
        }
        return new RomContent("print('read path')".getBytes(), settings, Map.of());
    }

    @Test
    public void aNameWrittenAboveTheRomIsNeverAnsweredFromItWhileWritersAndReplacesRun() throws Exception {
        KvStore kv = service(KvStore.class);
        RomProvisioning rom = service(RomProvisioning.class);
        service(FactoryReset.class).reset();
        rom.replace(rom(1));
        assertEquals("rom-1", kv.get(name(0, 1)));

        AtomicIntegerArray done = new AtomicIntegerArray(WRITERS);
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger generation = new AtomicInteger(1);
        AtomicInteger checks = new AtomicInteger();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers.add(new Thread(() -> {
                try {
                    for (int i = 1; i <= WRITES; i++) {
                        kv.put(name(writer, i), "runtime " + name(writer, i), Partitions.RUNTIME);
                        done.set(writer, i);
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        List<Thread> others = new ArrayList<>();
        others.add(new Thread(() -> {
            try {
                while (writing.get()) {
                    rom.replace(rom(generation.incrementAndGet()));
                }
            } catch (Throwable t) {
                error.compareAndSet(null, t);
            }
        }));
        for (int r = 0; r < 2; r++) {
            long seed = r;
            others.add(new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                try {
                    while (writing.get()) {
                        int writer = random.nextInt(WRITERS);
                        int returned = done.get(writer);
                        if (returned == 0) {
                            continue;
                        }
                        for (int i : new int[] {returned, 1 + random.nextInt(returned)}) {
                            String value = kv.get(name(writer, i));
                            if (!value.equals("runtime " + name(writer, i))) {
                                throw new AssertionError(name(writer, i) + " read as \"" + value
                                        + "\" after its write to the runtime partition returned");
                            }
                            checks.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }));
        }
        others.forEach(Thread::start);
        writers.forEach(Thread::start);
        for (Thread thread : writers) {
            thread.join(TimeUnit.MINUTES.toMillis(3));
        }
        writing.set(false);
        for (Thread thread : others) {
            thread.join(TimeUnit.MINUTES.toMillis(1));
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
        assertTrue("readers checked names: " + checks.get(), checks.get() > 0);
        assertTrue("the ROM was replaced under the readers", generation.get() > 1);

        for (int w = 0; w < WRITERS; w++) {
            for (int i = 1; i <= WRITES; i++) {
                assertEquals("runtime " + name(w, i), kv.get(name(w, i)));
            }
        }
        // A removal uncovers the newest ROM's value; a factory reset uncovers it for every name.
        String newest = "rom-" + generation.get();
        assertTrue(kv.remove(name(0, 1), Partitions.RUNTIME));
        assertEquals(newest, kv.get(name(0, 1)));
        service(FactoryReset.class).reset();
        for (int w = 0; w < WRITERS; w++) {
            for (int i = 1; i <= WRITES; i++) {
                assertEquals(newest, kv.get(name(w, i)));
            }
        }
        kv.put(name(1, 7), "after reset", Partitions.RUNTIME);
        assertEquals("after reset", kv.get(name(1, 7)));
    }

    @Test
    public void aHitAllocatesOnlyTheStringItReturnsAndAMissNothing() throws Exception {
        KvStore kv = service(KvStore.class);
        RomProvisioning rom = service(RomProvisioning.class);
        service(FactoryReset.class).reset();
        String value = "v".repeat(100);
        rom.replace(new RomContent("print('hits')".getBytes(), Map.of("rom-hit", value), Map.of()));
        kv.put("runtime-hit", value, Partitions.RUNTIME);
        kv.put("ephemeral-hit", value, Partitions.EPHEMERAL);
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        Allocations allocations = new Allocations();
        // What returning the value costs any store: the string decoded from its bytes.
        long decoding = allocations.perCall(() -> new String(bytes, StandardCharsets.UTF_8));
        assertTrue("decoding allocates " + decoding + " bytes", decoding > 100);
        for (String key : List.of("ephemeral-hit", "runtime-hit", "rom-hit")) {
            assertEquals(value, kv.get(key));
            long hit = allocations.perCall(() -> kv.get(key));
            assertTrue(key + " allocates " + hit + " bytes a get, the decoded string " + decoding, hit <= decoding);
        }
        assertFalse(kv.find("no-such-key").isPresent());
        long miss = allocations.perCall(() -> kv.find("no-such-key"));
        assertEquals("bytes a miss allocates", 0, miss);
    }

    /**
     * The bytes this thread allocates, through the JDK's {@code com.sun.management.ThreadMXBean}, which
     * the probe reaches by reflection since the framework exports no {@code com.sun} package.
     */
    private static final class Allocations {
        private static final int CALLS = 200_000;
        private final Object threads = ManagementFactory.getThreadMXBean();
        private final Method allocated;
        /** Where each call's result goes, so that the compiler cannot leave out its allocation. */
        private volatile Object last;

        Allocations() throws ReflectiveOperationException {
            allocated = ClassLoader.getSystemClassLoader().loadClass("com.sun.management.ThreadMXBean")
                    .getMethod("getCurrentThreadAllocatedBytes");
            for (int i = 0; i < 100; i++) { // past reflection's switch to a generated accessor
                allocated();
            }
        }

        private long allocated() throws ReflectiveOperationException {
            return (Long) allocated.invoke(threads);
        }

        /**
         * The bytes one call allocates, rounded down, once the call is compiled: the measurement's own
         * (a boxed long a reading) is below one byte a call.
         */
        long perCall(java.util.function.Supplier<Object> call) throws ReflectiveOperationException {
            for (int i = 0; i < CALLS; i++) {
                last = call.get();
            }
            long before = allocated();
            for (int i = 0; i < CALLS; i++) {
                last = call.get();
            }
            return (allocated() - before) / CALLS;
        }
    }
}
