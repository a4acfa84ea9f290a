package datastore.itests.stressapp;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

import datastore.Image;
import datastore.ImageStore;
import datastore.KvBatch;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Partitions;
import datastore.image.ImageType;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;
import datastore.system.ApplicationCode;
import datastore.system.ApplicationCodeStore;

/**
 * An application bundle for {@code ProcessKillIT} and {@code SoakRun}, installed into the exported
 * dock from the shell: it writes through the application API the way an application does, and
 * announces every write on standard output before it starts ({@code @@b ...@@}) and after it returned
 * ({@code @@a N@@}), so that the test, which kills the JVM at any moment, knows which writes were
 * acknowledged and which were in flight. Its Gogo commands are {@code stressapp:dump} (what the store
 * holds of the test's keys, images, ROM content and code), {@code stressapp:work SEED ROUND} (start
 * writing until stopped) and {@code stressapp:soak SEED ROUND OPS} (that many writes and reads
 * without announcing them, then {@code @@soak-done heap=BYTES@@} with the heap used after a
 * collection).
 */
public final class StressApp implements BundleActivator {

    /** The runtime keys the work writes: few, so that they are overwritten again and again. */
    public static final int KEYS = 24;
    /** The runtime image tags the work writes. */
    public static final int TAGS = 4;
    /** The ROM store keys every ROM replace of the test writes, each to its generation. */
    public static final int ROM_KEYS = 6;

    private static final long READY_TIMEOUT_MS = 60_000;
    private static final FileOutputStream STDOUT = new FileOutputStream(FileDescriptor.out);

    private BundleContext context;
    private ServiceTracker<KvStore, KvStore> kv;
    private ServiceTracker<ImageStore, ImageStore> images;
    private ServiceTracker<ApplicationCodeStore, ApplicationCodeStore> code;
    private ServiceTracker<PartitionStore, PartitionStore> partitions;
    private ServiceTracker<RefusedPartition, RefusedPartition> refused;
    private ServiceRegistration<?> commands;
    private volatile Thread worker;
    /** The names of the partition services present and refused; guarded by this. */
    private final Set<String> presentNames = new HashSet<>();
    private final Set<String> refusedNames = new HashSet<>();

    @Override
    public void start(BundleContext context) {
        this.context = context;
        kv = open(KvStore.class);
        images = open(ImageStore.class);
        code = open(ApplicationCodeStore.class);
        partitions = openNotifying(PartitionStore.class, presentNames);
        refused = openNotifying(RefusedPartition.class, refusedNames);
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("osgi.command.scope", "stressapp");
        properties.put("osgi.command.function", new String[] {"dump", "work", "soak"});
        commands = context.registerService(Object.class, new Commands(), properties);
    }

    @Override
    public void stop(BundleContext context) throws InterruptedException {
        commands.unregister();
        Thread running = worker;
        if (running != null) {
            running.interrupt();
            running.join();
        }
        for (ServiceTracker<?, ?> tracker : List.of(kv, images, code, partitions, refused)) {
            tracker.close();
        }
    }

    private <T> ServiceTracker<T, T> open(Class<T> type) {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null);
        tracker.open();
        return tracker;
    }

    /**
     * A tracker that keeps the partition names of its services in {@code names} and wakes
     * {@link #awaitReady()} whenever one comes.
     */
    private <T> ServiceTracker<T, T> openNotifying(Class<T> type, Set<String> names) {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null) {
            @Override
            public T addingService(ServiceReference<T> reference) {
                synchronized (StressApp.this) {
                    names.add(String.valueOf(reference.getProperty(PartitionStore.PARTITION)));
                    StressApp.this.notifyAll();
                }
                return super.addingService(reference);
            }

            @Override
            public void removedService(ServiceReference<T> reference, T service) {
                synchronized (StressApp.this) {
                    names.remove(String.valueOf(reference.getProperty(PartitionStore.PARTITION)));
                }
                super.removedService(reference, service);
            }
        };
        tracker.open();
        return tracker;
    }

    /**
     * Waits until the store's services are there and every partition of the dock is present or
     * refused: the moment an application may rely on its data.
     */
    private void awaitReady() throws InterruptedException {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        for (ServiceTracker<?, ?> tracker : List.of(kv, images, code)) {
            if (tracker.waitForService(Math.max(1, deadline - System.currentTimeMillis())) == null) {
                throw new IllegalStateException("no " + tracker + " within " + READY_TIMEOUT_MS + " ms");
            }
        }
        Set<String> wanted = Set.of(Partitions.EPHEMERAL, Partitions.RUNTIME, Partitions.ROM);
        synchronized (this) {
            while (!presentNames.containsAll(wanted) && refusedNames.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IllegalStateException("partitions present after " + READY_TIMEOUT_MS + " ms: " + presentNames);
                }
                wait(left);
            }
        }
    }

    /** The Gogo commands; public so that Gogo can call them by reflection. */
    public final class Commands {

        /**
         * One line per item: {@code kv KEY VALUE|-}, {@code image TAG SHA|-}, {@code romkv KEY VALUE|-},
         * {@code romimage SHA|-}, {@code code PARTITION SHA|-}, or {@code error MESSAGE}.
         */
        public String dump() throws InterruptedException {
            StringBuilder out = new StringBuilder("@@dump\n");
            try {
                awaitReady();
                for (RefusedPartition refusal : refused.getServices(new RefusedPartition[0])) {
                    out.append("error refused ").append(refusal.name()).append(": ").append(refusal.reason()).append('\n');
                }
                KvStore store = kv.getService();
                ImageStore imageStore = images.getService();
                for (int k = 0; k < KEYS; k++) {
                    Optional<KvEntry> entry = store.lookup(key(k), Partitions.RUNTIME);
                    out.append("kv ").append(key(k)).append(' ').append(entry.map(KvEntry::value).orElse("-")).append('\n');
                }
                for (int t = 0; t < TAGS; t++) {
                    Optional<Image> image = imageStore.find(tag(t), Partitions.RUNTIME);
                    out.append("image ").append(tag(t)).append(' ').append(image.map(i -> sha(i.data())).orElse("-")).append('\n');
                }
                for (int k = 0; k < ROM_KEYS; k++) {
                    Optional<KvEntry> entry = store.lookup(romKey(k), Partitions.ROM);
                    out.append("romkv ").append(romKey(k)).append(' ').append(entry.map(KvEntry::value).orElse("-")).append('\n');
                }
                out.append("romimage ").append(imageStore.find("splash", Partitions.ROM).map(i -> sha(i.data())).orElse("-")).append('\n');
                Optional<ApplicationCode> current = code.getService().current();
                out.append("code ").append(current.map(c -> c.partition() + " " + sha(c.source())).orElse("- -")).append('\n');
            } catch (RuntimeException e) {
                out.append("error ").append(e.toString().replace('\n', ' ')).append('\n');
            }
            return out.append("@@end").toString();
        }

        /** Starts writing in a thread of its own, with the ops drawn from {@code seed}, until stopped. */
        public String work(long seed, int round) {
            if (worker != null) {
                return "already working";
            }
            Thread thread = new Thread(() -> write(new Random(seed), round, Long.MAX_VALUE, true), "stressapp-work");
            worker = thread;
            thread.start();
            return "working";
        }

        /** Runs {@code ops} operations (a fifth of them reads) in a thread of its own, then reports the heap. */
        public String soak(long seed, int round, long ops) {
            if (worker != null) {
                return "already working";
            }
            Thread thread = new Thread(() -> {
                try {
                    awaitReady();
                } catch (InterruptedException e) {
                    return;
                }
                long done = write(new Random(seed), round, ops, false);
                announce("soak-done ops=" + done + " heap=" + heapAfterCollection());
            }, "stressapp-soak");
            worker = thread;
            thread.start();
            return "soaking";
        }
    }

    /** The heap in use after full collections, in bytes: what the dock keeps, not what it has not yet freed. */
    private static long heapAfterCollection() {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            memory.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /**
     * Writes until {@code ops} operations are done, the thread is interrupted or a write fails;
     * announces each write if asked, and otherwise mixes in reads.
     *
     * @return the operations done
     */
    private long write(Random random, int round, long ops, boolean announcing) {
        KvStore store = kv.getService();
        ImageStore imageStore = images.getService();
        for (long op = 0; op < ops; op++) {
            if (Thread.currentThread().isInterrupted()) {
                return op;
            }
            if (!announcing && random.nextInt(5) == 0) {
                store.get(key(random.nextInt(KEYS)));
                imageStore.find(tag(random.nextInt(TAGS)));
                continue;
            }
            String value = "r" + round + "." + op + ":" + "x".repeat(random.nextInt(random.nextInt(8) == 0 ? 3000 : 200));
            int kind = random.nextInt(100);
            try {
                if (kind < 45) {
                    String key = key(random.nextInt(KEYS));
                    note(announcing, "b " + op + " put " + key + " " + value);
                    store.put(key, value, Partitions.RUNTIME);
                } else if (kind < 65) {
                    KvBatch batch = store.batch(Partitions.RUNTIME);
                    StringBuilder line = new StringBuilder("b " + op + " batch");
                    Set<String> keys = new HashSet<>();
                    int size = 2 + random.nextInt(6);
                    while (keys.size() < size) {
                        String key = key(random.nextInt(KEYS));
                        if (!keys.add(key)) {
                            continue;
                        }
                        if (random.nextInt(5) == 0) {
                            batch.remove(key);
                            line.append(' ').append(key).append(" -");
                        } else {
                            batch.put(key, value);
                            line.append(' ').append(key).append(' ').append(value);
                        }
                    }
                    note(announcing, line.toString());
                    batch.commit();
                } else if (kind < 75) {
                    String key = key(random.nextInt(KEYS));
                    note(announcing, "b " + op + " remove " + key);
                    store.remove(key, Partitions.RUNTIME);
                } else if (kind < 90) {
                    String tag = tag(random.nextInt(TAGS));
                    byte[] png = png(round * 1_000_000L + op, 1 + random.nextInt(random.nextInt(6) == 0 ? 20_000 : 400));
                    note(announcing, "b " + op + " image " + tag + " " + sha(ByteBuffer.wrap(png)));
                    imageStore.put(tag, png, ImageType.PNG, Partitions.RUNTIME);
                } else {
                    // Load on the ephemeral partition, which a restart empties anyway.
                    String key = key(random.nextInt(KEYS));
                    note(announcing, "b " + op + " ephemeral " + key);
                    store.put(key, value, Partitions.EPHEMERAL);
                }
                note(announcing, "a " + op);
            } catch (RuntimeException e) {
                announce("f " + op + " " + e.toString().replace('\n', ' '));
                return op;
            }
        }
        return ops;
    }

    private static void note(boolean announcing, String line) {
        if (announcing) {
            announce(line);
        }
    }

    /**
     * One line on the process's standard output, written with one system call straight to the file
     * descriptor: it is in the test's pipe before this returns, whatever buffering {@code System.out}
     * has in the framework, so a kill right after cannot lose it.
     */
    private static void announce(String line) {
        byte[] bytes = ("@@" + line + "@@\n").getBytes(StandardCharsets.UTF_8);
        synchronized (STDOUT) {
            try {
                STDOUT.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static String key(int k) {
        return String.format("k%02d", k);
    }

    public static String tag(int t) {
        return "i" + t;
    }

    public static String romKey(int k) {
        return "rk" + k;
    }

    public static String sha(ByteBuffer data) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(data.duplicate());
            StringBuilder hex = new StringBuilder();
            for (byte b : digest.digest()) {
                hex.append(String.format("%02x", b));
            }
            return hex.substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha(byte[] data) {
        return sha(ByteBuffer.wrap(data));
    }

    /**
     * A valid grey-scale PNG of at least {@code minimumWidth} x 1 pixels whose pixels spell {@code id}, so that every
     * write of the test stores bytes no other write stores.
     */
    public static byte[] png(long id, int minimumWidth) {
        byte[] idBytes = Long.toString(id).getBytes(StandardCharsets.US_ASCII);
        // Never narrower than the id, or two ids could share their pixels.
        int width = Math.max(minimumWidth, idBytes.length);
        byte[] row = new byte[1 + width];
        for (int i = 1; i < row.length; i++) {
            row[i] = i <= idBytes.length ? idBytes[i - 1] : (byte) (i * 31 + id);
        }
        Deflater deflater = new Deflater();
        deflater.setInput(row);
        deflater.finish();
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (!deflater.finished()) {
            compressed.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(1).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(png, "IHDR", header.array());
        chunk(png, "IDAT", compressed.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
