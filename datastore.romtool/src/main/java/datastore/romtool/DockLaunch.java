package datastore.romtool;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Starts the dock {@link RunCommand} planned: rebuilds the product's jar when it is missing or older than any
 * POM, bnd file, product or main source; makes the data folder its owner's alone; writes the development API's
 * options to its configuration file; copies a flash to boot on; prints where everything is; then runs the jar as
 * a {@link DockProcess} and returns its exit status. Files are created under the umask {@code ./dock} sets (077).
 */
final class DockLaunch {
    /** The bnd launcher's status when the framework was stopped: an orderly stop. */
    static final int FRAMEWORK_STOPPED = 117;
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";
    private static final String JETTY = "org.apache.felix.http.jetty";

    private final RunCommand.Plan plan;
    private final boolean terminal;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Path java = Paths.get(System.getProperty("java.home"), "bin", "java");

    /** A reason the dock cannot start, found after the options were accepted (exit status 1). */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    DockLaunch(RunCommand.Plan plan, boolean terminal, PrintWriter out, PrintWriter err) {
        this.plan = plan;
        this.terminal = terminal;
        this.out = out;
        this.err = err;
    }

    int run() {
        prepareDataFolder();
        buildWhenStale();
        List<String> bundles = runBundles();
        boolean http = has(bundles, JETTY);
        boolean fileInstall = has(bundles, FILEINSTALL);
        String probeHost = switch (plan.bind()) {
            case "0.0.0.0", "::", "0:0:0:0:0:0:0:0" -> "127.0.0.1"; // a wildcard bind answers on loopback
            default -> plan.bind();
        };
        if (http && answers(probeHost, plan.port())) {
            throw new Refused("port " + plan.port() + " on " + probeHost + " is already in use; choose another with --port");
        }
        Path config = plan.data().resolve("deploy/" + DevApiConfigFile.PID + ".cfg");
        if (!plan.devApi().isEmpty()) {
            if (!fileInstall) {
                throw new Refused("product '" + plan.product() + "' has no FileInstall to read " + config
                        + "; configure the development API another way");
            }
            writeConfig(config);
        }
        Path flashFile = plan.flash() == null ? null : plan.inPlace() ? plan.flash() : copyFlash();

        String urlHost = probeHost.contains(":") ? "[" + probeHost + "]" : probeHost;
        out.println("dock: starting product '" + plan.product() + "' in " + plan.mode() + " mode");
        out.println("  product    " + plan.bndrun());
        out.println("  jar        " + plan.jar());
        out.println("  java       " + java);
        out.println("  data       " + plan.data());
        if (flashFile != null) {
            out.println("  flash      " + flashFile + (plan.inPlace() ? "   (in place)" : "   (a copy of " + plan.flash() + ")"));
        }
        if (fileInstall) {
            out.println("  deploy     " + plan.data().resolve("deploy")
                    + "   (bundle jars and .cfg files dropped here are installed or updated)");
        }
        if (http) {
            out.println("  http       http://" + urlHost + ":" + plan.port() + "/   (listening on " + plan.bind() + ")");
        }
        if (plan.mode().equals(RunCommand.DEVELOPMENT) && has(bundles, "datastore.devapi")) {
            String base = "http://" + urlHost + ":" + plan.port();
            out.println("  dev API    " + base + "/api   console " + base + "/console/");
            if (Files.isRegularFile(config)) {
                out.println("  config     " + config);
            } else if (Files.isRegularFile(plan.data().resolve("dev-credentials.properties"))) {
                out.println("  login      generated credentials in " + plan.data().resolve("dev-credentials.properties"));
            } else {
                out.println("  login      credentials are generated now and printed below, once");
            }
            if (!plan.bind().startsWith("127.") && !plan.bind().equals("localhost") && !plan.bind().equals("::1")) {
                out.println("  warning    --bind " + plan.bind() + ": the development API is reachable from other machines");
            }
        }
        out.println("  stop       Ctrl-C");
        out.println();
        out.flush();

        List<String> command = new ArrayList<>(List.of(java.toString(),
                "-Ddatastore.data.dir=" + plan.data(),
                "-Dorg.osgi.framework.storage=" + plan.data().resolve("framework"),
                "-Dfelix.cm.dir=" + plan.data().resolve("config"),
                "-Dfelix.fileinstall.dir=" + plan.data().resolve("deploy"),
                "-Ddatastore.http.host=" + plan.bind(),
                "-Ddatastore.http.port=" + plan.port()));
        if (flashFile != null) {
            command.add("-Ddatastore.flash.file=" + flashFile);
        }
        command.addAll(List.of("-jar", plan.jar().toString()));
        DockProcess dock = new DockProcess(command, out, err, System::currentTimeMillis);
        dock.stopOnSignals();
        try {
            dock.start(terminal);
        } catch (IOException e) {
            throw new Refused("cannot start " + java + ": " + e.getMessage());
        }
        return dock.await();
    }

    /** The data folder and its deploy folder, made (or left) private: another user of the machine reads nothing in it. */
    void prepareDataFolder() {
        try {
            Files.createDirectories(plan.data().resolve("deploy"));
        } catch (IOException e) {
            throw new Refused("cannot create the data folder '" + plan.data() + "': " + e.getMessage());
        }
        try {
            Files.setPosixFilePermissions(plan.data(), PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            throw new Refused("cannot make the data folder '" + plan.data() + "' private (chmod 700): " + e.getMessage());
        }
    }

    private void buildWhenStale() {
        Path jar = plan.jar();
        String reason;
        if (!Files.isRegularFile(jar)) {
            if (!plan.build()) {
                throw new Refused(jar + " does not exist; build it (mvn install -pl datastore.dock -am) or drop --no-build");
            }
            reason = jar + " does not exist yet";
        } else if (plan.build()) {
            reason = newerSource(jar).map(file -> plan.root().relativize(file) + " changed since the last build").orElse(null);
        } else {
            reason = null;
        }
        if (reason == null) {
            return;
        }
        out.println("dock: building (" + reason + ")");
        out.flush();
        ProcessBuilder maven = new ProcessBuilder("mvn", "-q", "-B", "-DskipTests", "install", "-pl", "datastore.dock",
                "-am").directory(plan.root().toFile()).redirectErrorStream(true);
        maven.environment().put("JAVA_HOME", System.getProperty("java.home"));
        int status;
        try {
            Process build = maven.start();
            build.getOutputStream().close();
            try (BufferedReader output = new BufferedReader(new InputStreamReader(build.getInputStream(),
                    StandardCharsets.UTF_8))) {
                // (Without the colour resets Debian's Maven 3.8 prints even in batch mode.)
                output.lines().forEach(line -> {
                    out.println(line.replace("\u001b[0m", ""));
                    out.flush();
                });
            }
            status = build.waitFor();
        } catch (IOException e) {
            throw new Refused("Maven not found on PATH; it is needed to build the dock (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused("the build was interrupted");
        }
        if (status != 0) {
            throw new Refused("the build failed; see the Maven output above");
        }
        if (!Files.isRegularFile(jar)) {
            throw new Refused("the build did not produce " + jar);
        }
        // The exporter dates a jar like its newest bundle; date it like the build, so that a product or POM
        // edited before this build does not look newer.
        FileTime now = FileTime.fromMillis(System.currentTimeMillis());
        try (Stream<Path> jars = Files.list(jar.getParent())) {
            for (Path product : (Iterable<Path>) jars.filter(file -> file.toString().endsWith(".jar"))::iterator) {
                Files.setLastModifiedTime(product, now);
            }
        } catch (IOException e) {
            throw new Refused("cannot date the products in " + jar.getParent() + ": " + e.getMessage());
        }
    }

    /** A file that goes into a product (a POM, bnd file, product or main source) newer than {@code jar}, if any. */
    Optional<Path> newerSource(Path jar) {
        Path[] found = new Path[1];
        try {
            FileTime built = Files.getLastModifiedTime(jar);
            Files.walkFileTree(plan.root(), new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                    return name.equals("target") || name.equals(".git") || dir.equals(plan.data())
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    String name = file.getFileName().toString();
                    boolean source = name.equals("pom.xml") || name.endsWith(".bnd") || name.endsWith(".bndrun")
                            || plan.root().relativize(file).toString().contains("/src/main/");
                    if (source && attributes.lastModifiedTime().compareTo(built) > 0) {
                        found[0] = file;
                        return FileVisitResult.TERMINATE;
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.ofNullable(found[0]);
    }

    private List<String> runBundles() {
        try {
            return Files.readAllLines(plan.bndrun(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Refused("cannot read " + plan.bndrun() + ": " + e.getMessage());
        }
    }

    private static boolean has(List<String> bndrun, String bundle) {
        Pattern line = Pattern.compile("^\\s*" + Pattern.quote(bundle) + ";");
        return bndrun.stream().anyMatch(text -> line.matcher(text).find());
    }

    private static boolean answers(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The development API's configuration reaches Configuration Admin the way any configuration of this product
     * does: as a .cfg file FileInstall watches. The options given now replace their keys; other lines are kept.
     */
    void writeConfig(Path config) {
        try {
            List<String> existing = Files.isRegularFile(config) ? Files.readAllLines(config, StandardCharsets.UTF_8)
                    : List.of();
            List<String> lines = DevApiConfigFile.merge(existing, plan.devApi(), new SecureRandom());
            Path fresh = Files.createTempFile(plan.data(), "." + DevApiConfigFile.PID + ".cfg.", "",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(fresh, lines, StandardCharsets.UTF_8);
            Files.move(fresh, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new Refused("cannot write " + config + ": " + e.getMessage());
        }
    }

    /** A flash built for manufacture describes its own layout: the device serves a copy with its own table. */
    Path copyFlash() {
        Path copy = plan.data().resolve("flash.img");
        if (Files.exists(copy)) {
            throw new Refused("--flash: " + copy + " exists already; boot a new flash in a new --data folder (or delete it)");
        }
        Path partial = plan.data().resolve("flash.img.tmp");
        try {
            Files.copy(plan.flash(), partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, copy, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new Refused("--flash: cannot copy '" + plan.flash() + "' to " + copy + ": " + e.getMessage());
        }
        return copy;
    }
}
