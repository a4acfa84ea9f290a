package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.util.List;

import org.junit.Test;

/**
 * The exported {@code production} product ({@code cnf/production.bndrun}): the full dock without
 * the development API. Its HTTP service answers, but none of the development endpoints or the
 * console exists (404), no credentials are generated, the ROM partition offers no provisioning
 * service, and the store itself works.
 */
public class ProductionIT {

    @Test
    public void theProductionDockHasNoDevelopmentApi() throws Exception {
        try (ExportedDock dock = ExportedDock.start("production", ExportedDock.newDataFolder("production"))) {
            System.out.println("ProductionIT: HTTP port open " + dock.awaitHttpPort() + " ms after the JVM started");
            String bundles = dock.shell("lb");
            assertFalse(bundles, bundles.contains("datastore.devapi"));
            assertTrue(bundles, bundles.contains("datastore.rom"));
            assertTrue(bundles, bundles.contains("Apache Felix Http Jetty"));

            DevApiClient client = new DevApiClient(dock.port());
            String body = DevApiClient.document("isvApplicationLogin", DevApiClient.object().put("clientId", "a")
                    .put("clientSecret", "b").put("enterpriseId", "c")).toString();
            for (String path : List.of("/api/isv/application/login", "/api/docks/application/code",
                    "/api/docks/application/romstore", "/api/docks/application/message")) {
                assertEquals("POST " + path, 404, client.postAuthorized(path, body, null).status());
            }
            for (String path : List.of("/api/datastore/partitions", "/api/datastore/kv", "/api/datastore/images",
                    "/api/datastore/images/default", "/api/datastore/code", "/console/", "/console/state",
                    "/console/events")) {
                assertEquals("GET " + path, 404, client.getAuthorized(path, "Bearer x").status());
            }

            // The readiness check answers in production too, and the container's own 404 forbids sniffing.
            DevApiClient.Answer health = client.getAuthorized("/system/health", null).expect(200);
            assertEquals(health.text(), "OK", health.json().path("overallResult").asText());
            assertEquals("ready", dock.shell("datastore:ready").strip());
            java.net.http.HttpResponse<Void> missing = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + dock.port()
                            + "/no/such/path")).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
            assertEquals(404, missing.statusCode());
            assertEquals("nosniff", missing.headers().firstValue("X-Content-Type-Options").orElse(""));
            assertEquals("the dock's port names no server make", java.util.Optional.empty(),
                    missing.headers().firstValue("Server"));
            assertTrue(dock.output(), dock.output().contains("dock: ready (HTTP on http://127.0.0.1:" + dock.port() + "/)"));
            assertFalse(Files.exists(dock.data().resolve("dev-credentials.properties")));
            assertFalse(dock.output(), dock.output().contains("generated credentials"));

            String rom = dock.shell("datastore:rominfo");
            assertTrue(rom, rom.contains("no ROM provisioning service is available"));
            assertEquals("", dock.shell("servicereferences datastore.spi.RomProvisioning null"));
            String partitions = dock.shell("servicereferences datastore.spi.PartitionStore null");
            assertEquals(partitions, 3, partitions.lines().filter(line -> line.contains("PartitionStore")).count());

            // The store works: every partition is there, runtime writes are read back.
            String usage = dock.shell("datastore:usage");
            assertTrue(usage, usage.contains("ephemeral") && usage.contains("runtime") && usage.contains("rom"));
            dock.shell("datastore:kvput -p runtime greeting hello");
            assertTrue(dock.shell("datastore:kvget greeting").contains("\"hello\"  (partition runtime)"));
            dock.stop();
        }
    }
}
