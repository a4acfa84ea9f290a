package datastore.device;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.flashtable.EraseCountFormat;

/**
 * A NOR flash device held in a memory-mapped file (or on the heap, for tests): erasing a block sets
 * it to {@code 0xFF} and counts the erase, programming ANDs bytes into the flash so it can only
 * clear bits, and programs must be aligned to the program size. The file is the raw image, exactly
 * {@code size} bytes, created erased; the per-block erase counts live in a sidecar file
 * {@code <file>.wear} ({@link EraseCountFile}: checksummed, in two copies), so the image stays a plain
 * dump of the chip. The counts are housekeeping: whatever state the sidecar is in, the flash opens
 * and serves its data, with a warning when counts had to be rebuilt or estimated.
 * The device is at most 2 GiB because it is one mapping; the file is locked while open so two
 * processes cannot program it at once. Reads and {@link FlashRegion#map() map} views are not
 * synchronized with programs (the engine orders its own reads and writes, as on a real chip);
 * programs, erases and corruption are serialized on the device. A sync forces only the bytes
 * changed since the last sync, and the erase counts only when a block was erased since then.
 * Its regions are {@link NorFlashRegion} windows, which check each call against their bounds.
 */
public final class NorFlash implements Closeable {
    private static final System.Logger LOG = System.getLogger(NorFlash.class.getName());
    static final String WEAR_SUFFIX = EraseCountFormat.WEAR_SUFFIX;

    private final String description;
    private final FlashGeometry geometry;
    /** The whole device; only absolute gets and puts are used on it, so it is shared freely. */
    private final ByteBuffer data;
    /** Erase counts per device block, the authority while open; the sidecar follows them. */
    private final long[] counts;
    /** The sidecar of a file; null in memory. */
    private final EraseCountFile wearFile;
    private final FileChannel channel;
    private final FileLock lock;
    /** An erased block, written by every erase; never changed. */
    private final byte[] erasedBlock;
    private volatile boolean closed;
    /**
     * The device byte range {@code [dirtyFrom, dirtyTo)} changed since the last sync, empty when
     * {@code dirtyFrom >= dirtyTo}. One range is enough: a sync is one fdatasync, which writes just
     * the file's dirty pages, so the range only has to say whether there is anything to force.
     */
    private int dirtyFrom = Integer.MAX_VALUE;
    private int dirtyTo;
    /** Whether an erase changed a count since the last sync. */
    private boolean wearDirty;
    /** Told of every flush to the files, for tests; null otherwise. */
    SyncListener syncListener;

    private NorFlash(String description, FlashGeometry geometry, ByteBuffer data, long[] counts,
            EraseCountFile wearFile, FileChannel channel, FileLock lock) {
        this.description = description;
        this.geometry = geometry;
        this.data = data;
        this.counts = counts;
        this.wearFile = wearFile;
        this.channel = channel;
        this.lock = lock;
        this.erasedBlock = new byte[geometry.eraseBlockSize()];
        Arrays.fill(erasedBlock, (byte) 0xFF);
    }

    /**
     * Opens the flash image at {@code file}, creating it erased (all {@code 0xFF}) with zero erase
     * counts when it does not exist. Parent folders are created. An existing image of another size is
     * refused with an {@link IOException} naming both sizes, and nothing is changed. The erase-count
     * file never stops the flash from opening: when it is missing, short, garbage, damaged, of the
     * older format or of another erase block size, the counts are recovered as far as they can be
     * and estimated upwards where they cannot (see {@link EraseCountFile}), a warning is logged, and
     * the file is rewritten at the next erase; a file of a newer format is left as it is.
     *
     * @throws IllegalArgumentException if the geometry is invalid (see {@link #inMemory})
     * @throws IOException if the file cannot be created, mapped or locked, or does not match
     */
    public static NorFlash open(Path file, long size, int eraseBlockSize, int programSize) throws IOException {
        Objects.requireNonNull(file, "file");
        FlashGeometry geometry = checkGeometry(size, eraseBlockSize, programSize);
        Path image = file.toAbsolutePath();
        Path wearPath = image.resolveSibling(image.getFileName() + WEAR_SUFFIX);
        if (image.getParent() != null && !Files.isDirectory(image.getParent())) {
            Files.createDirectories(image.getParent(), ownerOnlyFolder());
        }
        boolean created = false;
        if (!Files.exists(image)) {
            createErased(image, size);
            created = true;
        }
        FileChannel channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        EraseCountFile wearFile = null;
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IOException("flash file " + image + " is already open");
            }
            long actual = channel.size();
            if (actual != size) {
                throw new IOException("flash file " + image + " is " + actual + " bytes, but the configured flash size is "
                        + size + " bytes");
            }
            long[] counts = new long[geometry.blocks()];
            wearFile = EraseCountFile.open(wearPath, geometry, counts, created);
            if (wearFile.problem() != null) {
                LOG.log(System.Logger.Level.WARNING, "erase-count file " + wearPath + " " + wearFile.problem()
                        + "; the flash " + image + " is served as usual");
            }
            MappedByteBuffer data = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            return new NorFlash(image.toString(), geometry, data, counts, wearFile, channel, lock);
        } catch (IOException | RuntimeException e) {
            closeQuietly(wearFile, e);
            closeQuietly(channel, e);
            throw e;
        }
    }

    /**
     * A heap-backed device with the same semantics as a file, created erased; for fast tests.
     *
     * @throws IllegalArgumentException if the erase block size is not a power of two, the program
     *         size is not a power of two no larger than the erase block, or the size is not a positive
     *         multiple of the erase block of at most 2 GiB
     */
    public static NorFlash inMemory(long size, int eraseBlockSize, int programSize) {
        FlashGeometry geometry = checkGeometry(size, eraseBlockSize, programSize);
        ByteBuffer data = ByteBuffer.allocate((int) size);
        Arrays.fill(data.array(), (byte) 0xFF);
        return new NorFlash("in-memory flash", geometry, data, new long[geometry.blocks()], null, null, null);
    }

    /** The whole device's geometry. */
    public FlashGeometry geometry() {
        return geometry;
    }

    /**
     * A view of {@code [offset, offset + size)} of this device as a flash region named {@code name};
     * its offsets and block numbers are relative to the region and it cannot touch anything outside.
     * Regions are views: several may be taken over the same bytes, and they stop working when the
     * device is closed.
     *
     * @throws IllegalArgumentException if the name is empty, or the range is empty, not aligned to the
     *         erase block or not inside the device
     */
    public FlashRegion region(String name, long offset, long size) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a flash region needs a name");
        }
        int block = geometry.eraseBlockSize();
        if (offset < 0 || size <= 0 || offset % block != 0 || size % block != 0) {
            throw new IllegalArgumentException("region " + name + " [" + hex(offset) + ", " + hex(offset + size)
                    + ") must be a non-empty range aligned to the erase block size " + hex(block));
        }
        if (offset > geometry.size() || size > geometry.size() - offset) {
            throw new IllegalArgumentException("region " + name + " [" + hex(offset) + ", " + hex(offset + size)
                    + ") does not fit the flash of " + hex(geometry.size()) + " bytes");
        }
        return new NorFlashRegion(this, name, offset, new FlashGeometry(size, block, geometry.programSize()));
    }

    /**
     * Flips the bits of {@code xorMask} in the byte at device {@code offset}, ignoring the NOR rules,
     * to simulate bit rot in tests.
     *
     * @throws IllegalArgumentException if the offset is outside the device
     */
    public synchronized void corrupt(long offset, byte xorMask) throws IOException {
        checkOpen();
        if (offset < 0 || offset >= geometry.size()) {
            throw new IllegalArgumentException("corrupt offset " + offset + " is outside the flash of "
                    + geometry.size() + " bytes");
        }
        int i = (int) offset;
        store(i, ByteBuffer.wrap(new byte[] {(byte) (data.get(i) ^ xorMask)}));
    }

    /**
     * How many times device block {@code block} has been erased over the device's life.
     *
     * @throws IllegalArgumentException if there is no such block
     */
    public synchronized long eraseCount(int block) throws IOException {
        checkOpen();
        checkBlock(block, geometry.blocks(), description);
        return counts[block];
    }

    /** What was wrong with the erase-count file when the device opened, or null; for tests. */
    String eraseCountProblem() {
        return wearFile == null ? null : wearFile.problem();
    }

    /**
     * Makes everything programmed and erased durable on the file (nothing to do in memory); returns
     * at once when nothing changed since the last sync.
     */
    public synchronized void sync() throws IOException {
        checkOpen();
        flush();
    }

    /**
     * Forces outstanding writes to the file, releases the lock and closes it; later operations on
     * the device and its regions throw an {@link IOException}. Closing twice does nothing.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (channel == null) {
            return;
        }
        try {
            flush();
        } finally {
            try {
                wearFile.close();
            } finally {
                // Closing the channel releases the lock. The mappings stay valid until collected
                // (Java cannot unmap), which keeps views already handed out readable.
                channel.close();
            }
        }
    }

    @Override
    public String toString() {
        return "NorFlash[" + description + ", " + geometry + "]";
    }

    /**
     * Writes {@code bytes} (position to limit) at device offset {@code at} and records them as dirty;
     * called holding the device lock. A file is written with positional writes, not through the
     * mapping: after a sync the kernel write-protects the synced pages, and the next store through
     * the mapping then takes a page fault that waits for the page's writeback (about 90 us a program
     * on ext4), while a write is a copy. The mapping shares the page cache with the file, so reads
     * and {@link FlashRegion#map() map} views see the written bytes at once.
     */
    private void store(int at, ByteBuffer bytes) throws IOException {
        int length = bytes.remaining();
        if (length == 0) {
            return;
        }
        if (channel == null) {
            data.put(at, bytes, bytes.position(), length);
        } else {
            for (long position = at; bytes.hasRemaining();) {
                position += channel.write(bytes, position);
            }
        }
        dirtyFrom = Math.min(dirtyFrom, at);
        dirtyTo = Math.max(dirtyTo, at + length);
    }

    /**
     * Forces the bytes changed since the last sync, then the erase counts if an erase changed them;
     * called holding the device lock. The data goes first, so a power cut in between loses at most
     * the latest erase-count increments: the counts are advisory wear data for levelling, and an
     * undercount by the erases of one sync does not matter, while the flash contents must not be
     * older than the engine was told. The ranges stay dirty if a force fails, so the next sync
     * retries them.
     */
    private void flush() throws IOException {
        if (channel == null) {
            return;
        }
        if (dirtyFrom < dirtyTo) {
            int length = dirtyTo - dirtyFrom;
            // fdatasync: it writes only the file's dirty pages, which are exactly this range, and
            // skips the metadata (the image never changes size). Measured no slower than an msync
            // of the range, and it pairs with the positional writes of store.
            channel.force(false);
            if (syncListener != null) {
                syncListener.dataForced(dirtyFrom, length);
            }
            dirtyFrom = Integer.MAX_VALUE;
            dirtyTo = 0;
        }
        if (wearDirty) {
            wearFile.force();
            if (syncListener != null) {
                syncListener.wearForced();
            }
            wearDirty = false;
        }
    }

    /** What the device is, for messages: its file, or that it is in memory. */
    String description() {
        return description;
    }

    /** A read-only view of device bytes {@code [at, at + size)}, sharing the device's memory. */
    ByteBuffer readOnlyView(int at, int size) {
        return data.slice(at, size).asReadOnlyBuffer();
    }

    /** Fills {@code dst} from device offset {@code at}; the caller has checked the range. */
    void read(int at, ByteBuffer dst) {
        dst.put(data.slice(at, dst.remaining()));
    }

    /**
     * ANDs the bytes of {@code src} (position to limit, left unmoved) into the device at {@code at};
     * the caller has checked the alignment and the range.
     */
    void program(int at, ByteBuffer src) throws IOException {
        int length = src.remaining();
        // Same byte order on both sides, so ANDing longs is ANDing bytes.
        ByteBuffer in = src.duplicate().order(data.order());
        int from = in.position();
        synchronized (this) {
            checkOpen();
            ByteBuffer out = ByteBuffer.allocate(length).order(data.order());
            int i = 0;
            for (; i + 8 <= length; i += 8) {
                out.putLong(i, data.getLong(at + i) & in.getLong(from + i));
            }
            for (; i < length; i++) {
                out.put(i, (byte) (data.get(at + i) & in.get(from + i)));
            }
            store(at, out);
        }
    }

    /** Erases device block {@code block} and counts it; the caller has checked the block. */
    synchronized void erase(int block) throws IOException {
        checkOpen();
        store(block * geometry.eraseBlockSize(), ByteBuffer.wrap(erasedBlock));
        counts[block]++;
        try {
            if (wearFile != null && wearFile.changed(counts, block)) {
                wearDirty = true;
            }
        } catch (IOException e) {
            // The block is erased; only the bookkeeping failed, and the next erase tries again.
            LOG.log(System.Logger.Level.WARNING, "cannot write the erase counts of " + description
                    + " (they stay in memory and are written at the next erase): " + e.getMessage(), e);
        }
    }

    void checkOpen() throws IOException {
        if (closed) {
            throw new IOException(description + " is closed");
        }
    }

    private static FlashGeometry checkGeometry(long size, int eraseBlockSize, int programSize) {
        if (eraseBlockSize <= 0 || Integer.bitCount(eraseBlockSize) != 1) {
            throw new IllegalArgumentException("erase block size " + eraseBlockSize + " is not a power of two");
        }
        if (programSize <= 0 || Integer.bitCount(programSize) != 1 || programSize > eraseBlockSize) {
            throw new IllegalArgumentException("program size " + programSize
                    + " is not a power of two no larger than the erase block size " + eraseBlockSize);
        }
        if (size <= 0 || size % eraseBlockSize != 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("flash size " + size + " is not a positive multiple of the erase block size "
                    + eraseBlockSize + " of at most 2 GiB");
        }
        return new FlashGeometry(size, eraseBlockSize, programSize);
    }

    /**
     * Creates a file that only its owner can read and write (on POSIX file systems), whatever the
     * umask: the flash holds every value of the dock, and the erase counts are no one else's either.
     */
    static FileChannel createOwnerOnly(Path file) throws IOException {
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return FileChannel.open(file, options, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
        }
        return FileChannel.open(file, options);
    }

    /** Owner-only permissions for folders the device creates (none on file systems without POSIX permissions). */
    static FileAttribute<?>[] ownerOnlyFolder() {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))};
        }
        return new FileAttribute<?>[0];
    }

    private static void createErased(Path image, long size) throws IOException {
        // Filled in a temporary file and moved into place, so a crash while creating never leaves
        // a full-size image that is only partly erased.
        Path tmp = image.resolveSibling(image.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel out = createOwnerOnly(tmp)) {
            ByteBuffer ones = ByteBuffer.allocate((int) Math.min(size, 1 << 20));
            Arrays.fill(ones.array(), (byte) 0xFF);
            for (long written = 0; written < size;) {
                ones.clear().limit((int) Math.min(ones.capacity(), size - written));
                written += out.write(ones, written);
            }
            out.force(true);
        }
        Files.move(tmp, image, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void closeQuietly(Closeable closeable, Exception failure) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    static void checkBlock(int block, int blocks, String where) {
        if (block < 0 || block >= blocks) {
            throw new IllegalArgumentException("block " + block + " is outside " + where + " of " + blocks + " blocks");
        }
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** Hears of each flush a sync makes to the files; a test hook. */
    interface SyncListener {
        /** Device bytes {@code [offset, offset + length)} were forced to the image file. */
        void dataForced(int offset, int length);

        /** The erase-count file was forced. */
        void wearForced();
    }
}
