package datastore.romtool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./dock run}: starts a dock product of this repository ({@code cnf/NAME.bndrun}) in the foreground. Every
 * option is checked, and a contradiction refused, before anything is written or started; then {@link DockLaunch}
 * rebuilds the product when it is stale, prepares the data folder and runs the product's jar as a child that
 * this process stops cleanly. The repository is the system property {@code dock.root}, which {@code ./dock} sets.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Builds the product if its jar is missing or stale, then starts it in the foreground.",
        footer = {"",
            "Development API (development mode only): each of --dock-id, --client-id, --client-secret(-file) and "
                + "--enterprise-id is written to <data>/deploy/" + DevApiConfigFile.PID + ".cfg, which FileInstall "
                + "hands to Configuration Admin, and stays there for later runs. The client id, secret and enterprise "
                + "id go together, or none: without them the dock generates a set on first start, keeps it in "
                + "<data>/dev-credentials.properties and prints it once. Values are printable ASCII without spaces, "
                + "'$' or '\\'. The secret is written as a salted SHA-256 hash (client.secret.hash), never in clear.",
            "",
            "The Gogo shell reads this terminal (try: lb, update <id>, help, datastore:usage). Ctrl-C, Ctrl-D at the "
                + "g! prompt, or SIGTERM stops the framework cleanly; a second Ctrl-C forces the JVM down. Copying a "
                + "bundle jar into <data>/deploy installs it, or updates the running bundle of the same symbolic name "
                + "and version (hot-replace of datastore.ephemeral).",
            "",
            "Exit status: the dock's (0 when the framework stopped cleanly), 1 when it cannot start, 2 bad usage."})
public final class RunCommand implements Callable<Integer> {
    static final String DEVELOPMENT = "development";
    static final String PRODUCTION = "production";
    private static final Pattern MODE = Pattern.compile("^[^#]*datastore\\.mode=([A-Za-z]*)");
    /** A host name or an IPv4/IPv6 literal (IPv6 without brackets). */
    private static final Pattern BIND = Pattern.compile("[A-Za-z0-9._:-]+");
    /** Printable ASCII without spaces; no '$' (FileInstall substitutes ${...}) and no '\' (a properties escape). */
    private static final Pattern CONFIG_VALUE = Pattern.compile("[!-#%-\\[\\]-~]+");

    @Spec
    CommandSpec spec;

    /** The repository, {@code -Ddock.root}; set directly by tests. */
    Path root = property("dock.root");
    /** Whether standard input is a terminal, {@code -Ddock.terminal}: only a terminal is forwarded to the shell. */
    boolean terminal = Boolean.getBoolean("dock.terminal");

    @Option(names = "--data", paramLabel = "DIR", description = "Folder for everything the dock keeps: the flash "
            + "file, configuration, the deploy/ folder and the framework cache (default: dock-data/ in the repository).")
    String data;

    @Option(names = "--port", paramLabel = "N", description = "HTTP port (default: 8080).")
    String port = "8080";

    @Option(names = "--bind", paramLabel = "ADDR", description = "Address the HTTP service listens on (default: "
            + "127.0.0.1; anything else makes the development API reachable from other machines).")
    String bind = "127.0.0.1";

    @Option(names = "--production", description = "Run in production mode: without --product this runs the "
            + "production product (no development API at all); with --product, that product must be a production one.")
    boolean production;

    @Option(names = "--development", description = "Run in development mode: the product must be a development one "
            + "(the default product, dock, is).")
    boolean development;

    @Option(names = "--product", paramLabel = "NAME", description = "The product to run, cnf/NAME.bndrun (default: "
            + "dock, or production with --production).")
    String product;

    @Option(names = "--no-build", description = "Run the product's jar as it is, even if sources are newer (fails "
            + "when it is missing): for scripts and tests that built it already.")
    boolean noBuild;

    @Option(names = "--flash", paramLabel = "FILE", description = "Boot on FILE, a complete flash built by 'flash "
            + "build --full' (or a dump read back from a device): it is copied to <data>/flash.img (which must not "
            + "exist yet) and served with the layout of its own partition table, whatever the chip size.")
    String flash;

    @Option(names = "--in-place", description = "With --flash: serve FILE itself, so the dock's writes land in it.")
    boolean inPlace;

    /** The development API's options in the order given: option name, configuration key, value or file. */
    private final List<String[]> devApiOptions = new ArrayList<>();

    @Option(names = "--dock-id", paramLabel = "ID", description = "This dock's id, which requests must name in dockId.")
    void dockId(String id) {
        devApiOptions.add(new String[] {"--dock-id", "dock.id", id});
    }

    @Option(names = "--client-id", paramLabel = "ID", description = "The login's clientId.")
    void clientId(String id) {
        devApiOptions.add(new String[] {"--client-id", "client.id", id});
    }

    @Option(names = "--client-secret", paramLabel = "SECRET", description = "The login's clientSecret.")
    void clientSecret(String secret) {
        devApiOptions.add(new String[] {"--client-secret", DevApiConfigFile.SECRET, secret});
    }

    @Option(names = "--client-secret-file", paramLabel = "FILE", description = "The same, read from the first line "
            + "of FILE (keeps the secret out of the process list).")
    void clientSecretFile(String file) {
        devApiOptions.add(new String[] {"--client-secret-file", DevApiConfigFile.SECRET, file});
    }

    @Option(names = "--enterprise-id", paramLabel = "ID", description = "The login's enterpriseId.")
    void enterpriseId(String id) {
        devApiOptions.add(new String[] {"--enterprise-id", "enterprise.id", id});
    }

    /**
     * What to start, every option checked.
     *
     * @param product the product's name, its run descriptor and executable jar
     * @param mode {@code development} or {@code production}, as the product's {@code datastore.mode} says
     * @param data the data folder, absolute (not created yet)
     * @param flash the flash file to boot on, absolute, or null
     * @param devApi the development API's configuration keys and values given, in option order (the secret in clear)
     */
    record Plan(Path root, String product, Path bndrun, Path jar, String mode, Path data, String bind, int port,
            boolean build, Path flash, boolean inPlace, Map<String, String> devApi) {
    }

    /**
     * {@code ./dock run ARGS}: this command alone, without the manufacturing commands, whose start (their
     * options' types, the engines, JSON) would cost each start of a dock seconds on a busy machine.
     */
    public static void main(String[] args) {
        CommandLine line = new CommandLine(new RunCommand()).setCommandName("./dock run");
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("dock: " + e);
            return DockTool.EXIT_INVALID;
        });
        System.exit(line.execute(args));
    }

    @Override
    public Integer call() {
        Plan plan = plan();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return new DockLaunch(plan, terminal, out, err).run();
        } catch (DockLaunch.Refused e) {
            err.println("dock: " + e.getMessage());
            return DockTool.EXIT_INVALID;
        }
    }

    /**
     * Checks the options as given.
     *
     * @throws ParameterException for bad usage: a malformed value, an unknown product, a contradiction
     */
    Plan plan() {
        if (root == null) {
            throw usage("run starts a product of the dock's repository: start it as ./dock run (-Ddock.root unset)");
        }
        if (production && development) {
            throw usage("--production and --development contradict each other; give one of them");
        }
        if (data != null && data.isEmpty()) {
            throw usage("--data needs a folder");
        }
        int portNumber = port.matches("[0-9]{1,5}") ? Integer.parseInt(port) : -1;
        if (portNumber < 1 || portNumber > 65535) {
            throw usage("--port must be a number from 1 to 65535, not '" + port + "'");
        }
        if (!BIND.matcher(bind).matches()) {
            throw usage("--bind must be a host name or an IP address, not '" + bind + "'");
        }
        Map<String, String> devApi = devApiValues();

        String name = product != null ? product : production ? PRODUCTION : "dock";
        Path bndrun = root.resolve("cnf").resolve(name + ".bndrun");
        if (!name.matches("[A-Za-z0-9._-]+") || !Files.isRegularFile(bndrun)) {
            throw usage("unknown product '" + name + "'; the products are: " + String.join(" ", products()));
        }
        // The product decides its mode (datastore.mode in its -runproperties; absent means production, as for
        // the bundles); --production and --development only state what is expected.
        String mode = productMode(bndrun);
        String expected = production ? PRODUCTION : development ? DEVELOPMENT : null;
        if (expected != null && !expected.equals(mode)) {
            throw usage("product '" + name + "' runs in " + mode + " mode (cnf/" + name + ".bndrun sets datastore.mode); "
                    + (production ? "for production run --production without --product, or --product production"
                            : "for development run --product dock"));
        }
        if (!devApiOptions.isEmpty()) {
            if (!mode.equals(DEVELOPMENT)) {
                throw usage(devApiOptions.get(0)[0] + " configures the development API, which product '" + name
                        + "' (" + mode + " mode) does not have");
            }
            long given = Stream.of("client.id", DevApiConfigFile.SECRET, "enterprise.id").filter(devApi::containsKey)
                    .count();
            if (given != 0 && given != 3) {
                throw usage("--client-id, --client-secret and --enterprise-id go together (or none of them, to use "
                        + "generated credentials); " + given + " of 3 given");
            }
        }
        if (inPlace && flash == null) {
            throw usage("--in-place goes with --flash");
        }
        Path flashFile = null;
        if (flash != null) {
            flashFile = Paths.get(flash).toAbsolutePath().normalize();
            if (flash.isEmpty() || !Files.isRegularFile(flashFile) || !Files.isReadable(flashFile)) {
                throw usage("--flash: '" + flash + "' is not a readable file");
            }
        }
        Path dataFolder = (data != null ? Paths.get(data) : root.resolve("dock-data")).toAbsolutePath().normalize();
        return new Plan(root, name, bndrun, root.resolve("datastore.dock/target/" + name + ".jar"), mode, dataFolder,
                bind, portNumber, !noBuild, flashFile, inPlace, devApi);
    }

    /** The development API's values, the secret file read; the last of two options for one key wins. */
    private Map<String, String> devApiValues() {
        Map<String, String> values = new LinkedHashMap<>();
        for (String[] option : devApiOptions) {
            String name = option[0];
            String value = option[2];
            if (name.equals("--client-secret-file")) {
                Path file = Paths.get(value);
                if (value.isEmpty() || !Files.isRegularFile(file) || !Files.isReadable(file)) {
                    throw usage("--client-secret-file: '" + value + "' is not a readable file");
                }
                String text;
                try {
                    text = Files.readString(file, StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    throw usage("--client-secret-file: '" + value + "' cannot be read: " + e.getMessage());
                }
                if (text.isEmpty()) {
                    throw usage("--client-secret-file: '" + value + "' is empty");
                }
                String line = text.lines().findFirst().orElse("");
                name = "--client-secret-file (first line of '" + value + "')";
                value = line;
            }
            if (!CONFIG_VALUE.matcher(value).matches()) {
                throw usage(name + " must be printable ASCII without spaces, '$' or '\\', not '" + value + "'");
            }
            values.put(option[1], value);
        }
        return values;
    }

    /** The products of the repository: the names of {@code cnf/*.bndrun}, sorted. */
    List<String> products() {
        try (Stream<Path> files = Files.list(root.resolve("cnf"))) {
            return files.map(file -> file.getFileName().toString()).filter(file -> file.endsWith(".bndrun"))
                    .map(file -> file.substring(0, file.length() - ".bndrun".length())).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private String productMode(Path bndrun) {
        try {
            for (String line : Files.readAllLines(bndrun, StandardCharsets.UTF_8)) {
                Matcher mode = MODE.matcher(line);
                if (mode.find()) {
                    return mode.group(1).isEmpty() ? PRODUCTION : mode.group(1);
                }
            }
            return PRODUCTION;
        } catch (IOException e) {
            throw usage("cannot read " + bndrun + ": " + e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static Path property(String name) {
        String value = System.getProperty(name);
        return value == null || value.isEmpty() ? null : Paths.get(value).toAbsolutePath().normalize();
    }
}
