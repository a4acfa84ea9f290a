package datastore.romtool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import datastore.flashtable.FlashTableImage;
import datastore.romformat.RomImage;
import datastore.romformat.RomImageBuilder;
import datastore.romformat.RomImageException;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;
import datastore.romformat.RomStore;
import datastore.spi.RomContent;

/**
 * Builds the flash images of a list of docks: the shared image once (partition table, the ROM with the
 * application image committed in slot 0 and its unique-per-dock section erased, the runtime region and
 * everything else erased), mounted with the dock's own code before anything else is written, then for
 * every dock, in parallel, its unique-per-dock (UPD) image (bound to the dock's id and signed when a key
 * is given, and read back), the SHA-256 of its complete flash and, with
 * {@code full}, that complete flash file; last the manifest. Everything goes to a staging folder beside
 * the output folder, which is renamed into place only when all of it is written, so an interrupted or
 * failed build leaves no output at all.
 */
final class FlashBuild {
    static final String SHARED = "shared.img";
    static final String MANIFEST = "manifest.json";
    static final String UPD_FOLDER = "upd";
    static final String FLASH_FOLDER = "flash";

    /** What was built for one dock. */
    record DockImage(DockList.Dock dock, String updFile, int updLength, String updSha256, String flashSha256,
            String flashFile) {
    }

    /** Told how far the build is. */
    interface Progress {
        void update(int done, int total);
    }

    private final FlashPlan plan;
    private final RomImageBuilder builder;
    private final RomContent app;
    private final List<DockList.Dock> docks;
    private final PrivateKey key;
    private final long generation;
    private volatile boolean cancelled;
    private volatile Path staging;
    /** Counted down when {@link #run} has returned or thrown, its staging folder gone. */
    private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);

    /**
     * @param key the signing key, or null for unsigned images
     * @param generation the signed generation (with a key)
     */
    FlashBuild(FlashPlan plan, RomImageBuilder builder, RomContent app, List<DockList.Dock> docks, PrivateKey key,
            long generation) {
        this.plan = plan;
        this.builder = builder;
        this.app = app;
        this.docks = docks;
        this.key = key;
        this.generation = generation;
    }

    /** Where the dock's UPD image goes on the device: the section's first half and its copy. */
    long[] updOffsets() {
        RomLayout layout = plan.romLayout();
        long base = plan.rom().offset();
        return new long[] {base + layout.updOffset(), base + layout.updCopyOffset()};
    }

    /** The shared image: every byte but the unique-per-dock section's. */
    byte[] sharedImage() {
        byte[] flash = new byte[(int) plan.geometry().size()];
        Arrays.fill(flash, (byte) 0xFF);
        byte[] rom = builder.buildFlash(app, null, key, plan.rom().offset(), key == null ? -1 : generation, null);
        System.arraycopy(rom, 0, flash, (int) plan.rom().offset(), rom.length);
        FlashTableImage.write(plan.table(), flash);
        return flash;
    }

    /**
     * The dock's UPD image, bound to its id and signed when there is a key, and read back as the dock reads
     * it: every page's hash, and the id it is bound to.
     */
    byte[] updImage(DockList.Dock dock) {
        byte[] image = builder.buildUpd(dock.upd());
        if (key != null) {
            image = RomImageFormat.sign(RomImageFormat.bind(image, generation, dock.id()), key);
        }
        List<String> problems;
        try {
            RomImage read = RomImage.read(ByteBuffer.wrap(image), 0, image.length, RomImageFormat.KIND_UPD);
            problems = new ArrayList<>(read.verifyAll());
            if (key != null && !(read.bound() && read.dockId().equals(dock.id()))) {
                problems.add("bound to \"" + read.dockId() + "\"");
            }
        } catch (RomImageException e) {
            problems = List.of(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the unique-per-dock image of dock " + dock.id() + " does not read back: "
                    + String.join("; ", problems));
        }
        return image;
    }

    /**
     * Mounts the shared image's ROM region with the dock's own code and hashes every page, so a build
     * whose shared image a dock would not serve in full stops before any dock is built.
     */
    private void checkShared(byte[] shared) throws IOException {
        FlashTableImage.Region rom = plan.rom();
        ImageFileRegion region = ImageFileRegion.of(Path.of(SHARED), ByteBuffer.wrap(shared).asReadOnlyBuffer(),
                rom.name(), rom.offset(), rom.size(), plan.geometry().eraseBlockSize(), plan.geometry().programSize());
        Optional<String> refusal = RomStore.refusal(region);
        if (refusal.isPresent()) {
            throw new IllegalStateException("the shared image's ROM region is refused: " + refusal.get());
        }
        RomStore store = new RomStore(region, plan.romPromise(), List.of(), null, null, Duration.ZERO);
        List<String> problems = new ArrayList<>(store.verifyAll());
        store.info().problem().ifPresent(problems::add);
        if (store.info().sha256().isEmpty()) {
            problems.add("no application image is served");
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the shared image does not mount as a dock mounts it: "
                    + String.join("; ", problems));
        }
    }

    /**
     * Builds everything into {@code out}, which must not exist or be empty.
     *
     * @return what was built per dock, in the order of the list
     * @throws InterruptedException if {@link #cancel()} stopped it; nothing is left behind
     */
    List<DockImage> run(Path out, int jobs, boolean full, Progress progress) throws IOException, InterruptedException {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && (!Files.isDirectory(target) || !isEmpty(target))) {
            throw new IOException(target + " exists and is not an empty folder; give a new folder for the build");
        }
        try {
            Files.createDirectories(target.getParent());
            staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".partial-");
            List<DockImage> images = build(staging, jobs, full, progress);
            if (Files.exists(target)) {
                Files.delete(target);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            staging = null;
            return images;
        } finally {
            deleteStaging();
            finished.countDown();
        }
    }

    /**
     * Stops a running build and waits (at most 60 s) until it has: docks not started are skipped, the ones
     * being written are finished, the staging folder is deleted, and {@link #run} throws
     * {@link InterruptedException}. For a shutdown hook: after it returns, nothing of the build is left.
     */
    void cancel() {
        cancelled = true;
        try {
            finished.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deleteStaging() {
        Path folder = staging;
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("could not delete the partial build " + folder + ": " + e.getMessage());
        }
        staging = null;
    }

    private List<DockImage> build(Path folder, int jobs, boolean full, Progress progress)
            throws IOException, InterruptedException {
        byte[] shared = sharedImage();
        checkShared(shared);
        write(folder.resolve(SHARED), ByteBuffer.wrap(shared));
        Files.createDirectories(folder.resolve(UPD_FOLDER));
        if (full) {
            Files.createDirectories(folder.resolve(FLASH_FOLDER));
        }
        RomLayout layout = plan.romLayout();
        long[] offsets = updOffsets();
        int sectionStart = (int) offsets[0];
        int sectionLength = (int) layout.updSize();
        int copyAt = (int) (offsets[1] - offsets[0]);
        int sectionEnd = sectionStart + sectionLength;
        MessageDigest prefix = sha256();
        prefix.update(shared, 0, sectionStart);
        ThreadLocal<byte[]> sections = ThreadLocal.withInitial(() -> new byte[sectionLength]);

        DockImage[] images = new DockImage[docks.size()];
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, jobs), runnable -> {
            Thread thread = new Thread(runnable, "flash-build");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < docks.size(); i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    if (cancelled) {
                        return null;
                    }
                    DockList.Dock dock = docks.get(index);
                    byte[] upd = updImage(dock);
                    String updName = UPD_FOLDER + "/" + dock.id() + ".upd";
                    write(folder.resolve(updName), ByteBuffer.wrap(upd));
                    byte[] section = sections.get();
                    System.arraycopy(shared, sectionStart, section, 0, sectionLength);
                    System.arraycopy(upd, 0, section, 0, upd.length);
                    System.arraycopy(upd, 0, section, copyAt, upd.length);
                    MessageDigest flash = (MessageDigest) prefix.clone();
                    flash.update(section);
                    flash.update(shared, sectionEnd, shared.length - sectionEnd);
                    String flashName = null;
                    if (full) {
                        flashName = FLASH_FOLDER + "/" + dock.id() + ".img";
                        write(folder.resolve(flashName), ByteBuffer.wrap(shared, 0, sectionStart),
                                ByteBuffer.wrap(section), ByteBuffer.wrap(shared, sectionEnd, shared.length - sectionEnd));
                    }
                    images[index] = new DockImage(dock, updName, upd.length, hex(sha256().digest(upd)),
                            hex(flash.digest()), flashName);
                    progress.update(done.incrementAndGet(), docks.size());
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    cancelled = true; // the docks not started yet are skipped
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    if (cause instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new IOException(cause);
                }
            }
        } finally {
            // No worker may still write into the staging folder once it is deleted.
            pool.shutdown();
            if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        }
        if (cancelled) {
            throw new InterruptedException("the build was interrupted");
        }
        List<DockImage> result = List.of(images);
        write(folder.resolve(MANIFEST), ByteBuffer.wrap(FlashManifest.encode(plan, hex(sha256().digest(shared)), offsets,
                layout, key != null, generation, result)));
        return result;
    }

    /** Writes the buffers to {@code file}, created new, owner-only. */
    static void write(Path file, ByteBuffer... buffers) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (ByteBuffer buffer : buffers) {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        }
    }

    private static boolean isEmpty(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.findAny().isEmpty();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
