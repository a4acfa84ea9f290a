package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Start races: fresh docks (the exported development product, each on a new data folder), each
 * used the instant its port accepts a connection, through the whole development flow (health,
 * login, ROM store replace with the sample data, code deploy, message, and browse compared with
 * what was sent), with no retry anywhere: the port opens only once the dock is ready, so the first
 * request of a client that connects at once must already be served.
 */
public class StartRaceIT {

    private static final int STARTS = 20;
    private static final String ROMSTORE = "/api/docks/application/romstore";
    private static final String CODE = "/api/docks/application/code";
    private static final String MESSAGE = "/api/docks/application/message";

    @Test
    public void everyFreshStartServesTheWholeFlowTheInstantItsPortAccepts() throws Exception {
        SampleRomStore sample = SampleRomStore.load();
        List<String> failures = new ArrayList<>();
        long slowest = 0;
        for (int start = 0; start < STARTS; start++) {
            try (ExportedDock dock = ExportedDock.launch("dock", ExportedDock.newDataFolder("race"))) {
                slowest = Math.max(slowest, awaitFirstConnection(dock));
                try {
                    flow(dock, sample);
                } catch (AssertionError | Exception e) {
                    failures.add("start " + start + ": " + e + "\n" + dock.output());
                }
                dock.stop();
            }
        }
        System.out.println("start-race: starts=" + STARTS + " failures=" + failures.size()
                + " slowest-port-open-ms=" + slowest);
        assertTrue(String.join("\n\n", failures), failures.isEmpty());
    }

    /** Tries to connect every millisecond until the port accepts; answers the milliseconds since the JVM started. */
    private static long awaitFirstConnection(ExportedDock dock) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", dock.port()), 1_000);
                return dock.millisSinceStart();
            } catch (IOException notYet) {
                assertTrue("the port never opened:\n" + dock.output(), System.nanoTime() < deadline);
                Thread.sleep(1);
            }
        }
    }

    private static void flow(ExportedDock dock, SampleRomStore sample) throws Exception {
        DevApiClient client = new DevApiClient(dock.port());
        JsonNode health = client.getAuthorized("/system/health", null).expect(200).json();
        assertEquals(health.toString(), "OK", health.path("overallResult").asText());

        Properties credentials = DevApiClient.generatedCredentials(dock.data());
        String dockId = credentials.getProperty("dock.id");
        client.login(credentials.getProperty("client.id"), credentials.getProperty("client.secret"),
                credentials.getProperty("enterprise.id"));
        client.post(ROMSTORE, sample.request(dockId)).expect(200);
        byte[] source = "print('raced')\n".getBytes(StandardCharsets.UTF_8);
        client.post(CODE, DevApiClient.document("applicationCode", DevApiClient.object().put("dockId", dockId)
                .put("code", Base64.getEncoder().encodeToString(source)))).expect(200);
        client.post(MESSAGE, DevApiClient.document("applicationMessage",
                DevApiClient.object().put("dockId", dockId).put("message", "reload"))).expect(200);

        Map<String, String> keys = new HashMap<>();
        for (JsonNode key : client.get("/api/datastore/kv").expect(200).json().path("data")) {
            keys.put(key.path("id").asText(), key.path("attributes").path("value").asText());
        }
        assertEquals(sample.kvStore, keys);
        List<String> tags = new ArrayList<>();
        for (JsonNode image : client.get("/api/datastore/images").expect(200).json().path("data")) {
            tags.add(image.path("id").asText());
        }
        assertEquals(new ArrayList<>(sample.imageTypes.keySet()).stream().sorted().toList(),
                tags.stream().sorted().toList());
        JsonNode code = client.get("/api/datastore/code").expect(200).json().path("data").path("attributes");
        assertEquals(code.toString(), "ephemeral", code.path("partition").asText());
        assertEquals(code.toString(), source.length, code.path("size").asInt());
        List<String> partitions = new ArrayList<>();
        client.get("/api/datastore/partitions").expect(200).json().path("data")
                .forEach(p -> partitions.add(p.path("id").asText()));
        assertEquals(List.of("ephemeral", "runtime", "rom"), partitions);
    }
}
