package datastore.bench;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Start: launches the full dock product ({@code dock.jar}) on Java 17 with its own data folder and a
 * free loopback port, and times from process launch to the first answer of an HTTP GET (any status).
 * The first launch runs on an empty data folder (it creates the flash file); the following ones
 * restart on the same folder, as a dock does. Each dock is stopped before the next launch.
 */
public final class StartHarness {
    private StartHarness() {
    }

    /** Arguments: output properties file, path of dock.jar, java executable, number of restarts. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Path jar = Path.of(args[1]);
        String java = args[2];
        int restarts = Integer.parseInt(args[3]);
        Properties results = new Properties();
        if (!Files.isRegularFile(jar)) {
            results.setProperty("start.failure", "no " + jar + ": build it with mvn -o install -DskipTests -pl datastore.dock -am");
            store(out, results);
            return;
        }
        Path data = Data.scratch(null, "dock-data");
        try {
            double first = launch(java, jar, data);
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < restarts; i++) {
                times.add(launch(java, jar, data));
            }
            Collections.sort(times);
            results.setProperty("start.firstMs", String.format("%.0f", first));
            results.setProperty("start.medianMs", String.format("%.0f", times.get(times.size() / 2)));
            results.setProperty("start.minMs", String.format("%.0f", times.get(0)));
            results.setProperty("start.maxMs", String.format("%.0f", times.get(times.size() - 1)));
            results.setProperty("start.restarts", Integer.toString(restarts));
            results.setProperty("start.allMs", times.toString());
            System.out.printf("dock start: first %.0f ms, restarts %s ms%n", first, times);
        } catch (IOException | RuntimeException e) {
            results.setProperty("start.failure", e.toString());
        } finally {
            Data.delete(data);
        }
        store(out, results);
    }

    private static void store(Path out, Properties results) throws IOException {
        try (var writer = Files.newBufferedWriter(out)) {
            results.store(writer, "start harness");
        }
    }

    /** Milliseconds from launch to the first HTTP answer. */
    static double launch(String java, Path jar, Path data) throws IOException, InterruptedException {
        int port = DockFramework.freePort();
        Path log = data.resolveSibling(data.getFileName() + ".log");
        ProcessBuilder builder = new ProcessBuilder(java,
                "-Ddatastore.data.dir=" + data,
                "-Dorg.osgi.framework.storage=" + data.resolve("framework"),
                "-Dfelix.cm.dir=" + data.resolve("config"),
                "-Dfelix.fileinstall.dir=" + data.resolve("deploy"),
                "-Dorg.osgi.service.http.port=" + port,
                "-Dgosh.args=--nointeractive",
                "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Files.createDirectories(data.resolve("deploy"));
        long start = System.nanoTime();
        Process dock = builder.start();
        try {
            URL url = new URL("http://127.0.0.1:" + port + "/");
            long deadline = start + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!dock.isAlive()) {
                    throw new IOException("the dock exited with " + dock.exitValue() + " before answering; see " + log);
                }
                try {
                    HttpURLConnection connection = (HttpURLConnection) url.openConnection();
                    connection.setConnectTimeout(200);
                    connection.setReadTimeout(2000);
                    connection.getResponseCode();
                    connection.disconnect();
                    double millis = (System.nanoTime() - start) / 1e6;
                    Files.deleteIfExists(log);
                    return millis;
                } catch (IOException notYet) {
                    Thread.sleep(5);
                }
            }
            throw new IOException("the dock did not answer HTTP within 60 s; see " + log);
        } finally {
            dock.destroy();
            if (!dock.waitFor(30, TimeUnit.SECONDS)) {
                dock.destroyForcibly().waitFor();
            }
        }
    }
}
