package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

/**
 * The {@code ./dock} launcher on the exported jars ({@code --no-build}, so it runs what the build
 * just made): its development API options reach the API's configuration through the FileInstall
 * {@code .cfg} file it writes (merged with what the file already holds), {@code --bind} decides the
 * address, {@code --production} runs the production product, contradictions are refused before
 * anything starts, and a SIGTERM or a SIGINT stops the framework cleanly and leaves no JVM behind.
 */
public class DockScriptIT {

    private static final Path ROOT = Paths.get(System.getProperty("itest.root", "..")).toAbsolutePath().normalize();

    /**
     * {@code ./dock} with {@code args}, no standard input (as in CI), output in {@code log}, and SIGINT
     * handled by default as under a terminal: a build started as a background job of a script inherits
     * SIGINT ignored, and {@code ./dock}, like any program, then leaves it ignored, so a Ctrl-C could
     * not be tried.
     */
    private static Process dock(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT", "bash",
                ROOT.resolve("dock").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", Paths.get(System.getProperty("java.home")).toString());
        return builder.start();
    }

    /** Waits until {@code ./dock} has printed {@code expected} into {@code log}, woken as the log grows. */
    private static String awaitOutput(Process process, Path log, String expected) throws Exception {
        return FolderWatch.await(log.getParent(), process, Duration.ofSeconds(60), () -> {
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (output.contains(expected)) {
                return Optional.of(output);
            }
            if (!process.isAlive()) {
                throw new AssertionError("./dock exited with " + process.exitValue() + " before \"" + expected
                        + "\":\n" + output);
            }
            return Optional.empty();
        }, () -> "./dock did not print \"" + expected + "\" within 60 s:\n" + readQuietly(log));
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + log + " unreadable: " + e + ")";
        }
    }

    /** SIGTERM, as a service manager or timeout(1) sends: the framework stops and ./dock exits 0. */
    private static String stop(Process process, Path log) throws Exception {
        return stop(process, log, () -> process.destroy());
    }

    /**
     * Stops ./dock with {@code signal} and waits: it stops the framework, says so and exits 0, and no process it
     * started (the dock's JVM) is left running.
     */
    private static String stop(Process process, Path log, Runnable signal) throws Exception {
        List<ProcessHandle> started = process.descendants().toList();
        signal.run();
        boolean exited = process.waitFor(30, TimeUnit.SECONDS);
        if (!exited) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue("./dock did not stop within 30 s:\n" + output, exited);
        assertEquals(output, 0, process.exitValue());
        assertTrue(output, output.contains("dock: stopping the framework"));
        assertTrue(output, output.contains("dock: the framework stopped cleanly"));
        for (ProcessHandle child : started) {
            assertTrue(child + " outlived ./dock", child.onExit().get(30, TimeUnit.SECONDS) != null && !child.isAlive());
        }
        return output;
    }

    /**
     * After a failure: ./dock and its JVM killed outright, with no check that could fail in turn and
     * hide the failure itself.
     */
    private static void forceDown(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** SIGINT to ./dock alone, as a Ctrl-C reaches it (the dock's JVM ignores its own copy of a Ctrl-C). */
    private static void interrupt(Process process) {
        try {
            Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -INT " + process.pid()).inheritIO().start();
            assertEquals(0, kill.waitFor());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    public void theLauncherOptionsConfigureTheDevelopmentApi() throws Exception {
        Path data = ExportedDock.newDataFolder("script");
        Path cfg = data.resolve("deploy/datastore.devapi.cfg");
        Files.createDirectories(cfg.getParent());
        // What an earlier run or a developer left in the file stays, except the keys the options set.
        Files.writeString(cfg, "# tokens for a long session\ntoken.ttl.seconds=7200\ndock.id=old-id\n");
        int port = ExportedDock.freePort();
        Path log = data.resolveSibling(data.getFileName() + ".log");
        Process process = dock(log, "run", "--no-build", "--data", data.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.2", "--dock-id", "RW02-0042", "--client-id", "ci-client",
                "--client-secret", "s3cr:et=x/y+z", "--enterprise-id", "ent-7");
        try {
            String header = awaitOutput(process, log, "dock: ready (HTTP on http://127.0.0.2:" + port + "/)");
            assertTrue(header, header.contains("dock: starting product 'dock' in development mode"));
            assertTrue(header, header.contains("config     " + cfg));

            List<String> lines = Files.readAllLines(cfg);
            assertTrue(lines.toString(), lines.containsAll(List.of("# tokens for a long session",
                    "token.ttl.seconds=7200", "dock.id=RW02-0042", "client.id=ci-client", "enterprise.id=ent-7")));
            assertFalse(lines.toString(), lines.contains("dock.id=old-id"));
            // The secret reaches the configuration as a salted hash only.
            assertFalse(lines.toString(), String.join("\n", lines).contains("s3cr:et=x/y+z"));
            assertTrue(lines.toString(), lines.stream().anyMatch(line -> line.matches(
                    "client\\.secret\\.hash=sha256:[0-9a-f]{32}:[0-9a-f]{64}")));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cfg)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));

            // --bind: the API answers on 127.0.0.2 only.
            DevApiClient client = new DevApiClient("127.0.0.2", port);
            try (Socket refused = new Socket("127.0.0.1", port)) {
                throw new AssertionError("port " + port + " answers on 127.0.0.1 too");
            } catch (ConnectException expected) {
                // Bound to 127.0.0.2 alone.
            }
            client.login("ci-client", "s3cr:et=x/y+z", "ent-7");
            client.loginAnswer("ci-client", "s3cr:et=x/y+z", "ent-8").expect(401);
            SampleRomStore sample = SampleRomStore.load();
            client.post("/api/docks/application/romstore", sample.request("rw02-0042")).expect(200);
            client.post("/api/docks/application/romstore", sample.request("old-id")).expect(404);

            // Configured credentials: nothing generated, nothing printed.
            assertFalse(Files.exists(data.resolve("dev-credentials.properties")));
            assertFalse(Files.readString(log).contains("generated credentials"));
            stop(process, log);
        } finally {
            if (process.isAlive()) {
                forceDown(process);
            }
        }
        // Whatever the dock wrote in its data folder is its owner's alone, and no copy of the
        // configuration (Configuration Admin's included) holds the secret in clear.
        try (var files = Files.walk(data)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.equals(cfg.getParent())) {
                    continue; // made by this test, before the dock ran, under the test's umask
                }
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
                assertTrue(file + " is " + mode, mode.endsWith("------"));
                if (Files.isRegularFile(file) && Files.size(file) < (1 << 20)) {
                    assertFalse(file + " holds the secret", new String(Files.readAllBytes(file),
                            StandardCharsets.ISO_8859_1).contains("s3cr:et=x/y+z"));
                }
            }
        }
    }

    @Test
    public void aSecretFileKeepsTheSecretOffTheCommandLine() throws Exception {
        Path data = ExportedDock.newDataFolder("script-secret-file");
        Path secret = data.resolveSibling(data.getFileName() + ".secret");
        Files.writeString(secret, "from-a-file:42\n");
        int port = ExportedDock.freePort();
        Path log = data.resolveSibling(data.getFileName() + ".log");
        Process process = dock(log, "run", "--no-build", "--data", data.toString(), "--port", Integer.toString(port),
                "--client-id", "ci-client", "--client-secret-file", secret.toString(), "--enterprise-id", "ent-7");
        try {
            awaitOutput(process, log, "dock: ready (HTTP on http://127.0.0.1:" + port + "/)");
            DevApiClient client = new DevApiClient(port);
            client.login("ci-client", "from-a-file:42", "ent-7");
            client.loginAnswer("ci-client", secret.toString(), "ent-7").expect(401);
            stop(process, log);
        } finally {
            if (process.isAlive()) {
                forceDown(process);
            }
        }
    }

    @Test
    public void productionRunsTheProductionProductWithoutTheApi() throws Exception {
        Path data = ExportedDock.newDataFolder("script-production");
        int port = ExportedDock.freePort();
        Path log = data.resolveSibling(data.getFileName() + ".log");
        Process process = dock(log, "run", "--no-build", "--production", "--data", data.toString(),
                "--port", Integer.toString(port));
        try {
            String header = awaitOutput(process, log, "dock: ready (HTTP on http://127.0.0.1:" + port + "/)");
            assertTrue(header, header.contains("dock: starting product 'production' in production mode"));
            assertTrue(header, header.contains("production.jar"));
            assertFalse(header, header.contains("dev API"));
            DevApiClient client = new DevApiClient(port);
            client.loginAnswer("a", "b", "c").expect(404);
            client.getAuthorized("/console/", null).expect(404);
            stop(process, log, () -> interrupt(process));
        } finally {
            if (process.isAlive()) {
                forceDown(process);
            }
        }
        assertFalse(Files.exists(data.resolve("dev-credentials.properties")));
    }

    @Test
    public void contradictoryOptionsAreRefusedBeforeAnythingStarts() throws Exception {
        Path data = ExportedDock.newDataFolder("script-refused");
        // Each refusal and its message is RunCommandTest's; these show that ./dock hands the options over and
        // returns the command line's usage status, before anything is written or started.
        String[][] cases = {
            {"--production --development", "--production and --development contradict each other"},
            {"--client-id a --client-secret b", "go together"},
            {"--product nope", "unknown product 'nope'; the products are: dock minimal production"},
        };
        for (String[] refused : cases) {
            List<String> args = new ArrayList<>(List.of("run", "--no-build", "--data", data.toString()));
            args.addAll(List.of(refused[0].split(" ")));
            Path log = data.resolveSibling(data.getFileName() + ".log");
            Process process = dock(log, args.toArray(String[]::new));
            assertTrue(refused[0], process.waitFor(30, TimeUnit.SECONDS));
            String output = Files.readString(log);
            assertEquals(refused[0] + ": " + output, 2, process.exitValue());
            assertTrue(refused[0] + ": " + output, output.contains(refused[1]));
            assertFalse(refused[0] + ": " + output, output.contains("starting product"));
        }
        assertFalse(Files.exists(data.resolve("deploy/datastore.devapi.cfg")));
    }

    /**
     * {@code ./dock flash …} reaches the tools' jar, and {@code ./dock run --flash} boots a dock on a 32 MiB
     * flash it built: a copy in the data folder, the original untouched, the dock's own UPD value served
     * over the development API; a second boot into the same data folder is refused.
     */
    @Test
    public void flashBuildsAndRunBootsTheBuiltFlash() throws Exception {
        Path work = ExportedDock.newDataFolder("script-flash");
        Path sample = work.resolve("sample");
        Files.createDirectories(sample.resolve("images"));
        Path source = SampleRomStore.sampleFolder();
        for (String name : List.of("rom_store_config.yaml", "app.py", "images/small.bmp", "images/splash-1080p.png",
                "images/splash-1080p.jpg")) {
            Files.copy(source.resolve(name), sample.resolve(name));
        }
        Files.writeString(sample.resolve("docks.csv"), "dock_id,enrolment_token\nRW02-0009,tok-9\nRW02-0010,tok-10\n");
        Path log = work.resolve("build.log");
        Process build = dock(log, "flash", "build", "--rom", sample.resolve("rom_store_config.yaml").toString(),
                "--docks", sample.resolve("docks.csv").toString(), "--out", work.resolve("out").toString(),
                "--chip-size", "32MiB", "--rom-payload", "6MiB", "--runtime-payload", "2MiB", "--full");
        assertTrue(build.waitFor(120, TimeUnit.SECONDS));
        assertEquals(Files.readString(log), 0, build.exitValue());
        Path flash = work.resolve("out/flash/RW02-0009.img");
        byte[] before = Files.readAllBytes(flash);

        Path data = work.resolve("data");
        int port = ExportedDock.freePort();
        Path runLog = work.resolve("run.log");
        Process process = dock(runLog, "run", "--no-build", "--data", data.toString(), "--port", Integer.toString(port),
                "--dock-id", "RW02-0009", "--client-id", "factory", "--client-secret", "line-7", "--enterprise-id", "ent",
                "--flash", flash.toString());
        try {
            String header = awaitOutput(process, runLog, "dock: ready (HTTP on http://127.0.0.1:" + port + "/)");
            assertTrue(header, header.contains("flash      " + data.resolve("flash.img") + "   (a copy of " + flash + ")"));
            DevApiClient client = new DevApiClient(port);
            client.login("factory", "line-7", "ent");
            String kv = client.get("/api/datastore/kv").expect(200).text();
            assertTrue(kv, kv.contains("tok-9") && !kv.contains("tok-10"));
            String partitions = client.get("/api/datastore/partitions").expect(200).text();
            assertFalse(partitions, partitions.contains("REFUSED") || partitions.contains("refused"));
            stop(process, runLog);
        } finally {
            if (process.isAlive()) {
                forceDown(process);
            }
        }
        assertEquals(32L << 20, Files.size(data.resolve("flash.img")));
        org.junit.Assert.assertArrayEquals("the built flash is left as it was", before, Files.readAllBytes(flash));

        // A port of its own: the refusal to test is the flash's, not a default port another program holds.
        Process again = dock(runLog, "run", "--no-build", "--data", data.toString(), "--port",
                Integer.toString(ExportedDock.freePort()), "--flash", flash.toString());
        assertTrue(again.waitFor(30, TimeUnit.SECONDS));
        String output = Files.readString(runLog);
        assertEquals(output, 1, again.exitValue());
        assertTrue(output, output.contains("exists already; boot a new flash in a new --data folder"));
    }
}
