package datastore.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Durability across a restart of the exported {@code dock} product: keys and an image written to
 * the runtime partition through the shell, and a ROM store replaced over HTTP, are there after a
 * clean stop and a new start on the same data folder; what was in the ephemeral partition (keys, an
 * image, deployed code) is gone, uncovering the values below it. The generated credentials are
 * reused, not generated and printed again.
 */
public class RestartIT {

    @Test
    public void runtimeAndRomDataSurviveARestartAndEphemeralDataDoesNot() throws Exception {
        Path data = ExportedDock.newDataFolder("restart");
        Path logo = SampleRomStore.sampleFolder().resolve("images/small.png");
        Path photo = SampleRomStore.sampleFolder().resolve("images/small.jpg");
        SampleRomStore sample = SampleRomStore.load();
        String romSha;
        String dockId;
        try (ExportedDock dock = ExportedDock.start("dock", data)) {
            DevApiClient client = loggedIn(dock);
            dockId = DevApiClient.generatedCredentials(data).getProperty("dock.id");
            romSha = client.post("/api/docks/application/romstore", sample.request(dockId)).expect(200).json()
                    .path("data").path("attributes").path("sha256").asText();

            assertTrue(dock.shell("datastore:kvput -p runtime brightness 70"), dock.shell("datastore:kvget brightness")
                    .contains("\"70\"  (partition runtime)"));
            dock.shell("datastore:kvput -p runtime dock_name Kitchen");
            dock.shell("datastore:kvput -p ephemeral session abc123");
            dock.shell("datastore:kvput -p ephemeral timezone UTC");
            assertTrue(dock.shell("datastore:imageput -p runtime logo " + logo), dock.shell("datastore:imagelist")
                    .matches("(?s).*logo\\s+PNG.*runtime.*"));
            dock.shell("datastore:imageput -p ephemeral snapshot " + photo);
            client.post("/api/docks/application/code", DevApiClient.document("applicationCode", DevApiClient.object()
                    .put("dockId", dockId).put("code", SampleRomStore.base64("print('dev build')".getBytes(java.nio.charset.StandardCharsets.UTF_8)))))
                    .expect(200);
            assertEquals("ephemeral", client.get("/api/datastore/code").json().path("data").path("attributes")
                    .path("partition").asText());
            dock.stop();
        }

        try (ExportedDock dock = ExportedDock.start("dock", data)) {
            assertFalse("credentials generated again: " + dock.output(), dock.output().contains("generated credentials"));
            DevApiClient client = loggedIn(dock);

            // Runtime: kept, still above the ROM.
            assertTrue(dock.shell("datastore:kvget brightness"), dock.shell("datastore:kvget brightness")
                    .contains("\"70\"  (partition runtime)"));
            assertTrue(dock.shell("datastore:kvget dock_name"), dock.shell("datastore:kvget dock_name")
                    .contains("\"Kitchen\"  (partition runtime)"));
            DevApiClient.Answer image = client.get("/api/datastore/images/logo").expect(200);
            assertEquals("image/png", image.contentType());
            assertArrayEquals(Files.readAllBytes(logo), image.body());
            Path copy = data.resolve("logo-copy.png");
            dock.shell("datastore:imageget logo " + copy);
            assertArrayEquals(Files.readAllBytes(logo), Files.readAllBytes(copy));

            // Ephemeral: gone, uncovering the ROM's timezone and code; its own image and key gone.
            assertTrue(dock.shell("datastore:kvget session"), dock.shell("datastore:kvget session")
                    .contains("no partition has the key"));
            JsonNode timezone = null;
            for (JsonNode entry : client.get("/api/datastore/kv").json().path("data")) {
                if (entry.path("id").asText().equals("timezone")) {
                    timezone = entry.path("attributes");
                }
            }
            assertEquals("GB", timezone.path("value").asText());
            assertEquals("rom", timezone.path("partition").asText());
            client.get("/api/datastore/images/snapshot").expect(404);
            JsonNode code = client.get("/api/datastore/code").json().path("data").path("attributes");
            assertEquals(code.toString(), "rom", code.path("partition").asText());
            assertEquals(code.toString(), sample.code.length, code.path("size").asInt());

            // ROM: the same image, by its hash.
            assertTrue(dock.shell("datastore:rominfo"), dock.shell("datastore:rominfo").contains(romSha));
            String usage = dock.shell("datastore:usage");
            assertTrue(usage, usage.matches("(?s).*ephemeral\\s+300\\s+0 B.*"));
            dock.stop();
        }
    }

    private static DevApiClient loggedIn(ExportedDock dock) throws Exception {
        DevApiClient client = new DevApiClient(dock.port());
        dock.awaitHttpPort();
        client.login(DevApiClient.generatedCredentials(dock.data()));
        return client;
    }
}
