package datastore.romtool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.Namespace;
import datastore.Partitions;
import datastore.flash.FlashGeometry;
import datastore.flashtable.FlashTableImage;
import datastore.romformat.RomImage;
import datastore.romformat.RomImageException;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;
import datastore.romformat.RomStore;
import datastore.logstore.RuntimePromise;
import datastore.spi.EntryView;
import datastore.spi.RomInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flash inspect}: a complete device dump read by its own partition table, in text or JSON. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Reads a complete device dump by its "
        + "own partition table: every partition's state, the ROM's entries and unique-per-dock values, the "
        + "runtime partition's entries (read only), the rollback index and erase counts when known.")
final class FlashInspect implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
}
