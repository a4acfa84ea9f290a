package datastore.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.SplittableRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/** The workloads' data: names, values, images, and the scratch folders they are stored in. */
final class Data {
    /** Keys per store in the small-get workload, as the issue sets it. */
    static final int KEYS = 100_000;
    /** Bytes of a small value. */
    static final int VALUE_BYTES = 100;
    static final long MIB = 1024 * 1024;

    /** The engines log each mount and partition binding at INFO; a benchmark wants none of that. */
    private static final Logger QUIET = Logger.getLogger("");

    private Data() {
    }

    static void quietLogs() {
        QUIET.setLevel(Level.WARNING);
        for (var handler : QUIET.getHandlers()) {
            handler.setLevel(Level.WARNING);
        }
    }

    /** The name of key {@code i} with a three-letter prefix: always 10 UTF-8 bytes, such as {@code rom-004711}. */
    static String key(String prefix, int i) {
        return prefix + "-" + String.format("%06d", i);
    }

    static String[] keys(String prefix, int count) {
        String[] keys = new String[count];
        for (int i = 0; i < count; i++) {
            keys[i] = key(prefix, i);
        }
        return keys;
    }

    /** A printable ASCII value of {@code length} bytes, different for every seed. */
    static String value(long seed, int length) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + length);
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = (char) ('!' + random.nextInt(94));
        }
        return new String(chars);
    }

    /**
     * A valid uncompressed 32-bit BMP of about {@code bytes} bytes (the pixel array is {@code bytes}
     * rounded down to whole rows of 1024 pixels; the 54-byte headers come on top), pixels random.
     */
    static byte[] bmp(int bytes, long seed) {
        int width = 1024;
        int height = Math.max(1, bytes / (width * 4));
        int pixels = width * height * 4;
        int size = 54 + pixels;
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 'B').put((byte) 'M').putInt(size).putInt(0).putInt(54);
        out.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) 32).putInt(0)
                .putInt(pixels).putInt(2835).putInt(2835).putInt(0).putInt(0);
        byte[] array = out.array();
        byte[] noise = new byte[pixels];
        new SplittableRandom(seed).nextBytes(noise);
        System.arraycopy(noise, 0, array, 54, pixels);
        return array;
    }

    /** A new scratch folder under {@code base} (the system temporary folder when null). */
    static Path scratch(Path base, String name) {
        try {
            Path parent = base != null ? base : Path.of(System.getProperty("java.io.tmpdir"));
            Files.createDirectories(parent);
            return Files.createTempDirectory(parent, "datastore-bench-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tmpfs folder where the dock puts its ephemeral arena, else the temporary folder. */
    static Path sharedMemory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : null;
    }

    /** Bytes of every file under {@code folder}, as the file system reports their length. */
    static long sizeOf(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes the file system allocated under {@code folder} ({@code du -sB1}): sparse files count what they use. */
    static long allocatedOf(Path folder) {
        try {
            Process du = new ProcessBuilder("du", "-sB1", folder.toString()).redirectErrorStream(true).start();
            String out = new String(du.getInputStream().readAllBytes()).trim();
            du.waitFor();
            return Long.parseLong(out.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static void delete(Path folder) {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
