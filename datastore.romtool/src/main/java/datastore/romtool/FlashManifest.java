package datastore.romtool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.flash.FlashGeometry;
import datastore.flashtable.FlashTableImage;
import datastore.romformat.RomLayout;
import datastore.logstore.RuntimePromise;

/**
 * The manifest of a flash build ({@code manifest.json}, format 1): the chip, its partition table and
 * promises, the shared image with its SHA-256, where each dock's unique-per-dock (UPD) image goes, and
 * one record per dock: its id, its UPD image file and SHA-256, and the SHA-256 of its complete flash.
 * File names are relative to the manifest's folder.
 *
 * @param folder the manifest's folder
 * @param table the partition table
 * @param sharedFile the shared image
 * @param sharedSha256 its SHA-256
 * @param updSection the UPD section {@code [offset, offset + size)} on the device
 * @param updOffsets where a dock's UPD image is programmed (the section's first half, and its copy)
 * @param docks the docks, in the order of the list
 */
record FlashManifest(Path folder, FlashTableImage.Table table, Path sharedFile, String sharedSha256, long[] updSection,
        long[] updOffsets, List<Entry> docks) {
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One dock of the manifest. */
    record Entry(String id, Path updFile, String updSha256, String flashSha256) {
    }

    Optional<Entry> dock(String id) {
        return docks.stream().filter(entry -> entry.id.equalsIgnoreCase(id)).findFirst();
    }

    static byte[] encode(FlashPlan plan, String sharedSha256, long[] updOffsets, RomLayout romLayout, boolean signed,
            long generation, List<FlashBuild.DockImage> images) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ObjectNode chip = root.putObject("chip");
        chip.put("size", plan.geometry().size());
        chip.put("erase_block_size", plan.geometry().eraseBlockSize());
        chip.put("program_size", plan.geometry().programSize());
        ArrayNode regions = root.putArray("regions");
        for (FlashTableImage.Region region : plan.table().regions()) {
            regions.addObject().put("name", region.name()).put("offset", region.offset()).put("size", region.size());
        }
        root.putObject("promise").put("rom_payload", plan.romPromise()).put("runtime_payload", plan.runtimePromise())
                .put("runtime_entry_charge", RuntimePromise.ENTRY_CHARGE);
        root.putObject("shared_image").put("file", FlashBuild.SHARED).put("sha256", sharedSha256);
        ObjectNode upd = root.putObject("upd");
        upd.put("section_offset", plan.rom().offset() + romLayout.updOffset());
        upd.put("section_size", romLayout.updSize());
        upd.putArray("offsets").add(updOffsets[0]).add(updOffsets[1]);
        ObjectNode signature = root.putObject("signature");
        signature.put("signed", signed);
        if (signed) {
            signature.put("generation", generation);
        }
        ArrayNode docks = root.putArray("docks");
        for (FlashBuild.DockImage image : images) {
            ObjectNode dock = docks.addObject();
            dock.put("id", image.dock().id());
            dock.put("line", image.dock().line());
            dock.put("upd_file", image.updFile());
            dock.put("upd_length", image.updLength());
            dock.put("upd_sha256", image.updSha256());
            dock.put("flash_sha256", image.flashSha256());
            if (image.flashFile() != null) {
                dock.put("flash_file", image.flashFile());
            }
        }
        return JSON.writeValueAsBytes(root);
    }

    /**
     * Reads a manifest.
     *
     * @throws IOException if it cannot be read or is not a manifest of this format
     */
    static FlashManifest read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || root.path("format").asInt(-1) != FORMAT) {
            throw new IOException(file + " is not a flash build manifest of format " + FORMAT);
        }
        Path folder = file.toAbsolutePath().getParent();
        JsonNode chip = root.path("chip");
        FlashGeometry geometry = new FlashGeometry(chip.path("size").asLong(), chip.path("erase_block_size").asInt(),
                chip.path("program_size").asInt());
        List<FlashTableImage.Region> regions = new ArrayList<>();
        for (JsonNode region : root.path("regions")) {
            regions.add(new FlashTableImage.Region(region.path("name").asText(), region.path("offset").asLong(),
                    region.path("size").asLong()));
        }
        JsonNode upd = root.path("upd");
        long[] offsets = {upd.path("offsets").path(0).asLong(), upd.path("offsets").path(1).asLong()};
        List<Entry> docks = new ArrayList<>();
        for (JsonNode dock : root.path("docks")) {
            docks.add(new Entry(dock.path("id").asText(), folder.resolve(dock.path("upd_file").asText()),
                    dock.path("upd_sha256").asText(), dock.path("flash_sha256").asText()));
        }
        return new FlashManifest(folder, new FlashTableImage.Table(geometry, regions),
                folder.resolve(root.path("shared_image").path("file").asText()),
                root.path("shared_image").path("sha256").asText(),
                new long[] {upd.path("section_offset").asLong(), upd.path("section_size").asLong()}, offsets,
                List.copyOf(docks));
    }
}
