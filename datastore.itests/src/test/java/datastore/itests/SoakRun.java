package datastore.itests;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.Test;

/**
 * The soak: a million mixed operations (puts, batches, removals and images on the runtime partition,
 * ephemeral puts, a fifth of them reads) through the application API of the exported {@code dock}
 * product, restarted cleanly every 100,000 on the same data folder. After each segment the dock
 * reports its heap after full collections, and the data folder is measured: both must stay flat.
 * A documented run, not part of CI (the name matches neither {@code *Test} nor {@code *IT}):
 *
 * <pre>
 * mvn -B -ntp -o -pl datastore.itests -am verify -Dit.test=SoakRun -Dtest=NONE \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dsoak.ops=1000000] [-Dsoak.segment=100000]
 * </pre>
 */
public class SoakRun {

    private static final long OPS = Long.getLong("soak.ops", 1_000_000);
    private static final long SEGMENT = Long.getLong("soak.segment", 100_000);
    private static final Pattern DONE = Pattern.compile("@@soak-done ops=(\\d+) heap=(\\d+)@@");

    @Test
    public void aMillionOperationsWithRestartsKeepHeapAndDataFolderFlat() throws Exception {
        Path data = ExportedDock.newDataFolder("soak");
        String app = ProcessKillIT.buildApplication(data).toUri().toString();
        long seed = Long.getLong("soak.seed", 1);
        List<long[]> rows = new ArrayList<>();
        long done = 0;
        long begin = System.nanoTime();
        for (int segment = 0; done < OPS; segment++) {
            long started = System.nanoTime();
            try (ExportedDock dock = ExportedDock.launch("dock", data, Map.of(), List.of())) {
                dock.awaitShell();
                ProcessKillIT.install(dock, app);
                String dump = dock.shell("stressapp:dump");
                assertFalse(dump, dump.contains("\nerror "));
                int from = dock.outputLength();
                dock.shell("stressapp:soak " + (seed + segment) + " " + segment + " " + Math.min(SEGMENT, OPS - done));
                dock.awaitOutput(from, TimeUnit.HOURS.toMillis(1), "@@soak-done", "@@f ");
                String output = dock.output().substring(from);
                Matcher result = DONE.matcher(output);
                assertTrue("a write failed: " + output.substring(Math.max(0, output.indexOf("@@f "))), result.find());
                long ops = Long.parseLong(result.group(1));
                long heap = Long.parseLong(result.group(2));
                String runtime = dock.shell("datastore:usage").lines().filter(line -> line.strip().startsWith("runtime"))
                        .findFirst().orElse("(no runtime line)").strip().replaceAll("\\s+", " ");
                dock.stop();
                done += ops;
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
                rows.add(new long[] {segment, done, seconds, heap, size(data, true), size(data, false)});
                System.out.printf("soak: segment %d ops %d in %d s, heap after GC %.1f MiB, data folder %.1f MiB (%.1f MiB without"
                        + " the framework cache), usage: %s%n", segment, done, seconds, heap / 1048576.0,
                        size(data, true) / 1048576.0, size(data, false) / 1048576.0, runtime);
            }
        }
        long minutes = TimeUnit.NANOSECONDS.toMinutes(System.nanoTime() - begin);
        System.out.println("soak: ops=" + done + " restarts=" + (rows.size() - 1) + " minutes=" + minutes);
        long firstHeap = rows.get(0)[3];
        long lastHeap = rows.get(rows.size() - 1)[3];
        long firstData = rows.get(0)[5];
        long lastData = rows.get(rows.size() - 1)[5];
        assertTrue("heap grew from " + firstHeap + " to " + lastHeap, lastHeap < firstHeap * 3 / 2 + (4 << 20));
        assertTrue("data folder grew from " + firstData + " to " + lastData, lastData <= firstData + (1 << 20));
    }

    /** Bytes of the files under {@code folder}; without the framework cache, which each start rebuilds, unless asked. */
    private static long size(Path folder, boolean withFramework) throws IOException {
        Path framework = folder.resolve("framework");
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).filter(file -> withFramework || !file.startsWith(framework))
                    .mapToLong(file -> {
                        try {
                            return Files.size(file);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }).sum();
        }
    }
}
