package datastore.itests;

import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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

import datastore.testsupport.FreePort;

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
    /** Whether the JVM's output has ended; guarded by {@link #output}. */
    private boolean outputEnded;
    private final long startedNanos;
    private int commands;
    private boolean stopped;

    private ExportedDock(String product, Path data, int port, Map<String, String> properties, List<String> jvmOptions)
            throws IOException {
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
        command.addAll(jvmOptions);
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
        ExportedDock dock = new ExportedDock(product, data, freePort(), properties, List.of());
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
        return launch(product, data, Map.of(), List.of());
    }

    /**
     * Starts the JVM of {@code product} on {@code data} with extra options for the JVM itself, and
     * returns at once, without waiting for the framework (see {@link #awaitShell()}).
     */
    static ExportedDock launch(String product, Path data, Map<String, String> properties, List<String> jvmOptions)
            throws IOException {
        return new ExportedDock(product, data, freePort(), properties, jvmOptions);
    }

    /** Waits until the shell answers, which it does once every other bundle has been started. */
    void awaitShell() throws IOException, InterruptedException {
        shell("echo started");
    }

    /**
     * Waits until the output holds one of {@code texts} at or after offset {@code from}, woken by the
     * output itself; fails after {@code timeoutMs} or when the JVM ends without printing any.
     *
     * @return the offset just after the first of them found
     */
    int awaitOutput(int from, long timeoutMs, String... texts) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (output) {
            while (true) {
                for (String text : texts) {
                    int at = output.indexOf(text, from);
                    if (at >= 0) {
                        return at + text.length();
                    }
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || outputEnded) {
                    throw new AssertionError(product + ": none of " + List.of(texts) + " in the output within " + timeoutMs
                            + " ms (JVM " + (process.isAlive() ? "running" : "ended") + "); output:\n" + output());
                }
                output.wait(left);
            }
        }
    }

    /** The length of the output so far, an offset for {@link #awaitOutput(int, long, String...)}. */
    int outputLength() {
        return output.length();
    }

    /**
     * Kills the JVM with SIGKILL, as a power cut would end it: no shutdown hook, no bundle stop.
     * Returns once the process is gone and everything it printed has been read.
     */
    void killHard() throws InterruptedException {
        stopped = true;
        // Through the handle: Process.destroyForcibly() also closes the pipes at once, which throws
        // away whatever the JVM printed just before it died and this side has not read yet.
        process.toHandle().destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(product + ": still running 30 s after SIGKILL");
        }
        reader.join(30_000);
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
        return FreePort.pick();
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
        int end;
        try {
            end = awaitOutput(from, START_TIMEOUT_MS, marker) - marker.length();
        } catch (AssertionError e) {
            throw new AssertionError("the shell did not answer \"" + commandLine + "\": " + e.getMessage(), e);
        }
        return output.substring(from, end).replace("g! ", "").strip();
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
                synchronized (output) {
                    output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    output.notifyAll();
                }
            }
        } catch (IOException e) {
            // The process ended; what it printed is kept.
        }
        synchronized (output) {
            outputEnded = true;
            output.notifyAll();
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
