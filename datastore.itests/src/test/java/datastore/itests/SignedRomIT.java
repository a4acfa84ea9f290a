package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import datastore.itests.DockTools.Run;

/**
 * Signed ROM images on the exported development dock, booted on factory flash built by the tools
 * (signed, generation 5, one unique-per-dock section per dock), with the ROM configured to accept
 * an old and a new key, later the new one only. A rollback, an image signed with a retired key and
 * a unique-per-dock section transplanted from another dock are each refused, at mount and (for
 * application images, the only kind the development API takes) over the API, and a refusal over
 * the API leaves the store exactly as it was.
 */
public class SignedRomIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROMIMAGE = "/api/docks/application/romimage";

    private Path work;
    private String oldKey;
    private String newKey;

    @Test
    public void rollbackRetiredKeyAndTransplantAreRefusedAtMountAndOverTheApi() throws Exception {
        work = ExportedDock.newDataFolder("signed");
        Path yaml = DockTools.sample(work.resolve("sample"));
        tools("rom", "keygen", "--private", "old.key", "--public", "old.pub");
        tools("rom", "keygen", "--private", "new.key", "--public", "new.pub");
        oldKey = Files.readString(work.resolve("old.pub")).strip();
        newKey = Files.readString(work.resolve("new.pub")).strip();
        Files.writeString(work.resolve("docks.csv"), "dock_id,enrolment_token\nSIGNED-1,tok-one\nSIGNED-2,tok-two\n");
        Files.writeString(work.resolve("layout.yaml"), "chip_size: 4MiB\nerase_block_size: 4KiB\n"
                + "rom_payload: 400000\nruntime_payload: 64KiB\n");
        tools("flash", "build", "--rom", yaml.toString(), "--docks", "docks.csv", "--out", "out", "--layout",
                "layout.yaml", "--sign", "old.key", "--generation", "5", "--full");
        Path pristine = work.resolve("out/flash/SIGNED-1.img");
        JsonNode rom = inspect(pristine).path("partitions").path(0);
        assertEquals("rom", rom.path("name").asText());
        String[] geometry = {"--region-size", rom.path("size").asText(), "--erase-block-size", "4096",
            "--capacity", "400000"};
        Path gen4 = appImage(yaml, "old.key", 4, geometry);
        Path gen6 = appImage(yaml, "new.key", 6, geometry);
        Path gen7 = appImage(yaml, "old.key", 7, geometry);

        // Both keys accepted: an older image is refused over the API, a newer one with the new key taken.
        Path flash = copy(pristine, "used.img");
        try (ExportedDock dock = boot("both-keys", flash, oldKey, newKey)) {
            DevApiClient client = loggedIn(dock);
            StoreSnapshot before = StoreSnapshot.take(client, dock);
            assertTrue(dock.output(), dock.shell("datastore:kvget enrolment_token").contains("\"tok-one\""));
            DevApiClient.Answer refused = install(client, dock, gen4).expect(400);
            assertTrue(refused.text(), refused.details().startsWith("image: the ROM image is refused")
                    && refused.details().contains("older than generation 5"));
            before.assertUnchanged("a rollback over the development API", client, dock);
            JsonNode taken = install(client, dock, gen6).expect(200).json().path("data").path("attributes");
            assertEquals(taken.toString(), "VERIFIED", taken.path("signature").asText());
            dock.stop();
        }
        assertEquals(6, inspect(flash).path("rollback_index").path("value").asLong());

        // The old key retired: an image signed with it is refused over the API.
        try (ExportedDock dock = boot("new-key", flash, newKey)) {
            DevApiClient client = loggedIn(dock);
            StoreSnapshot before = StoreSnapshot.take(client, dock);
            DevApiClient.Answer refused = install(client, dock, gen7).expect(400);
            assertTrue(refused.text(), refused.details().contains("does not verify"));
            before.assertUnchanged("an image signed with a retired key", client, dock);
            dock.stop();
        }

        // At mount: the older signed ROM region written back over the dock's (the rollback index says 6).
        Path rolledBack = copy(flash, "rolled-back.img");
        overwrite(rolledBack, pristine, rom.path("offset").asLong(), rom.path("size").asLong());
        assertRefusedAtMount("rollback", rolledBack, "older than generation 6", oldKey, newKey);

        // At mount: the factory image, signed with the retired key only.
        assertRefusedAtMount("retired", copy(pristine, "retired.img"), "does not verify", newKey);

        // At mount: another dock's unique-per-dock section copied over this one's, at both its places.
        JsonNode manifest = JSON.readTree(work.resolve("out/manifest.json").toFile());
        Path transplanted = copy(pristine, "transplanted.img");
        byte[] foreign = Files.readAllBytes(work.resolve("out").resolve(manifest.path("docks").path(1)
                .path("upd_file").asText()));
        try (var channel = java.nio.channels.FileChannel.open(transplanted, java.nio.file.StandardOpenOption.WRITE)) {
            for (JsonNode offset : manifest.path("upd").path("offsets")) {
                channel.write(java.nio.ByteBuffer.wrap(foreign), offset.asLong());
            }
        }
        try (ExportedDock dock = boot("transplant", transplanted, oldKey, newKey)) {
            String token = dock.shell("datastore:kvget enrolment_token");
            assertFalse(token, token.contains("tok-two"));
            assertFalse(token, token.contains("tok-one"));
            String info = dock.shell("datastore:rominfo");
            assertTrue(info, info.contains("SIGNED-2") || info.contains("signed for dock"));
            // The application image is not the transplant's victim: the shared ROM is served.
            assertTrue(dock.shell("datastore:kvget dock_name").contains("(partition rom)"));
            dock.stop();
        }
    }

    private void tools(String... args) throws Exception {
        Run run = DockTools.tools(work, args);
        assertEquals(String.join(" ", args) + ":\n" + run.output(), 0, run.status());
    }

    private JsonNode inspect(Path flash) throws Exception {
        Run run = DockTools.tools(work, "flash", "inspect", flash.toString(), "--json");
        assertEquals(run.output(), 0, run.status());
        return JSON.readTree(run.output());
    }

    private Path appImage(Path yaml, String key, long generation, String... geometry) throws Exception {
        Path image = work.resolve("app-" + generation + ".img");
        String[] args = {"rom", "build", "--config", yaml.toString(), "--out", image.toString(), "--app-image",
            "--sign", key, "--generation", Long.toString(generation)};
        String[] all = java.util.Arrays.copyOf(args, args.length + geometry.length);
        System.arraycopy(geometry, 0, all, args.length, geometry.length);
        tools(all);
        return image;
    }

    private Path copy(Path flash, String name) throws Exception {
        return Files.copy(flash, work.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void overwrite(Path target, Path source, long offset, long size) throws Exception {
        byte[] bytes = Files.readAllBytes(source);
        try (var channel = java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(bytes, (int) offset, (int) size), offset);
        }
    }

    /**
     * A development dock on {@code flash} whose ROM accepts {@code keys} and is dock SIGNED-1. The
     * ROM's configuration is in Configuration Admin's own folder before the start, as a dock keeps
     * it across restarts, so the ROM partition mounts with it the first time (the deploy folder
     * would hand it over only once FileInstall gets to it, and the ROM would mount twice).
     */
    private ExportedDock boot(String name, Path flash, String... keys) throws Exception {
        Path data = ExportedDock.newDataFolder(name);
        Files.createDirectories(data.resolve("config/datastore"));
        StringBuilder list = new StringBuilder();
        for (String key : keys) {
            // (Configuration Admin's file format escapes '=', which base64 ends with.)
            list.append(list.length() == 0 ? "" : ",").append('"').append(key.replace("=", "\\=")).append('"');
        }
        Files.writeString(data.resolve("config/datastore/rom.config"), "service.pid=\"datastore.rom\"\n"
                + "public.keys=[" + list + "]\n");
        ExportedDock dock = ExportedDock.start("dock", data, Map.of("datastore.flash.file", flash.toString(),
                "datastore.dock.id", "SIGNED-1"));
        dock.awaitHttpPort();
        String component = dock.shell("scr:info datastore.rom");
        assertTrue("the ROM runs without its keys:\n" + component, component.contains("public.keys<String[]>"));
        return dock;
    }

    private void assertRefusedAtMount(String name, Path flash, String reason, String... keys) throws Exception {
        try (ExportedDock dock = boot(name, flash, keys)) {
            String info = dock.shell("datastore:rominfo");
            assertTrue(name + ": " + info + "\n" + dock.output(), info.contains(reason));
            String value = dock.shell("datastore:kvget dock_name");
            assertFalse(name + ": " + value, value.contains("(partition rom)"));
            dock.stop();
        }
    }

    private static DevApiClient loggedIn(ExportedDock dock) throws Exception {
        DevApiClient client = new DevApiClient(dock.port());
        Properties credentials = DevApiClient.generatedCredentials(dock.data());
        client.login(credentials);
        return client;
    }

    private static DevApiClient.Answer install(DevApiClient client, ExportedDock dock, Path image) throws Exception {
        String dockId = DevApiClient.generatedCredentials(dock.data()).getProperty("dock.id");
        return client.post(ROMIMAGE, DevApiClient.document("applicationRomImage", DevApiClient.object()
                .put("dockId", dockId).put("image", Base64.getEncoder().encodeToString(Files.readAllBytes(image)))));
    }
}
