package datastore.romtool;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The dock's command line, {@code ./dock <command>} in the repository and
 * {@code java -jar datastore.romtool-<version>-cli.jar <command>} on a factory machine: {@code run}
 * starts a dock product of the repository ({@link RunCommand}), {@code rom}
 * builds, inspects and verifies the ROM of one dock, {@code flash} makes verified flash images for a
 * list of docks and checks what was read back from a programmed device. Exit codes: 0 success, 1 invalid
 * input or a failed check, 2 bad usage or an I/O failure.
 */
@Command(name = "dock", mixinStandardHelpOptions = true, version = "dock manufacturing tools 1.2",
        description = "Dock Datastore: runs a dock; makes ROM images and whole flash images for docks.",
        subcommands = {RunCommand.class, RomTool.class, FlashTool.class, CommandLine.HelpCommand.class})
public final class DockTool implements Runnable {
    static final int EXIT_INVALID = 1;
    static final int EXIT_FAILURE = 2;

    /** The engines log what the tool prints anyway; held so the setting is not collected with the loggers. */
    private static final java.util.logging.Logger[] ENGINE_LOGS = {
        java.util.logging.Logger.getLogger("datastore.romformat"), java.util.logging.Logger.getLogger("datastore.logstore"),
        java.util.logging.Logger.getLogger("datastore.device")};

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given output streams; returns the exit code (benchmarks run it in-process). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        for (java.util.logging.Logger log : ENGINE_LOGS) {
            log.setLevel(java.util.logging.Level.OFF);
        }
        CommandLine line = new CommandLine(new DockTool());
        line.setOut(out);
        line.setErr(err);
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            return EXIT_FAILURE;
        });
        return line.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: run, rom, flash or help");
    }
}
