package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import datastore.testsupport.MemoryPartition;

import org.junit.Test;

/**
 * Reads running while partitions are hot-replaced: no read fails, no read answers from a lower
 * partition while the higher one is being replaced, and no list misses the keys of a partition
 * being replaced.
 */
public class ConcurrentReadsTest {

    private static final int READERS = 3;
    private static final int REPLACEMENTS = 3000;

    @Test(timeout = 60_000)
    public void hotReplacingAPartitionUnderConcurrentReadsFailsNoRead() throws Exception {
        replaceUnderConcurrentReads(new TestDock("runtime", 5_000), REPLACEMENTS);
    }

    /**
     * The same with the restart bound reached by every read that meets a replacement: what happened
     * now and then under load, when one read met more replacements in a row than the bound allows and
     * then skipped the departed partition, answering from the one below it. Past the bound a read
     * must ask the successor in the departed one's place.
     */
    @Test(timeout = 60_000)
    public void readsPastTheRestartBoundStillNeverAnswerFromALowerPartition() throws Exception {
        TestDock dock = new TestDock("runtime", 5_000);
        dock.store.maxRestarts = 0;
        replaceUnderConcurrentReads(dock, REPLACEMENTS / 3);
    }

    private static void replaceUnderConcurrentReads(TestDock dock, int replacements) throws Exception {
        MemoryPartition ephemeral = new MemoryPartition("ephemeral").withKv("k", "ephemeral").withKv("e", "1");
        dock.add(ephemeral, 300);
        dock.add(new MemoryPartition("runtime").withKv("k", "runtime"), 200);
        MemoryPartition extra = new MemoryPartition("extra").withKv("x", "y");
        dock.add(extra, 50);

        AtomicBoolean done = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < READERS; i++) {
            int reader = i;
            Thread thread = new Thread(() -> {
                while (!done.get()) {
                    try {
                        String value = dock.kv.get("k");
                        if (!value.equals("ephemeral")) {
                            wrong.add("get answered " + value);
                        }
                        if (reader == 0) {
                            List<String> keys = dock.kv.list();
                            if (!keys.contains("e") || !keys.contains("x")) {
                                wrong.add("list answered " + keys);
                            }
                        }
                        reads.incrementAndGet();
                    } catch (RuntimeException e) {
                        wrong.add("read failed: " + e);
                    }
                }
            }, "reader-" + i);
            thread.start();
            readers.add(thread);
        }

        // Hot-replace the ephemeral partition over and over, and another one that comes back at a
        // different rank each time; partitions that never had the key come and go for good.
        MemoryPartition current = ephemeral;
        for (int i = 0; i < replacements; i++) {
            dock.remove(current);
            Thread.yield();
            current = current.successor();
            dock.add(current, 300);
            dock.remove(extra);
            extra = extra.successor();
            dock.add(extra, i % 2 == 0 ? 250 : 50);
        }
        done.set(true);
        for (Thread thread : readers) {
            thread.join();
        }

        assertEquals(List.of(), new ArrayList<>(wrong).subList(0, Math.min(10, wrong.size())));
        assertTrue("the readers ran", reads.get() > 0);
        assertEquals("ephemeral", dock.kv.get("k"));
    }
}
