package datastore.romtool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import datastore.flashtable.DefaultFlashLayout;
import datastore.flashtable.FlashTableImage;
import datastore.images.ImageFormats;
import datastore.romformat.RomImageBuilder;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomContent;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flash build}: the flash images of every dock of a list, from one ROM description. */
@Command(name = "build", mixinStandardHelpOptions = true, description = "Builds the flash images of every dock "
        + "of DOCKS.csv from one ROM description: the shared image, one unique-per-dock image per dock with the "
        + "offsets it is programmed at, and manifest.json; every row is checked first, and nothing is written "
        + "when any is bad.")
final class FlashBuildCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--rom", required = true, description = "The ROM store description (YAML).")
    Path rom;

    @Option(names = "--docks", required = true, description = "The list of docks (CSV with a header row: dock_id, "
            + "one column per unique-per-dock key, image columns as tag:png, tag:bmp or tag:jpeg).")
    Path docks;

    @Option(names = "--out", required = true, description = "The folder to write; must not exist or be empty.")
    Path out;

    @CommandLine.Mixin
    Signing signing = new Signing();

    @Option(names = "--layout", description = "A layout file (YAML: chip_size, erase_block_size, program_size, "
            + "rom_payload, runtime_payload, optional rom and runtime regions).")
    Path layout;

    @Option(names = "--chip-size", description = "The chip's size, e.g. 32MiB, 64MiB, 128MiB (default 128MiB); "
            + "the regions are computed from the promises.")
    String chipSize;

    @Option(names = "--rom-payload", description = "The ROM's payload promise (default 13MiB).")
    String romPayload;

    @Option(names = "--runtime-payload", description = "The runtime partition's payload promise (default 13MiB).")
    String runtimePayload;

    @Option(names = "--jobs", description = "Docks built in parallel (default: all cores).")
    Integer jobs;

    @Option(names = "--full", description = "Also write each dock's complete flash file to flash/<id>.img.")
    boolean full;

    @Option(names = "--allow-outside-paths", description = "Also read files outside the description's and the "
            + "list's folders.")
    boolean allowOutside;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        signing.check(spec.commandLine());
        if (layout != null && (chipSize != null || romPayload != null || runtimePayload != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--layout gives the chip and its promises; "
                    + "--chip-size, --rom-payload and --runtime-payload go without it");
        }
        int threads = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
        if (threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--jobs must be at least 1");
        }
        FlashPlan plan;
        try {
            plan = layout != null ? FlashPlan.read(layout) : FlashPlan.compute(
                    chipSize == null ? DefaultFlashLayout.CHIP_SIZE : FlashPlan.parseSize(chipSize),
                    DefaultFlashLayout.ERASE_BLOCK_SIZE, DefaultFlashLayout.PROGRAM_SIZE,
                    romPayload == null ? DefaultFlashLayout.ROM_PAYLOAD : FlashPlan.parseSize(romPayload),
                    runtimePayload == null ? DefaultFlashLayout.RUNTIME_PAYLOAD : FlashPlan.parseSize(runtimePayload));
        } catch (IllegalArgumentException e) {
            err.println("dock flash build: layout refused: " + e.getMessage());
            return DockTool.EXIT_INVALID;
        }
        RomImageBuilder builder = new RomImageBuilder(new ImageFormats(), plan.romPromise(), plan.romLayout());
        RomContent app;
        try {
            app = RomDescription.read(rom, builder, 0, allowOutside);
        } catch (InvalidRomContentException e) {
            RomTool.report(err, rom, e);
            return DockTool.EXIT_INVALID;
        }
        List<DockList.Dock> list;
        try {
            list = DockList.read(docks, builder, builder.payloadOf(app), allowOutside);
        } catch (DockList.InvalidDockListException e) {
            for (DockList.CsvError error : e.errors) {
                err.println(error.format(docks));
            }
            err.println("dock flash build: " + e.getMessage() + "; nothing was written");
            return DockTool.EXIT_INVALID;
        }
        PrivateKey key = signing.key();
        FlashBuild build = new FlashBuild(plan, builder, app, list, key, signing.generationOrNone());
        ProgressBar progress = new ProgressBar(err, System.console() != null);
        // Ctrl-C: the workers stop and the partial output is deleted before the JVM ends.
        Thread hook = new Thread(build::cancel, "flash-build-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        long start = System.nanoTime();
        List<FlashBuild.DockImage> images;
        try {
            images = build.run(out, threads, full, progress);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running: it cleans up.
            }
        }
        progress.finish();
        double seconds = (System.nanoTime() - start) / 1e9;
        long written = bytesIn(out);
        stdout.printf("built %d docks in %.1f s (%.1f docks/s, %d bytes written, %.1f MB/s) into %s%n",
                images.size(), seconds, images.size() / seconds, written, written / seconds / 1e6, out);
        stdout.printf("chip %s: %s; ROM promise %d bytes, runtime promise %d bytes%n",
                FlashPlan.size(plan.geometry().size()), describe(plan.table()), plan.romPromise(),
                plan.runtimePromise());
        long[] offsets = build.updOffsets();
        stdout.printf("program %s at 0, then each upd/<dock_id>.upd at %s and at %s%s%n", FlashBuild.SHARED,
                FlashPlan.hex(offsets[0]), FlashPlan.hex(offsets[1]), key == null ? " (unsigned)"
                        : " (signed, generation " + signing.generation + ")");
        return 0;
    }

    private static long bytesIn(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            long total = 0;
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                total += Files.size(file);
            }
            return total;
        }
    }

    static String describe(FlashTableImage.Table table) {
        List<String> parts = new ArrayList<>();
        for (FlashTableImage.Region region : table.regions()) {
            parts.add(region.name() + " [" + FlashPlan.hex(region.offset()) + ", " + FlashPlan.hex(region.end())
                    + ") " + FlashPlan.size(region.size()));
        }
        return String.join(", ", parts);
    }

    /** Progress on stderr: a bar redrawn in place on a terminal, a plain line every 10% or 5 s otherwise. */
    static final class ProgressBar implements FlashBuild.Progress {
        private final PrintWriter out;
        private final boolean terminal;
        private final long start = System.nanoTime();
        private long lastPrint = start;
        private int lastDone;

        ProgressBar(PrintWriter out, boolean terminal) {
            this.out = out;
            this.terminal = terminal;
        }

        @Override
        public synchronized void update(int done, int total) {
            long now = System.nanoTime();
            boolean due = terminal ? now - lastPrint > 100_000_000L || done == total
                    : now - lastPrint > 5_000_000_000L || done * 10L / total > lastDone * 10L / total || done == total;
            if (!due) {
                return;
            }
            lastPrint = now;
            lastDone = done;
            double seconds = Math.max((now - start) / 1e9, 1e-9);
            double rate = done / seconds;
            long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
            String figures = String.format("%d/%d docks, %.1f docks/s, ETA %d:%02d", done, total, rate, eta / 60,
                    eta % 60);
            if (terminal) {
                int width = 30;
                int filled = (int) ((long) done * width / total);
                out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + figures + "   ");
            } else {
                out.println("flash build: " + figures);
            }
            out.flush();
        }

        void finish() {
            if (terminal) {
                out.println();
                out.flush();
            }
        }
    }
}
