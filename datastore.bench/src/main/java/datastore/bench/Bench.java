package datastore.bench;

import java.io.IOException;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the whole comparison in one go: the JMH benchmarks (small get, durable put, image read,
 * mount), each iteration after a full collection; then the small gets that goals compare and the
 * fsync-bound durable puts in interleaved forks ({@link Interleaved}; the small gets quick 3 to 6 rounds and
 * full 4 to 8, the durable puts 3 to 12 and 4 to 48 of shorter forks, or {@code --rounds MIN:MAX} for both);
 * then the space, memory and start harnesses in JVMs of their own, and writes
 * {@code results.md} (medians and means with their 95% intervals, each goal's ratio with its 95%
 * interval and whether the whole interval meets it, and what the harnesses found) and the raw
 * JMH JSON into the output folder.
 *
 * <pre>
 * java -jar target/benchmarks.jar quick|full [--only REGEX] [--no-harness] [--out DIR]
 *      [--dock-jar PATH] [--java17 PATH] [--rounds MIN:MAX] [--jmh JMH-OPTIONS...]
 * </pre>
 */
public final class Bench {
    /** What the peers need on Java 17: lmdbjava and Chronicle Map reach into the JDK. */
    static final String[] JVM_ARGS = {
        "-Xms2g", "-Xmx4g",
        "-Dchronicle.analytics.disable=true",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    };

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !(args[0].equals("quick") || args[0].equals("full"))) {
            System.err.println("usage: java -jar benchmarks.jar quick|full [--only REGEX] [--no-harness] [--out DIR]"
                    + " [--dock-jar PATH] [--java17 PATH] [--rounds MIN:MAX] [--jmh JMH-OPTIONS...]");
            System.exit(2);
        }
        boolean full = args[0].equals("full");
        String only = null;
        boolean harness = true;
        Path jar = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path moduleDir = jar.getParent().getParent();
        Path out = null;
        Path dockJar = moduleDir.resolveSibling("datastore.dock").resolve("target/dock.jar");
        String java17 = Files.isExecutable(Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"))
                ? "/usr/lib/jvm/java-17-openjdk-amd64/bin/java" : currentJava();
        String[] jmhArgs = new String[0];
        int[] rounds = null; // each group's own
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--only" -> only = args[++i];
                case "--no-harness" -> harness = false;
                case "--out" -> out = Path.of(args[++i]);
                case "--dock-jar" -> dockJar = Path.of(args[++i]);
                case "--java17" -> java17 = args[++i];
                case "--rounds" -> rounds = rounds(args[++i]);
                case "--jmh" -> {
                    jmhArgs = Arrays.copyOfRange(args, i + 1, args.length);
                    i = args.length;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(ZonedDateTime.now());
        if (out == null) {
            out = moduleDir.resolve("target/results/" + args[0] + "-" + stamp);
        }
        Files.createDirectories(out);

        CommandLineOptions given = new CommandLineOptions(jmhArgs);
        String[] jvmArgs = Arrays.copyOf(JVM_ARGS, JVM_ARGS.length + 1);
        jvmArgs[JVM_ARGS.length] = "-D" + Dock.PRODUCT + "=" + dockJar.toAbsolutePath();
        List<Interleaved> groups = List.of(Interleaved.smallGets(full, rounds), Interleaved.durablePuts(full, rounds));
        ChainedOptionsBuilder options = new OptionsBuilder().parent(given)
                .include(only != null ? only : "datastore\\.bench\\..*")
                .jvmArgsAppend(jvmArgs)
                .shouldFailOnError(false)
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve("jmh.json").toString());
        // One fork and the mode's iterations, unless JMH options given after --jmh say otherwise.
        if (!given.getForkCount().hasValue()) {
            options.forks(1);
        }
        if (!given.getWarmupIterations().hasValue()) {
            options.warmupIterations(full ? 3 : 2);
        }
        if (!given.getWarmupTime().hasValue()) {
            options.warmupTime(TimeValue.seconds(full ? 2 : 1));
        }
        if (!given.getMeasurementIterations().hasValue()) {
            options.measurementIterations(full ? 6 : 3);
        }
        if (!given.getMeasurementTime().hasValue()) {
            options.measurementTime(TimeValue.seconds(full ? 2 : 1));
        }
        // A full collection before each iteration, so that every iteration reads a heap laid out alike.
        // Without it, young collections copy a benchmark's 100k keys and values in an order of their own,
        // and the same small get took 230 ns in one iteration and 700 ns in the next (BENCHMARKS.md).
        if (!given.shouldDoGC().hasValue()) {
            options.shouldDoGC(true);
        }
        groups.forEach(group -> options.exclude(group.exclusion()));
        long started = System.nanoTime();
        Collection<RunResult> results;
        try {
            results = new Runner(options.build()).run();
        } catch (NoBenchmarksException none) {
            String pattern = only;
            if (groups.stream().noneMatch(group -> group.selected(pattern))) {
                System.err.println("--only " + only + " matches no benchmark: a name is like"
                        + " datastore.bench.SmallGet.dockRuntimeHit, and the pattern is found in it");
                System.exit(2);
            }
            results = List.of(); // only interleaved benchmarks were asked for
        }

        // The groups whose ratios must decide: short forks, interleaved, until their ratios are decided.
        List<Interleaved> ran = new ArrayList<>();
        for (Interleaved group : groups) {
            if (!group.selected(only)) {
                continue;
            }
            ran.add(group);
            Path json = out.resolve("jmh-interleaved");
            Files.createDirectories(json);
            int[] fork = {0};
            try {
                group.run(() -> {
                    ChainedOptionsBuilder one = new OptionsBuilder().parent(given)
                            .jvmArgsAppend(jvmArgs)
                            .shouldFailOnError(true)
                            .resultFormat(ResultFormatType.JSON)
                            .result(json.resolve(group.prefix + "fork-" + ++fork[0] + ".json").toString());
                    if (!given.getWarmupIterations().hasValue()) {
                        one.warmupIterations(group.warmups);
                    }
                    if (!given.getWarmupTime().hasValue()) {
                        one.warmupTime(TimeValue.seconds(1));
                    }
                    if (!given.getMeasurementIterations().hasValue()) {
                        one.measurementIterations(group.measurements);
                    }
                    if (!given.getMeasurementTime().hasValue()) {
                        one.measurementTime(TimeValue.seconds(1));
                    }
                    if (!given.shouldDoGC().hasValue()) {
                        one.shouldDoGC(true);
                    }
                    return one;
                });
            } catch (RuntimeException e) {
                group.failure = e.toString();
                System.out.println("# the interleaved forks of " + group.prefix + " failed: " + e);
            }
        }

        Properties harnesses = new Properties();
        if (harness) {
            String cp = jar.toString();
            Path space = out.resolve("space.properties");
            List<String> spaceCommand = new ArrayList<>(List.of(currentJava(), "-Xmx4g"));
            spaceCommand.addAll(List.of(jvmArgs).subList(2, jvmArgs.length));
            spaceCommand.addAll(List.of("-cp", cp, SpaceHarness.class.getName(), space.toString(), full ? "100" : "10",
                    full ? "240" : "60"));
            run(out, "space", spaceCommand.toArray(String[]::new));
            load(harnesses, space);
            Path memory = out.resolve("memory.properties");
            List<String> command = new ArrayList<>(List.of(currentJava(), "-Xms4g", "-Xmx4g"));
            command.addAll(List.of(jvmArgs).subList(2, jvmArgs.length));
            command.addAll(List.of("-cp", cp, MemoryHarness.class.getName(), memory.toString()));
            run(out, "memory", command.toArray(String[]::new));
            load(harnesses, memory);
            Path start = out.resolve("start.properties");
            run(out, "start", currentJava(), "-cp", cp, StartHarness.class.getName(), start.toString(),
                    dockJar.toString(), java17, full ? "7" : "3");
            load(harnesses, start);
        }
        double minutes = (System.nanoTime() - started) / 6e10;
        String report = new Report(results, ran, harnesses).write(args[0], only, minutes, machine());
        Files.writeString(out.resolve("results.md"), report);
        System.out.println(report);
        System.out.println("results in " + out);
    }

    /** {@code MIN:MAX} rounds of the interleaved forks. */
    private static int[] rounds(String text) {
        String[] parts = text.split(":");
        int min = Integer.parseInt(parts[0]);
        int max = Integer.parseInt(parts[parts.length - 1]);
        if (parts.length > 2 || min < 2 || max < min) {
            throw new IllegalArgumentException("--rounds takes MIN:MAX with 2 <= MIN <= MAX, not " + text);
        }
        return new int[] {min, max};
    }

    static String currentJava() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static void run(Path out, String name, String... command) throws IOException, InterruptedException {
        System.out.println("# harness " + name + ": " + String.join(" ", command));
        Process process = new ProcessBuilder(command).inheritIO().start();
        int exit = process.waitFor();
        if (exit != 0) {
            System.out.println("# harness " + name + " exited with " + exit);
            Files.writeString(out.resolve(name + ".failed"), "exit " + exit + "\n");
        }
    }

    private static void load(Properties into, Path file) throws IOException {
        if (Files.exists(file)) {
            try (Reader reader = Files.newBufferedReader(file)) {
                into.load(reader);
            }
        }
    }

    /** Date, machine and JVM, as the report's header states them. */
    static Map<String, String> machine() {
        Map<String, String> facts = new TreeMap<>();
        facts.put("date", ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME));
        try {
            facts.put("host", InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            facts.put("host", "?");
        }
        facts.put("cpu", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        facts.put("memory", String.format(Locale.ROOT, "%.0f GiB",
                ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                        .getTotalMemorySize() / (1024.0 * 1024 * 1024)));
        facts.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        facts.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        return facts;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }
}
