package datastore.romtool;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code flash} commands: {@code build} makes the flash images of a list of docks (a shared image, one
 * small unique-per-dock image each, a manifest), {@code inspect} reads a complete device dump by its own
 * partition table, {@code verify} compares a dump read back from a programmed device with what the
 * manifest promises, region by region.
 */
@Command(name = "flash", mixinStandardHelpOptions = true, description = "Builds, inspects and verifies whole "
        + "flash images of docks.", subcommands = {FlashBuildCommand.class, FlashInspect.class,
            FlashVerify.class})
public final class FlashTool implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: build, inspect or verify");
    }
}
