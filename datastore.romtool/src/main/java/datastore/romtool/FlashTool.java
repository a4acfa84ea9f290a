package datastore.romtool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.Namespace;
import datastore.Partitions;
import datastore.device.FlashTableImage;
import datastore.flashtable.DefaultFlashLayout;
import datastore.flash.FlashGeometry;
import datastore.images.ImageFormats;
import datastore.romformat.RomImage;
import datastore.romformat.RomImageBuilder;
import datastore.romformat.RomImageException;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;
import datastore.romformat.RomSigningKeys;
import datastore.romformat.RomStore;
import datastore.runtime.RuntimePromise;
import datastore.spi.EntryView;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code flash} commands: {@code build} makes the flash images of a list of docks (a shared image, one
 * small unique-per-dock image each, a manifest), {@code inspect} reads a complete device dump by its own
 * partition table, {@code verify} compares a dump read back from a programmed device with what the
 * manifest promises, region by region.
 */
@Command(name = "flash", mixinStandardHelpOptions = true, description = "Builds, inspects and verifies whole "
        + "flash images of docks.", subcommands = {FlashTool.Build.class, FlashTool.Inspect.class,
            FlashTool.Verify.class})
public final class FlashTool implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: build, inspect or verify");
    }

    @Command(name = "build", mixinStandardHelpOptions = true, description = "Builds the flash images of every dock "
            + "of DOCKS.csv from one ROM description: the shared image, one unique-per-dock image per dock with the "
            + "offsets it is programmed at, and manifest.json; every row is checked first, and nothing is written "
            + "when any is bad.")
    static final class Build implements Callable<Integer> {
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

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Reads a complete device dump by its "
            + "own partition table: every partition's state, the ROM's entries and unique-per-dock values, the "
            + "runtime partition's entries (read only), the rollback index and erase counts when known.")
    static final class Inspect implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The device dump (a complete flash file).")
        Path file;

        @Option(names = "--json", description = "Print JSON for machines.")
        boolean json;

        @Option(names = "--public-key", description = "A public key the ROM must be signed with (a file or base64); "
                + "repeat for every key the dock accepts.")
        List<String> publicKeys = new ArrayList<>();

        @Option(names = "--dock-id", description = "The dock's id, checked against the unique-per-dock section's "
                + "signed id (with --public-key).")
        String dockId;

        @Override
        public Integer call() throws IOException {
            List<PublicKey> keys = new ArrayList<>();
            for (String key : publicKeys) {
                keys.add(RomTool.publicKey(key));
            }
            ObjectNode report = inspect(file, keys, dockId);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JSON.writeValueAsString(report));
            } else {
                printText(report, out);
            }
            return report.path("sound").asBoolean() ? 0 : DockTool.EXIT_INVALID;
        }
    }

    /** What {@code flash inspect} reports, as a JSON tree. */
    static ObjectNode inspect(Path file, List<PublicKey> keys, String dockId) throws IOException {
        FlashTableImage.Table table = FlashTableImage.read(file).orElseThrow(() -> new IOException(file + " holds no "
                + "intact partition table in its last two erase blocks: not a complete dump of a dock's flash"));
        FlashGeometry geometry = table.geometry();
        ByteBuffer whole = ImageFileRegion.map(file);
        ObjectNode report = JSON.createObjectNode();
        boolean sound = true;
        report.put("file", file.toString());
        report.putObject("chip").put("size", geometry.size()).put("erase_block_size", geometry.eraseBlockSize())
                .put("program_size", geometry.programSize());
        List<String> wearProblems = new ArrayList<>();
        Optional<long[]> counts = FlashTableImage.eraseCounts(file, geometry, wearProblems);
        ArrayNode partitions = report.putArray("partitions");
        for (FlashTableImage.Region region : table.regions()) {
            ObjectNode node = partitions.addObject().put("name", region.name()).put("offset", region.offset())
                    .put("size", region.size());
            counts.ifPresent(all -> eraseCounts(node, all, region.offset(), region.size(), geometry));
            ImageFileRegion flash = ImageFileRegion.of(file, whole, region.name(), region.offset(), region.size(),
                    geometry.eraseBlockSize(), geometry.programSize());
            if (region.name().equals(Partitions.ROM)) {
                sound &= inspectRom(node, flash, keys, dockId);
            } else if (region.name().equals(Partitions.RUNTIME)) {
                sound &= inspectRuntime(node, flash);
            } else {
                node.put("state", "not a partition of this dock");
            }
        }
        long rollback = FlashTableImage.rollbackIndexOffset(geometry);
        ObjectNode index = report.putObject("rollback_index").put("offset", rollback);
        boolean clear = rollback >= 0 && table.regions().stream()
                .noneMatch(r -> r.end() > rollback && r.offset() < rollback + 2L * geometry.eraseBlockSize());
        if (!clear) {
            index.put("state", "none: a region covers its blocks");
        } else {
            try {
                long value = FlashTableImage.rollbackIndex(ImageFileRegion.of(file, whole, "rollback-index", rollback,
                        2L * geometry.eraseBlockSize(), geometry.eraseBlockSize(), geometry.programSize()));
                index.put("state", value == 0 ? "erased or 0" : "set").put("value", value);
            } catch (IllegalStateException e) {
                index.put("state", "foreign: " + e.getMessage());
                sound = false;
            }
        }
        if (counts.isEmpty()) {
            report.put("erase_counts", "unknown (no " + file.getFileName() + ".wear beside the dump)");
        } else {
            report.put("erase_counts", wearProblems.isEmpty() ? "from " + file.getFileName() + ".wear"
                    : "from " + file.getFileName() + ".wear, partly: " + String.join("; ", wearProblems));
        }
        report.put("sound", sound);
        return report;
    }

    private static void eraseCounts(ObjectNode node, long[] counts, long offset, long size, FlashGeometry geometry) {
        long min = Long.MAX_VALUE;
        long max = -1;
        long sum = 0;
        int known = 0;
        for (int block = (int) (offset / geometry.eraseBlockSize()); block < (offset + size)
                / geometry.eraseBlockSize(); block++) {
            if (counts[block] >= 0) {
                min = Math.min(min, counts[block]);
                max = Math.max(max, counts[block]);
                sum += counts[block];
                known++;
            }
        }
        if (known > 0) {
            node.putObject("erase_counts").put("min", min).put("max", max).put("mean", (double) sum / known)
                    .put("known_blocks", known);
        }
    }

    private static boolean inspectRom(ObjectNode node, ImageFileRegion region, List<PublicKey> keys, String dockId)
            throws IOException {
        Optional<String> refusal = RomStore.refusal(region);
        if (refusal.isPresent()) {
            node.put("state", "refused: " + refusal.get());
            return false;
        }
        RomLayout layout = RomLayout.of(region.geometry());
        long room = RomImageFormat.roomFor(layout.slotImageRoom());
        RomStore store = new RomStore(region, room, keys, dockId, null, Duration.ZERO);
        store.verifyAll();
        RomInfo info = store.info();
        node.put("state", info.sha256().isEmpty() ? "empty" : "mounted");
        node.put("generation", info.generation()).put("slot", info.slot()).put("signed_generation",
                store.signedGeneration()).put("sha256", info.sha256()).put("signature", keys.isEmpty()
                        ? "not checked" : info.signature().toString()).put("payload", info.payloadBytes())
                .put("capacity", info.capacity());
        ByteBuffer map = region.map();
        if (!RomImage.isErased(map, layout.updOffset())) {
            try {
                RomImage upd = RomImage.read(map, layout.updOffset(), layout.updImageRoom(), RomImageFormat.KIND_UPD);
                ObjectNode section = node.putObject("upd_section").put("digest", upd.digestHex()).put("length",
                        upd.length()).put("signed", upd.signed());
                if (upd.bound()) {
                    section.put("dock_id", upd.dockId()).put("signed_generation", upd.signedGeneration());
                }
            } catch (RomImageException e) {
                node.putObject("upd_section").put("problem", e.getMessage());
            }
        }
        ArrayNode entries = node.putArray("entries");
        for (Namespace namespace : Namespace.values()) {
            List<String> upd = store.uniquePerDockNames(namespace);
            for (String name : store.names(namespace)) {
                ObjectNode entry = entries.addObject().put("namespace", namespace.id()).put("name", name)
                        .put("source", upd.contains(name) ? "upd" : "application");
                try {
                    Optional<EntryView> view = store.open(namespace, name);
                    if (view.isPresent()) {
                        try (EntryView v = view.get()) {
                            describeValue(entry, namespace, v.format(), v.data());
                        }
                    }
                } catch (datastore.CorruptedEntryException e) {
                    entry.put("problem", "corrupted: " + e.getMessage());
                }
            }
        }
        if (info.problem().isPresent()) {
            node.put("problem", info.problem().get());
            return false;
        }
        return true;
    }

    private static boolean inspectRuntime(ObjectNode node, ImageFileRegion region) throws IOException {
        RuntimePromise.Contents contents = RuntimePromise.read(region);
        node.put("state", contents.state()).put("capacity", contents.capacity()).put("used", contents.used());
        ArrayNode entries = node.putArray("entries");
        for (Map.Entry<Namespace, Map<String, byte[]>> namespace : contents.entries().entrySet()) {
            for (Map.Entry<String, byte[]> value : namespace.getValue().entrySet()) {
                ObjectNode entry = entries.addObject().put("namespace", namespace.getKey().id()).put("name",
                        value.getKey());
                describeValue(entry, namespace.getKey(), -1, ByteBuffer.wrap(value.getValue()));
            }
        }
        if (!contents.problems().isEmpty()) {
            node.put("problem", String.join("; ", contents.problems()));
            return false;
        }
        return !contents.state().startsWith("refused");
    }

    private static void describeValue(ObjectNode entry, Namespace namespace, int format, ByteBuffer data) {
        entry.put("bytes", data.remaining());
        if (namespace == Namespace.KV) {
            byte[] bytes = new byte[data.remaining()];
            data.duplicate().get(bytes);
            entry.put("value", new String(bytes, StandardCharsets.UTF_8));
        } else if (namespace == Namespace.IMAGE && format >= 0) {
            try {
                entry.put("type", datastore.image.ImageType.ofCode(format).toString());
            } catch (IllegalArgumentException e) {
                entry.put("type", "format " + format);
            }
        }
    }

    private static void printText(ObjectNode report, PrintWriter out) {
        out.println("flash " + report.path("file").asText() + ": " + FlashPlan.size(report.path("chip").path("size")
                .asLong()) + ", erase block " + FlashPlan.size(report.path("chip").path("erase_block_size").asLong())
                + ", program size " + report.path("chip").path("program_size").asInt());
        for (var partition : report.path("partitions")) {
            long offset = partition.path("offset").asLong();
            out.println("partition " + partition.path("name").asText() + " [" + FlashPlan.hex(offset) + ", "
                    + FlashPlan.hex(offset + partition.path("size").asLong()) + "): " + partition.path("state").asText());
            if (partition.has("generation")) {
                out.println("  generation " + partition.path("generation").asLong() + " in slot "
                        + partition.path("slot").asInt() + ", signed generation "
                        + partition.path("signed_generation").asLong() + ", digest " + partition.path("sha256").asText()
                        + ", signature " + partition.path("signature").asText());
            }
            if (partition.has("upd_section")) {
                var upd = partition.path("upd_section");
                out.println("  unique-per-dock section: " + (upd.has("problem") ? upd.path("problem").asText()
                        : upd.path("length").asLong() + " bytes, digest " + upd.path("digest").asText()
                                + (upd.has("dock_id") ? ", signed for dock " + upd.path("dock_id").asText() : "")));
            }
            if (partition.has("capacity")) {
                out.println("  payload " + partition.path(partition.has("used") ? "used" : "payload").asLong() + " of "
                        + partition.path("capacity").asLong() + " bytes");
            }
            if (partition.has("erase_counts")) {
                var counts = partition.path("erase_counts");
                out.println("  erase counts " + counts.path("min").asLong() + " to " + counts.path("max").asLong());
            }
            for (var entry : partition.path("entries")) {
                out.println("  " + entry.path("namespace").asText() + " " + entry.path("name").asText()
                        + (entry.has("source") ? " (" + entry.path("source").asText() + ")" : "")
                        + (entry.has("value") ? " = " + quote(entry.path("value").asText())
                                : " " + (entry.has("type") ? entry.path("type").asText() + " " : "")
                                        + entry.path("bytes").asLong() + " bytes")
                        + (entry.has("problem") ? " " + entry.path("problem").asText() : ""));
            }
            if (partition.has("problem")) {
                out.println("  problems: " + partition.path("problem").asText());
            }
        }
        var index = report.path("rollback_index");
        out.println("rollback index at " + FlashPlan.hex(index.path("offset").asLong()) + ": " + index.path("state")
                .asText() + (index.has("value") ? " " + index.path("value").asLong() : ""));
        out.println("erase counts: " + report.path("erase_counts").asText());
        out.println(report.path("sound").asBoolean() ? "sound" : "problems found");
    }

    private static String quote(String value) {
        String shown = value.length() > 80 ? value.substring(0, 77) + "..." : value;
        return "\"" + datastore.Names.display(shown).replace("\"", "\\\"") + "\"";
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = "Compares a dump read back from a "
            + "programmed device with what the manifest promises for its dock, region by region; exit status 0 when "
            + "every region matches, 1 with the first differing offset of each region that does not.")
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The dump read back from the device.")
        Path file;

        @Option(names = "--manifest", required = true, description = "The manifest.json of the build.")
        Path manifest;

        @Option(names = "--dock", description = "The dock the device was programmed for (default: the dock whose "
                + "unique-per-dock image the dump holds).")
        String dock;

        @Override
        public Integer call() throws IOException {
            return verify(file, FlashManifest.read(manifest), dock, spec.commandLine().getOut());
        }
    }

    /** One span of the flash compared on its own. */
    private record Span(String name, long offset, long end) {
    }

    static int verify(Path file, FlashManifest manifest, String dockId, PrintWriter out) throws IOException {
        FlashGeometry geometry = manifest.table().geometry();
        long size = Files.size(file);
        if (size != geometry.size()) {
            out.println("FAIL " + file + " is " + size + " bytes; the manifest's chip has " + geometry.size());
            return DockTool.EXIT_INVALID;
        }
        ByteBuffer dump = ImageFileRegion.map(file);
        ByteBuffer shared = ImageFileRegion.map(manifest.sharedFile());
        if (shared.capacity() != size) {
            throw new IOException(manifest.sharedFile() + " is not the chip's size: not the build's shared image");
        }
        int sectionOffset = (int) manifest.updSection()[0];
        int sectionSize = (int) manifest.updSection()[1];
        String found = dumpUpdSha256(dump, sectionOffset, sectionSize);
        Optional<FlashManifest.Entry> holder = found == null ? Optional.empty() : manifest.docks().stream()
                .filter(entry -> entry.updSha256().equals(found)).findFirst();
        FlashManifest.Entry entry;
        if (dockId != null) {
            entry = manifest.dock(dockId).orElse(null);
            if (entry == null) {
                out.println("FAIL the manifest has no dock " + dockId);
                return DockTool.EXIT_INVALID;
            }
        } else if (holder.isPresent()) {
            entry = holder.get();
        } else {
            out.println("FAIL the unique-per-dock section at " + FlashPlan.hex(sectionOffset) + " holds no image of a "
                    + "dock of the manifest" + (found == null ? " (no readable image)" : " (sha256 " + found + ")")
                    + "; name the dock with --dock to compare every region");
            return DockTool.EXIT_INVALID;
        }
        out.println("dock " + entry.id());
        // What the regions are compared with must itself be what the build wrote.
        MessageDigest sharedDigest = FlashBuild.sha256();
        sharedDigest.update(shared.duplicate().clear());
        if (!FlashBuild.hex(sharedDigest.digest()).equals(manifest.sharedSha256())) {
            throw new IOException(manifest.sharedFile() + " does not match the manifest's sha256: not the build's "
                    + "shared image, or damaged");
        }
        byte[] upd = Files.readAllBytes(entry.updFile());
        if (!FlashBuild.hex(FlashBuild.sha256().digest(upd)).equals(entry.updSha256())) {
            throw new IOException(entry.updFile() + " does not match the manifest's sha256: not the build's image "
                    + "of dock " + entry.id() + ", or damaged");
        }
        byte[] section = new byte[sectionSize];
        shared.slice(sectionOffset, sectionSize).get(section);
        for (long offset : manifest.updOffsets()) {
            System.arraycopy(upd, 0, section, (int) (offset - sectionOffset), upd.length);
        }
        boolean pass = true;
        for (Span span : spans(manifest, geometry)) {
            int length = (int) (span.end() - span.offset());
            ByteBuffer expected = span.name().equals("upd") ? ByteBuffer.wrap(section)
                    : shared.slice((int) span.offset(), length);
            ByteBuffer actual = dump.slice((int) span.offset(), length);
            int at = actual.mismatch(expected);
            String where = span.name() + " [" + FlashPlan.hex(span.offset()) + ", " + FlashPlan.hex(span.end()) + ")";
            if (at < 0) {
                out.println("PASS " + where);
            } else {
                pass = false;
                long offset = span.offset() + at;
                out.printf("FAIL %s: first difference at %s (0x%02x expected, 0x%02x read)%s%n", where,
                        FlashPlan.hex(offset), expected.get(at) & 0xFF, actual.get(at) & 0xFF,
                        span.name().equals("upd") && holder.isPresent() && holder.get() != entry
                                ? "; it holds the unique-per-dock image of dock " + holder.get().id() : "");
            }
        }
        MessageDigest digest = FlashBuild.sha256();
        digest.update(dump.duplicate().clear());
        String sha256 = FlashBuild.hex(digest.digest());
        if (sha256.equals(entry.flashSha256())) {
            out.println("PASS complete flash sha256 " + sha256);
        } else {
            pass = false;
            out.println("FAIL complete flash sha256 " + sha256 + ", the manifest has " + entry.flashSha256());
        }
        out.println(pass ? "pass" : "fail");
        return pass ? 0 : DockTool.EXIT_INVALID;
    }

    /** The SHA-256 of the UPD image at the section's start of a dump, or null if there is none. */
    private static String dumpUpdSha256(ByteBuffer dump, int sectionOffset, int sectionSize) {
        try {
            RomImage image = RomImage.read(dump, sectionOffset, sectionSize / 2, RomImageFormat.KIND_UPD);
            byte[] bytes = new byte[image.length()];
            dump.slice(sectionOffset, image.length()).get(bytes);
            return FlashBuild.hex(FlashBuild.sha256().digest(bytes));
        } catch (RomImageException | RuntimeException e) {
            return null;
        }
    }

    /** Every byte of the chip in named spans: the regions (the ROM's UPD section on its own), the rest. */
    private static List<Span> spans(FlashManifest manifest, FlashGeometry geometry) {
        List<Span> spans = new ArrayList<>();
        long sectionStart = manifest.updSection()[0];
        long sectionEnd = sectionStart + manifest.updSection()[1];
        for (FlashTableImage.Region region : manifest.table().regions()) {
            if (region.offset() <= sectionStart && sectionEnd <= region.end()) {
                spans.add(new Span(region.name(), region.offset(), sectionStart));
                spans.add(new Span("upd", sectionStart, sectionEnd));
                spans.add(new Span(region.name(), sectionEnd, region.end()));
            } else {
                spans.add(new Span(region.name(), region.offset(), region.end()));
            }
        }
        long rollback = FlashTableImage.rollbackIndexOffset(geometry);
        long table = FlashTableImage.tableOffset(geometry);
        spans.add(new Span("rollback-index", rollback, table));
        spans.add(new Span("partition-table", table, geometry.size()));
        spans.removeIf(span -> span.end() <= span.offset());
        spans.sort(Comparator.comparingLong(Span::offset));
        List<Span> all = new ArrayList<>();
        long at = 0;
        for (Span span : spans) {
            if (span.offset() > at) {
                all.add(new Span("unallocated", at, span.offset()));
            }
            all.add(span);
            at = Math.max(at, span.end());
        }
        return all;
    }
}
