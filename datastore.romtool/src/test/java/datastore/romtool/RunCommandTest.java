package datastore.romtool;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import picocli.CommandLine;

/**
 * {@code run}'s options on a repository of three products (development {@code dock}, {@code production} and
 * {@code minimal}): the defaults, what {@code --production} picks, the development API's values in option order
 * with the secret file's first line, every refusal with its message and exit status 2 before anything is
 * written, and a missing jar under {@code --no-build} refused with status 1.
 */
public class RunCommandTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Path root;

    @Before
    public void setUp() throws Exception {
        root = temp.getRoot().toPath().resolve("repo");
        Files.createDirectories(root.resolve("cnf"));
        Files.writeString(root.resolve("cnf/dock.bndrun"), "# datastore.mode=production in a comment\n"
                + "-runproperties.mode: datastore.mode=development\n-runbundles: \\\n"
                + "\torg.apache.felix.fileinstall;version='[3.7.4,3.7.5)',\\\n\tdatastore.devapi;version=1\n");
        Files.writeString(root.resolve("cnf/production.bndrun"), "-runproperties.mode: datastore.mode=production\n");
        Files.writeString(root.resolve("cnf/minimal.bndrun"), "-runbundles: datastore.store;version=1\n");
    }

    private CommandLine line() {
        RunCommand run = new RunCommand();
        run.root = root;
        CommandLine line = new CommandLine(run);
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        return line;
    }

    private RunCommand.Plan plan(String... args) {
        CommandLine line = line();
        line.parseArgs(args);
        return ((RunCommand) line.getCommand()).plan();
    }

    private void assertRefused(String message, String... args) {
        int status = line().execute(args);
        assertEquals(err.toString(), 2, status);
        assertTrue(err.toString(), err.toString().contains(message));
        assertTrue(err.toString(), err.toString().contains("Usage: run"));
        assertFalse("nothing written", Files.exists(root.resolve("dock-data")));
        assertEquals("", out.toString());
        err.getBuffer().setLength(0);
    }

    @Test
    public void theDefaultsRunTheDevelopmentProduct() {
        RunCommand.Plan plan = plan();
        assertEquals("dock", plan.product());
        assertEquals("development", plan.mode());
        assertEquals(root.resolve("datastore.dock/target/dock.jar"), plan.jar());
        assertEquals(root.resolve("dock-data"), plan.data());
        assertEquals("127.0.0.1", plan.bind());
        assertEquals(8080, plan.port());
        assertTrue(plan.build());
        assertNull(plan.flash());
        assertEquals(Map.of(), plan.devApi());
    }

    @Test
    public void productionPicksTheProductionProduct() {
        RunCommand.Plan plan = plan("--production", "--port", "08081", "--bind", "::1", "--no-build", "--data", "d");
        assertEquals("production", plan.product());
        assertEquals("production", plan.mode());
        assertEquals(8081, plan.port());
        assertEquals("::1", plan.bind());
        assertFalse(plan.build());
        assertEquals(Path.of("d").toAbsolutePath(), plan.data());
        // A product without datastore.mode runs in production mode, as the bundles do.
        assertEquals("production", plan("--product", "minimal").mode());
        assertEquals("production", plan("--product", "minimal", "--production").mode());
    }

    @Test
    public void theDevelopmentApiOptionsKeepTheirOrderAndTheLastSecretWins() throws Exception {
        Path secret = temp.newFile("secret").toPath();
        Files.writeString(secret, "from-a-file:42\r\nsecond line\n");
        RunCommand.Plan plan = plan("--enterprise-id", "ent-7", "--client-secret", "given", "--client-id", "c",
                "--client-secret-file", secret.toString(), "--dock-id", "RW02-0042");
        assertEquals(List.of("enterprise.id", "client.secret", "client.id", "dock.id"),
                List.copyOf(plan.devApi().keySet()));
        assertEquals("from-a-file:42", plan.devApi().get("client.secret"));
        assertEquals("RW02-0042", plan.devApi().get("dock.id"));
    }

    @Test
    public void contradictionsAndBadValuesAreRefusedBeforeAnythingIsWritten() throws Exception {
        assertRefused("--production and --development contradict each other", "--production", "--development");
        assertRefused("product 'dock' runs in development mode (cnf/dock.bndrun sets datastore.mode); for production "
                + "run --production without --product, or --product production", "--production", "--product", "dock");
        assertRefused("product 'minimal' runs in production mode", "--development", "--product", "minimal");
        assertRefused("unknown product 'nope'; the products are: dock minimal production", "--product", "nope");
        assertRefused("unknown product '../cnf/dock'", "--product", "../cnf/dock");
        assertRefused("--dock-id configures the development API, which product 'production' (production mode) does "
                + "not have", "--production", "--dock-id", "RW02", "--client-id", "x");
        assertRefused("go together (or none of them, to use generated credentials); 2 of 3 given",
                "--client-id", "a", "--client-secret", "b");
        assertRefused("--dock-id must be printable ASCII without spaces, '$' or '\\', not 'a$b'", "--dock-id", "a$b");
        assertRefused("--client-id must be printable ASCII", "--client-id", "a\\b");
        assertRefused("--client-id must be printable ASCII", "--client-id", "a b");
        assertRefused("--client-id must be printable ASCII", "--client-id", "");
        assertRefused("--bind must be a host name or an IP address, not '127.0.0.1/8'", "--bind", "127.0.0.1/8");
        assertRefused("--port must be a number from 1 to 65535, not '70000'", "--port", "70000");
        assertRefused("--port must be a number from 1 to 65535, not '0'", "--port", "0");
        assertRefused("--port must be a number from 1 to 65535, not 'http'", "--port", "http");
        assertRefused("--data needs a folder", "--data", "");
        assertRefused("--in-place goes with --flash", "--in-place");
        assertRefused("--flash: '/nonexistent/flash.img' is not a readable file", "--flash", "/nonexistent/flash.img");
        assertRefused("--client-secret-file: '/nonexistent/secret' is not a readable file",
                "--client-secret-file", "/nonexistent/secret");
        Path empty = temp.newFile("empty").toPath();
        assertRefused("--client-secret-file: '" + empty + "' is empty", "--client-secret-file", empty.toString());
        Path spaced = temp.newFile("spaced").toPath();
        Files.writeString(spaced, "two words\n");
        assertRefused("--client-secret-file (first line of '" + spaced + "') must be printable ASCII",
                "--client-secret-file", spaced.toString());
        assertRefused("Missing required parameter for option '--port'", "--port");
        // picocli suggests the option meant instead of the usage.
        assertEquals(2, line().execute("--nope"));
        assertTrue(err.toString(), err.toString().contains("Unknown option: '--nope'"));
    }

    @Test
    public void withoutTheRepositoryRunIsRefused() {
        RunCommand run = new RunCommand();
        run.root = null;
        CommandLine line = new CommandLine(run);
        line.setErr(new PrintWriter(err, true));
        assertEquals(2, line.execute());
        assertTrue(err.toString(), err.toString().contains("start it as ./dock run"));
    }

    @Test
    public void aMissingJarUnderNoBuildIsRefusedInAPrivateDataFolder() throws Exception {
        int status = line().execute("--no-build");
        assertEquals(err.toString(), 1, status);
        assertTrue(err.toString(), err.toString().contains("dock: " + root.resolve("datastore.dock/target/dock.jar")
                + " does not exist; build it (mvn install -pl datastore.dock -am) or drop --no-build"));
        assertTrue(Files.isDirectory(root.resolve("dock-data/deploy")));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("dock-data"))));
    }

    @Test
    public void helpListsTheOptions() {
        assertEquals(0, line().execute("--help"));
        for (String option : List.of("--data", "--port", "--bind", "--production", "--development", "--product",
                "--no-build", "--flash", "--in-place", "--dock-id", "--client-id", "--client-secret",
                "--client-secret-file", "--enterprise-id", "Ctrl-C")) {
            assertTrue(option, out.toString().contains(option));
        }
    }

    @Test
    public void theCommandLineNamesRunAmongItsCommands() {
        StringWriter usage = new StringWriter();
        assertEquals(0, DockTool.run(new String[] {"help"}, new PrintWriter(usage, true), new PrintWriter(err, true)));
        for (String command : List.of("  run ", "  rom ", "  flash ", "  help ")) {
            assertTrue(usage.toString(), usage.toString().contains(command));
        }
        usage.getBuffer().setLength(0);
        assertEquals(0, DockTool.run(new String[] {"help", "run"}, new PrintWriter(usage, true), new PrintWriter(err, true)));
        assertTrue(usage.toString(), usage.toString().contains("Usage: dock run") && usage.toString().contains("--flash"));
        assertEquals(2, DockTool.run(new String[0], new PrintWriter(usage, true), new PrintWriter(err, true)));
        assertTrue(err.toString(), err.toString().contains("name a command: run, rom, flash or help"));
    }
}
