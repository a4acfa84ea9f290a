package datastore.bench;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import datastore.romtool.DockTool;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Throughput of {@code flash build} for a list of docks, single shot: the whole build of {@link #docks}
 * docks (a ROM description with code, three settings and a 640x480 PNG; per dock an enrolment token and a
 * name, every tenth dock a BMP badge; signed, on {@code --jobs} = all cores) into a new folder, the same
 * in-process command line a factory runs. Beside it, in the same run and the same folder (same disk):
 * a plain sequential write of as many bytes as the build wrote (one file, 1 MiB writes, no sync, as the
 * build does not sync either), and the machine's SHA-256 rate (1 GiB through {@link MessageDigest}, one
 * thread), since the build hashes every dock's complete flash. The build records the bytes it wrote in
 * {@code bytes-written} for the plain write, which JMH runs after it (methods run in name order).
 * Docks per second and bytes per second are derived from the single-shot times.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
public class FlashBuildBench {
    static final Path FOLDER = Paths.get(System.getProperty("flash.bench.dir", "target/flash-bench")).toAbsolutePath();

    @State(Scope.Benchmark)
    public static class Inputs {
        @Param({"2000"})
        public int docks;

        @Param({"32MiB"})
        public String chip;

        Path yaml;
        Path csv;
        Path key;
        Path out;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            Path in = Files.createDirectories(FOLDER.resolve("input"));
            Files.writeString(in.resolve("app.py"), "print('dock application')\n".repeat(200));
            ImageIO.write(new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB), "png", in.resolve("splash.png").toFile());
            ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB), "bmp", in.resolve("badge.bmp").toFile());
            yaml = in.resolve("rom.yaml");
            Files.writeString(yaml, "code:\n  path: ${CONFIG_PATH}/app.py\nimages:\n  default:\n    type: png\n"
                    + "    path: ${CONFIG_PATH}/splash.png\nkv_store:\n  timezone: GB\n  content_url: https://example.com/d\n"
                    + "  locale: en-GB\n");
            StringBuilder list = new StringBuilder("dock_id,enrolment_token,dock_name,badge:bmp\n");
            for (int i = 1; i <= docks; i++) {
                list.append("DOCK-").append(String.format("%06d", i)).append(",tok-")
                        .append(Long.toHexString(i * 0x9E3779B97F4A7C15L)).append(",\"Dock ").append(i).append(", hall ")
                        .append(i % 12).append("\",").append(i % 10 == 0 ? "badge.bmp" : "").append('\n');
            }
            csv = in.resolve("docks.csv");
            Files.writeString(csv, list);
            key = in.resolve("factory.key");
            Files.deleteIfExists(key);
            run("rom", "keygen", "--private", key.toString());
        }

        @Setup(Level.Iteration)
        public void freshOutput() throws IOException {
            out = FOLDER.resolve("out");
            delete(out);
        }

        @TearDown(Level.Iteration)
        public void recordBytes() throws IOException {
            long bytes = 0;
            try (Stream<Path> files = Files.walk(out)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    bytes += Files.size(file);
                }
            }
            Files.writeString(FOLDER.resolve("bytes-written"), Long.toString(bytes));
            System.out.println("\nflash build wrote " + bytes + " bytes for " + docks + " docks");
            delete(out);
        }
    }

    @Benchmark
    public int flashBuild(Inputs inputs) {
        return run("flash", "build", "--rom", inputs.yaml.toString(), "--docks", inputs.csv.toString(), "--out",
                inputs.out.toString(), "--chip-size", inputs.chip, "--rom-payload", "6MiB", "--runtime-payload", "2MiB",
                "--sign", inputs.key.toString(), "--generation", "1");
    }

    @State(Scope.Benchmark)
    public static class PlainWrite {
        long bytes;
        Path file;
        ByteBuffer chunk;

        @Setup(Level.Iteration)
        public void setUp() throws IOException {
            bytes = Long.parseLong(Files.readString(FOLDER.resolve("bytes-written")).strip());
            file = FOLDER.resolve("plain-write.bin");
            Files.deleteIfExists(file);
            byte[] data = new byte[1 << 20];
            new java.util.Random(1).nextBytes(data);
            chunk = ByteBuffer.wrap(data);
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            System.out.println("\nplain write of " + bytes + " bytes");
            Files.deleteIfExists(file);
        }
    }

    @Benchmark
    public long sequentialWriteOfTheSameBytes(PlainWrite plain) throws IOException {
        try (FileChannel channel = FileChannel.open(plain.file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long left = plain.bytes;
            while (left > 0) {
                ByteBuffer buffer = plain.chunk.clear().limit((int) Math.min(plain.chunk.capacity(), left));
                while (buffer.hasRemaining()) {
                    left -= channel.write(buffer);
                }
            }
        }
        return plain.bytes;
    }

    @Benchmark
    public byte[] sha256OfOneGiB() throws Exception {
        byte[] block = new byte[1 << 20];
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 1024; i++) {
            digest.update(block);
        }
        return digest.digest();
    }

    static int run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = DockTool.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        if (status != 0) {
            throw new IllegalStateException("dock " + String.join(" ", args) + " failed: " + out + err);
        }
        System.out.print(out);
        return status;
    }

    static void delete(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
