package datastore.itests;

import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An exported product jar ({@code datastore.dock/target/<product>.jar}) running as a child JVM, the
 * way a developer runs it: its own data folder, a free HTTP port on 127.0.0.1, and the Gogo shell
 * reading a pipe that this object holds open, so shell commands can be sent and their output read
 * back. {@link #close()} stops it as {@code ./dock} does, by closing the shell's input (Gogo then
 * stops the framework, every bundle in order), and fails if the JVM does not end cleanly.
 */
final class ExportedDock implements AutoCloseable {

    private static final long START_TIMEOUT_MS = 60_000;
    private static final long STOP_TIMEOUT_MS = 30_000;

    /** The bnd launcher's exit status after an orderly framework stop. */
    private static final int FRAMEWORK_STOPPED = 117;

    private final String product;
    private final Path data;
    private final int port;
    private final Process process;
    private final OutputStream shellInput;
    private final StringBuffer output = new StringBuffer();
    private final Thread reader;
    private final long startedNanos;
    private int commands;
    private boolean stopped;

    private ExportedDock(String product, Path data, int port, Map<String, String> properties) throws IOException {
        this.product = product;
        this.data = data;
        this.port = port;
        Path jar = productsFolder().resolve(product + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build datastore.dock first");
        }
        Files.createDirectories(data.resolve("deploy"));
        Map<String, String> all = new LinkedHashMap<>();
        all.put("datastore.data.dir", data.toString());
        all.put("org.osgi.framework.storage", data.resolve("framework").toString());
        all.put("felix.cm.dir", data.resolve("config").toString());
        all.put("felix.fileinstall.dir", data.resolve("deploy").toString());
        all.put("datastore.http.host", "127.0.0.1");
        all.put("datastore.http.port", Integer.toString(port));
        all.putAll(properties);
        List<String> command = new ArrayList<>();
        command.add(javaCommand());
        all.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        startedNanos = System.nanoTime();
        process = new ProcessBuilder(command).directory(data.toFile()).redirectErrorStream(true).start();
        shellInput = process.getOutputStream();
        reader = new Thread(() -> copy(process.getInputStream()), product + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code product} on {@code data} and waits until its shell answers (the shell starts
     * after every other bundle).
     */
    static ExportedDock start(String product, Path data) throws Exception {
        return start(product, data, Map.of());
    }

    /** Like {@link #start(String, Path)}, with extra framework properties ({@code -Dkey=value}). */
    static ExportedDock start(String product, Path data, Map<String, String> properties) throws Exception {
        ExportedDock dock = new ExportedDock(product, data, freePort(), properties);
        try {
            dock.shell("echo started");
            return dock;
        } catch (Throwable e) {
            dock.kill();
            throw e;
        }
    }

    /**
     * Starts {@code product} on {@code data} and returns at once, without waiting for anything: for
     * tests that race the dock's start.
     */
    static ExportedDock launch(String product, Path data) throws Exception {
        return new ExportedDock(product, data, freePort(), Map.of());
    }

    /** A fresh data folder under the module's target folder. */
    static Path newDataFolder(String name) throws IOException {
        Path work = Files.createDirectories(Paths.get(System.getProperty("itest.work", "target/itest-work")));
        return Files.createTempDirectory(work, name + "-");
    }

    /** Where the exported product jars are. */
    static Path productsFolder() {
        return Paths.get(System.getProperty("itest.products", "../datastore.dock/target")).toAbsolutePath().normalize();
    }

    /** The Java 17 that runs these tests, for the child JVMs. */
    static String javaCommand() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    Path data() {
        return data;
    }

    /** Everything the JVM printed so far (stdout and stderr). */
    String output() {
        return output.toString();
    }

    /** Milliseconds from starting the JVM until {@code port} accepted a connection, waiting up to 60 s. */
    long awaitHttpPort() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
            } catch (IOException notYet) {
                checkAlive();
                Thread.sleep(50);
            }
        }
        throw new AssertionError(product + ": nothing listens on port " + port + " after " + START_TIMEOUT_MS
                + " ms; output:\n" + output());
    }

    long millisSinceStart() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    /**
     * Runs one Gogo command line and returns what it printed (an exception's message included),
     * waiting up to 60 s. The output is recognised by a marker echoed after the command.
     */
    synchronized String shell(String commandLine) throws IOException, InterruptedException {
        if (commandLine.contains("\n")) {
            throw new IllegalArgumentException("one command line at a time");
        }
        String marker = "~~done-" + (++commands) + "~~";
        int from = output.length();
        write(commandLine + "\necho " + marker + "\n");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            int end = output.indexOf(marker, from);
            if (end >= 0) {
                return output.substring(from, end).replace("g! ", "").strip();
            }
            checkAlive();
            Thread.sleep(20);
        }
        throw new AssertionError(product + ": the shell did not answer \"" + commandLine + "\" within "
                + START_TIMEOUT_MS + " ms; output:\n" + output());
    }

    private void write(String text) throws IOException {
        shellInput.write(text.getBytes(StandardCharsets.UTF_8));
        shellInput.flush();
    }

    private void checkAlive() {
        if (!process.isAlive()) {
            throw new AssertionError(product + ": the JVM exited with status " + process.exitValue() + "; output:\n"
                    + output());
        }
    }

    private void copy(InputStream in) {
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0;) {
                output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The process ended; what it printed is kept.
        }
    }

    /**
     * Stops the dock cleanly: closes the shell's input, which makes Gogo stop the framework, and
     * asserts that the JVM then exits on its own with the launcher's "framework stopped" status.
     *
     * @return the milliseconds the stop took
     */
    long stop() throws IOException, InterruptedException {
        if (stopped) {
            return 0;
        }
        stopped = true;
        long begin = System.nanoTime();
        try {
            shellInput.close();
        } catch (IOException alreadyGone) {
            // The JVM may be gone already; its status says how it ended.
        }
        boolean exited = process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (!exited) {
            kill();
            throw new AssertionError(product + ": the framework did not stop within " + STOP_TIMEOUT_MS
                    + " ms after its shell's input closed; output:\n" + output());
        }
        reader.join(5_000);
        int status = process.exitValue();
        assertTrue(product + ": the JVM exited with status " + status + " instead of stopping the framework; output:\n"
                + output(), status == FRAMEWORK_STOPPED || status == 0);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
    }

    /** Ends the JVM at once, for a test that already failed. */
    void kill() {
        stopped = true;
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops cleanly if the test has not; a test that wants the stop checked calls {@link #stop()}. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        try {
            stop();
        } catch (IOException e) {
            kill();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
        } catch (AssertionError e) {
            kill();
            throw e;
        }
    }
}
