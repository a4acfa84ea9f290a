package datastore.itests;

import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.KvBatch;
import datastore.KvStore;
import datastore.Partitions;
import datastore.StaleTokenException;
import datastore.image.ImageType;
import datastore.itests.stressapp.StressApp;
import datastore.spi.RomContent;
import datastore.spi.RomProvisioning;

/**
 * Linearizability of the whole dock under load: eight threads of mixed operations (put, get,
 * per-partition lookup, remove, batch, image put and read, token open and close) on the ephemeral,
 * runtime and ROM partitions of the real {@code dock} product, while one thread replaces the ROM
 * store again and again and another hot-replaces the {@code datastore.ephemeral} bundle. Every
 * operation's interval (invocation to return) and value is recorded per register (partition and
 * name); afterwards each register's history is checked: every read returns a value some write
 * actually wrote (no torn or invented value), not one written only after the read returned, not one
 * overwritten by a write that completed before the read began (no lost update, no stale read), and
 * two reads in real-time order never see two writes in the opposite order. No operation may fail:
 * during the hot-replace, reads and writes wait for the partition to return (the grace contract);
 * a token may only fail as stale.
 *
 * <p>Pax Exam rather than a unit test of the store module: only a real framework replaces the
 * ephemeral bundle the way a developer does (a bundle update, the store rebinding the partition
 * service while the arena lives on), and only the product composition has the real ROM provisioning,
 * the flash device and the store's service dynamics together.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConcurrencyIT extends DockTestSupport {

    private static final int THREADS = 8;
    private static final int OPS_PER_THREAD = 3_000;
    private static final int KEYS = 5;
    private static final int ROM_KEYS = 3;
    /** Completed operations between two hot-replaces of the ephemeral bundle. */
    private static final long OPS_PER_HOT_REPLACE = 1_500;

    /** Makes every image any worker writes unique. */
    private static final AtomicLong IMAGE_IDS = new AtomicLong();

    @Override
    protected String product() {
        return "dock";
    }

    /** One operation on one register: a write (value stored, null for a removal) or a read. */
    record Op(String register, boolean write, String value, long start, long end, String thread) {
    }

    private final List<Op> history = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @Test
    public void everyRegisterHistoryIsLinearizableUnderRomReplacesAndAHotReplace() throws Exception {
        KvStore kv = service(KvStore.class);
        ImageStore images = service(ImageStore.class);
        RomProvisioning rom = service(RomProvisioning.class);
        Bundle ephemeral = bundle("datastore.ephemeral");
        long seed = Long.getLong("concurrency.seed", System.nanoTime());
        System.out.println("concurrency: seed=" + seed);

        // The starting state of every register, written before anything else runs.
        List<Op> setup = new ArrayList<>();
        replaceRom(rom, 0, setup);
        history.addAll(setup);

        AtomicLong completed = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        Object progress = new Object();
        List<Thread> threads = new ArrayList<>();
        List<List<Op>> logs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            List<Op> log = new ArrayList<>();
            logs.add(log);
            Random random = new Random(seed + t);
            String name = "worker-" + t;
            threads.add(new Thread(() -> {
                for (int i = 0; i < OPS_PER_THREAD; i++) {
                    try {
                        operate(kv, images, random, name + "." + i, log);
                    } catch (RuntimeException e) {
                        failures.add(name + " op " + i + ": " + e);
                    }
                    if (completed.incrementAndGet() % OPS_PER_HOT_REPLACE == 0) {
                        synchronized (progress) {
                            progress.notifyAll();
                        }
                    }
                }
            }, name));
        }
        List<Op> romLog = new ArrayList<>();
        AtomicLong romReplaces = new AtomicLong();
        Thread romThread = new Thread(() -> {
            for (int gen = 1; running.get(); gen++) {
                try {
                    replaceRom(rom, gen, romLog);
                    romReplaces.incrementAndGet();
                } catch (RuntimeException e) {
                    failures.add("ROM replace " + gen + ": " + e);
                }
            }
        }, "rom-replace");
        AtomicLong hotReplaces = new AtomicLong();
        Thread hotThread = new Thread(() -> {
            long next = OPS_PER_HOT_REPLACE;
            while (running.get()) {
                synchronized (progress) {
                    while (running.get() && completed.get() < next) {
                        try {
                            progress.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
                if (!running.get()) {
                    return;
                }
                try {
                    ephemeral.update();
                    hotReplaces.incrementAndGet();
                } catch (Exception e) {
                    failures.add("hot-replace: " + e);
                }
                next = completed.get() + OPS_PER_HOT_REPLACE;
            }
        }, "hot-replace");

        long begin = System.nanoTime();
        romThread.start();
        hotThread.start();
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        running.set(false);
        synchronized (progress) {
            progress.notifyAll();
        }
        romThread.join();
        hotThread.join();
        long millis = (System.nanoTime() - begin) / 1_000_000;
        logs.forEach(history::addAll);
        history.addAll(romLog);

        // Quiescent reads of every register: each must show a write that nothing overwrote.
        List<Op> last = new ArrayList<>();
        for (String partition : List.of(Partitions.EPHEMERAL, Partitions.RUNTIME)) {
            for (int k = 0; k < KEYS; k++) {
                String key = key(partition, k);
                long start = System.nanoTime();
                String value = kv.lookup(key, partition).map(e -> e.value()).orElse(null);
                last.add(new Op(register(partition, key), false, value, start, System.nanoTime(), "final"));
                String tag = tag(partition, k % 2);
                start = System.nanoTime();
                String sha = images.find(tag, partition).map(i -> StressApp.sha(i.data())).orElse(null);
                last.add(new Op(register(partition, "image:" + tag), false, sha, start, System.nanoTime(), "final"));
            }
        }
        history.addAll(last);

        List<String> violations = check(history);
        long reads = history.stream().filter(op -> !op.write()).count();
        System.out.println("concurrency: threads=" + THREADS + " ops=" + completed.get() + " reads-checked=" + reads
                + " writes=" + (history.size() - reads) + " rom-replaces=" + romReplaces.get() + " hot-replaces="
                + hotReplaces.get() + " failures=" + failures.size() + " violations=" + violations.size() + " ms=" + millis);
        assertTrue("failed operations (seed " + seed + "): " + failures.stream().limit(10).toList(), failures.isEmpty());
        assertTrue("violations (seed " + seed + "):\n" + String.join("\n", violations.subList(0, Math.min(20, violations.size()))),
                violations.isEmpty());
        assertTrue("the ROM was replaced under load", romReplaces.get() > 0);
        assertTrue("the ephemeral bundle was replaced under load", hotReplaces.get() > 0);
        assertTrue(ephemeral.getState() == Bundle.ACTIVE);
    }

    /** A key of one partition only, so that a read through the lookup order reads that partition's register. */
    private static String key(String partition, int k) {
        return partition + "-k" + k;
    }

    private static String tag(String partition, int t) {
        return partition + "-i" + t;
    }

    private static String register(String partition, String name) {
        return partition + "/" + name;
    }

    /** One random operation of a worker, appended to its log with its interval. */
    private static void operate(KvStore kv, ImageStore images, Random random, String id, List<Op> log) {
        String partition = random.nextBoolean() ? Partitions.EPHEMERAL : Partitions.RUNTIME;
        int choice = random.nextInt(100);
        long start = System.nanoTime();
        if (choice < 22) {
            String key = key(partition, random.nextInt(KEYS));
            String value = id + ":" + "v".repeat(random.nextInt(100));
            kv.put(key, value, partition);
            log.add(new Op(register(partition, key), true, value, start, System.nanoTime(), id));
        } else if (choice < 37) {
            // Through the lookup order: a key lives in one partition only, so get() reads its register.
            String key = key(partition, random.nextInt(KEYS));
            String value = kv.get(key);
            log.add(new Op(register(partition, key), false, value.isEmpty() ? null : value, start, System.nanoTime(), id));
        } else if (choice < 47) {
            String key = key(partition, random.nextInt(KEYS));
            String value = kv.lookup(key, partition).map(e -> e.value()).orElse(null);
            log.add(new Op(register(partition, key), false, value, start, System.nanoTime(), id));
        } else if (choice < 52) {
            String key = StressApp.romKey(random.nextInt(ROM_KEYS));
            String value = kv.get(key);
            log.add(new Op(register(Partitions.ROM, key), false, value.isEmpty() ? null : value, start, System.nanoTime(), id));
        } else if (choice < 58) {
            String key = key(partition, random.nextInt(KEYS));
            kv.remove(key, partition);
            log.add(new Op(register(partition, key), true, null, start, System.nanoTime(), id));
        } else if (choice < 68) {
            Map<String, String> changes = new LinkedHashMap<>();
            int size = 2 + random.nextInt(3);
            while (changes.size() < size) {
                String key = key(partition, random.nextInt(KEYS));
                changes.put(key, random.nextInt(4) == 0 ? null : id + ":" + key);
            }
            KvBatch batch = kv.batch(partition);
            changes.forEach((key, value) -> {
                if (value == null) {
                    batch.remove(key);
                } else {
                    batch.put(key, value);
                }
            });
            start = System.nanoTime();
            batch.commit();
            long end = System.nanoTime();
            for (Map.Entry<String, String> change : changes.entrySet()) {
                log.add(new Op(register(partition, change.getKey()), true, change.getValue(), start, end, id));
            }
        } else if (choice < 76) {
            String tag = tag(partition, random.nextInt(2));
            byte[] png = StressApp.png(IMAGE_IDS.incrementAndGet(), 1 + random.nextInt(600));
            String sha = StressApp.sha(png);
            start = System.nanoTime();
            images.put(tag, png, ImageType.PNG, partition);
            log.add(new Op(register(partition, "image:" + tag), true, sha, start, System.nanoTime(), id));
        } else if (choice < 84) {
            String tag = tag(partition, random.nextInt(2));
            String sha = images.find(tag, partition).map(i -> StressApp.sha(i.data())).orElse(null);
            log.add(new Op(register(partition, "image:" + tag), false, sha, start, System.nanoTime(), id));
        } else {
            // A token is a read at the moment it is issued: opened later, it yields exactly those bytes or is stale.
            boolean fromRom = random.nextInt(3) == 0;
            String tag = fromRom ? "splash" : tag(partition, random.nextInt(2));
            String register = register(fromRom ? Partitions.ROM : partition, "image:" + tag);
            ImageToken token;
            try {
                token = images.getToken(tag);
            } catch (datastore.EntryNotFoundException absent) {
                log.add(new Op(register, false, null, start, System.nanoTime(), id));
                return;
            }
            long end = System.nanoTime();
            try (ImageView view = images.open(token)) {
                log.add(new Op(register, false, StressApp.sha(view.bytes()), start, end, id));
            } catch (StaleTokenException stale) {
                // Allowed: the image changed after the token was issued.
            }
        }
    }

    /** Replaces the ROM store with generation {@code gen}: its keys, its splash image and its code name it. */
    private static void replaceRom(RomProvisioning rom, int gen, List<Op> log) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int k = 0; k < ROM_KEYS; k++) {
            values.put(StressApp.romKey(k), "g" + gen + "." + k + ":" + "r".repeat(gen % 50));
        }
        byte[] png = StressApp.png(-gen, 1 + gen % 500);
        RomContent content = new RomContent(("print('generation " + gen + "')").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                values, Map.of("splash", new RomContent.RomImage(ImageType.PNG, png)));
        long start = System.nanoTime();
        rom.replace(content);
        long end = System.nanoTime();
        values.forEach((key, value) -> log.add(new Op(register(Partitions.ROM, key), true, value, start, end, "rom-" + gen)));
        log.add(new Op(register(Partitions.ROM, "image:splash"), true, StressApp.sha(png), start, end, "rom-" + gen));
    }

    /**
     * Checks each register's history for a register with unique written values (removals all write
     * "absent", and every register starts absent): the conditions a linearizable history must meet.
     */
    static List<String> check(List<Op> all) {
        Map<String, List<Op>> byRegister = new HashMap<>();
        for (Op op : all) {
            byRegister.computeIfAbsent(op.register(), r -> new ArrayList<>()).add(op);
        }
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, List<Op>> entry : byRegister.entrySet()) {
            List<Op> writes = new ArrayList<>();
            writes.add(new Op(entry.getKey(), true, null, Long.MIN_VALUE, Long.MIN_VALUE, "initial"));
            List<Op> reads = new ArrayList<>();
            for (Op op : entry.getValue()) {
                (op.write() ? writes : reads).add(op);
            }
            Map<String, Op> writer = new HashMap<>();
            for (Op write : writes) {
                if (write.value() != null && writer.put(write.value(), write) != null) {
                    violations.add(entry.getKey() + ": value written twice, the test's fault: " + write.value());
                }
            }
            // For each read, the write it read from (null for an absent value, which many writes make).
            Map<Op, Op> readFrom = new HashMap<>();
            for (Op read : reads) {
                List<Op> candidates = new ArrayList<>();
                for (Op write : writes) {
                    if (java.util.Objects.equals(write.value(), read.value())) {
                        candidates.add(write);
                    }
                }
                if (candidates.isEmpty()) {
                    violations.add(entry.getKey() + ": " + describe(read) + " returned a value never written");
                    continue;
                }
                candidates.removeIf(write -> write.start() > read.end());
                if (candidates.isEmpty()) {
                    violations.add(entry.getKey() + ": " + describe(read) + " returned a value written only after it returned");
                    continue;
                }
                Op fresh = null;
                for (Op write : candidates) {
                    boolean overwritten = false;
                    for (Op later : writes) {
                        if (later != write && later.start() > write.end() && later.end() < read.start()) {
                            overwritten = true;
                            break;
                        }
                    }
                    if (!overwritten) {
                        fresh = write;
                        break;
                    }
                }
                if (fresh == null) {
                    violations.add(entry.getKey() + ": " + describe(read) + " returned a value overwritten before it began"
                            + " (lost update or stale read)");
                    continue;
                }
                if (read.value() != null) {
                    readFrom.put(read, fresh);
                }
            }
            // Two reads in real-time order must not see two writes in the opposite real-time order.
            List<Op> ordered = new ArrayList<>(readFrom.keySet());
            ordered.sort(Comparator.comparingLong(Op::start));
            for (int i = 0; i < ordered.size(); i++) {
                Op first = ordered.get(i);
                Op firstWrite = readFrom.get(first);
                for (int j = i + 1; j < ordered.size(); j++) {
                    Op second = ordered.get(j);
                    if (second.start() <= first.end()) {
                        continue;
                    }
                    Op secondWrite = readFrom.get(second);
                    if (secondWrite.end() < firstWrite.start()) {
                        violations.add(entry.getKey() + ": " + describe(first) + " then " + describe(second)
                                + " saw the writes in reverse order");
                    }
                }
            }
        }
        return violations;
    }

    private static String describe(Op op) {
        String value = op.value() == null ? "(absent)" : op.value().length() > 30 ? op.value().substring(0, 30) + "..." : op.value();
        return (op.write() ? "write " : "read ") + op.thread() + " [" + op.start() + ".." + op.end() + "] " + value;
    }
}
