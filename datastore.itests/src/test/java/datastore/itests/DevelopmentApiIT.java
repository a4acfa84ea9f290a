package datastore.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The development API of the exported {@code dock} product, over real HTTP from outside the JVM,
 * the way the developers' scripts use it: the credentials generated on first start, the full
 * login, ROM store (built from the protocol's sample YAML), code deploy, message and browse flow,
 * and every error case of the protocol, each followed by proof through the browse endpoints and
 * the ROM's hash that the store did not change.
 */
public class DevelopmentApiIT {

    private static final String ROMSTORE = "/api/docks/application/romstore";
    private static final String CODE = "/api/docks/application/code";
    private static final String MESSAGE = "/api/docks/application/message";

    private static ExportedDock dock;
    private static DevApiClient client;
    private static Properties credentials;
    private static SampleRomStore sample;
    private static String dockId;

    @BeforeClass
    public static void startDock() throws Exception {
        dock = ExportedDock.start("dock", ExportedDock.newDataFolder("devapi"));
        long port = dock.awaitHttpPort();
        client = new DevApiClient(dock.port());
        System.out.println("DevelopmentApiIT: HTTP port open " + port + " ms after the JVM started, API answering after "
                + dock.millisSinceStart() + " ms");
        credentials = new Properties();
        try (InputStream in = Files.newInputStream(dock.data().resolve("dev-credentials.properties"))) {
            credentials.load(in);
        }
        dockId = credentials.getProperty("dock.id");
        sample = SampleRomStore.load();
        // A store with something in every partition, so that "unchanged" means something.
        client.login(credentials.getProperty("client.id"), credentials.getProperty("client.secret"),
                credentials.getProperty("enterprise.id"));
        client.post(ROMSTORE, sample.request(dockId)).expect(200);
        dock.shell("datastore:kvput -p runtime timezone Europe/London");
        client.post(CODE, codeRequest(dockId, "print('ephemeral build')")).expect(200);
    }

    @AfterClass
    public static void stopDock() throws Exception {
        if (dock != null) {
            long millis = dock.stop();
            System.out.println("DevelopmentApiIT: the dock stopped cleanly in " + millis + " ms");
            // Declarative Services stops after the bundles holding its components' services.
            assertFalse(dock.output(), dock.output().contains("Error ungetting service"));
        }
    }

    @Before
    public void logIn() throws Exception {
        login();
    }

    private static void login() throws Exception {
        client.login(credentials.getProperty("client.id"), credentials.getProperty("client.secret"),
                credentials.getProperty("enterprise.id"));
    }

    private static ObjectNode codeRequest(String dock, String source) {
        return DevApiClient.document("applicationCode", DevApiClient.object().put("dockId", dock)
                .put("code", Base64.getEncoder().encodeToString(source.getBytes(StandardCharsets.UTF_8))));
    }

    // ---------------------------------------------------------------- credentials

    @Test
    public void theGeneratedCredentialsWerePrintedOnceAndKeptOwnerOnly() throws Exception {
        String output = dock.output();
        String secret = credentials.getProperty("client.secret");
        assertEquals(output, 1, count(output, "generated credentials, kept in"));
        assertEquals(output, 1, count(output, secret));
        assertTrue(output, output.contains("dockId:       " + dockId));
        assertTrue(output, output.contains("clientId:     " + credentials.getProperty("client.id")));
        assertTrue(output, output.contains("enterpriseId: " + credentials.getProperty("enterprise.id")));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dock.data().resolve("dev-credentials.properties"))));
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    // ---------------------------------------------------------------- the flow

    @Test
    public void loginRomStoreCodeMessageAndBrowse() throws Exception {
        DevApiClient developer = new DevApiClient(dock.port());
        developer.login(credentials.getProperty("client.id"), credentials.getProperty("client.secret"),
                credentials.getProperty("enterprise.id"));

        // The ROM store, replaced from the sample YAML; the dock id is compared ignoring case.
        JsonNode rom = developer.post(ROMSTORE, sample.request(dockId.toUpperCase())).expect(200).json();
        assertEquals("applicationRomStore", rom.path("data").path("type").asText());
        String sha256 = rom.path("data").path("attributes").path("sha256").asText();
        assertEquals(64, sha256.length());
        assertTrue(dock.shell("datastore:rominfo"), dock.shell("datastore:rominfo").contains(sha256));

        // Code deploy: the ephemeral copy wins over the ROM's.
        byte[] source = "print('hello from the deployed build')\n".getBytes(StandardCharsets.UTF_8);
        JsonNode deployed = developer.post(CODE, DevApiClient.document("applicationCode", DevApiClient.object()
                .put("dockId", dockId).put("code", Base64.getEncoder().encodeToString(source)))).expect(200).json();
        assertEquals("ephemeral", deployed.path("data").path("attributes").path("partition").asText());
        JsonNode code = developer.get("/api/datastore/code").expect(200).json().path("data").path("attributes");
        assertTrue(code.toString(), code.path("present").asBoolean());
        assertEquals(code.toString(), "ephemeral", code.path("partition").asText());
        assertEquals(code.toString(), source.length, code.path("size").asInt());

        developer.post(MESSAGE, DevApiClient.document("applicationMessage",
                DevApiClient.object().put("dockId", dockId).put("message", "reload"))).expect(200);

        // Keys: the sample's settings from the ROM, one overridden in the runtime partition.
        Map<String, JsonNode> keys = byId(developer.get("/api/datastore/kv").expect(200).json());
        for (Map.Entry<String, String> setting : sample.kvStore.entrySet()) {
            JsonNode entry = keys.get(setting.getKey());
            assertTrue("key " + setting.getKey() + " in " + keys, entry != null);
            if (setting.getKey().equals("timezone")) {
                assertEquals("Europe/London", entry.path("value").asText());
                assertEquals("runtime", entry.path("partition").asText());
            } else {
                assertEquals(setting.getValue(), entry.path("value").asText());
                assertEquals("rom", entry.path("partition").asText());
            }
        }

        // Images: listed with their type, size and dimensions, and served byte for byte.
        Map<String, JsonNode> images = byId(developer.get("/api/datastore/images").expect(200).json());
        assertEquals(images.keySet().toString(), sample.imageTypes.keySet(), images.keySet());
        Map<String, String> media = Map.of("PNG", "image/png", "BMP", "image/bmp", "JPEG", "image/jpeg");
        for (String tag : sample.imageTypes.keySet()) {
            JsonNode image = images.get(tag);
            assertEquals(tag, sample.imageTypes.get(tag), image.path("type").asText());
            assertEquals(tag, "rom", image.path("partition").asText());
            assertEquals(tag, sample.imageData.get(tag).length, image.path("size").asInt());
            DevApiClient.Answer bytes = developer.get("/api/datastore/images/" + tag).expect(200);
            assertEquals(tag, media.get(sample.imageTypes.get(tag)), bytes.contentType());
            assertArrayEquals(tag, sample.imageData.get(tag), bytes.body());
        }
        assertEquals(1920, images.get("default").path("width").asInt());
        assertEquals(1080, images.get("default").path("height").asInt());

        // Partitions: all three, highest ranking first, with the ROM's entries counted.
        JsonNode partitions = developer.get("/api/datastore/partitions").expect(200).json().path("data");
        List<String> names = new ArrayList<>();
        partitions.forEach(p -> names.add(p.path("id").asText()));
        assertEquals(List.of("ephemeral", "runtime", "rom"), names);
        JsonNode romPartition = partitions.get(2).path("attributes");
        assertEquals(romPartition.toString(), sample.kvStore.size(), romPartition.path("entries").path("kv").asInt());
        assertEquals(romPartition.toString(), sample.imageTypes.size(),
                romPartition.path("entries").path("image").asInt());
        assertTrue(romPartition.toString(), romPartition.path("used").asLong() > 250_000);
        assertTrue(romPartition.toString(), romPartition.path("readOnly").asBoolean());
    }

    private static Map<String, JsonNode> byId(JsonNode collection) {
        Map<String, JsonNode> byId = new java.util.LinkedHashMap<>();
        for (JsonNode item : collection.path("data")) {
            byId.put(item.path("id").asText(), item.path("attributes"));
        }
        return byId;
    }

    // ---------------------------------------------------------------- 401

    @Test
    public void everyProtectedEndpointRefusesAMissingMalformedOrUnknownToken() throws Exception {
        StoreSnapshot before = StoreSnapshot.take(client, dock);
        String romstore = sample.request(dockId).toString();
        String code = codeRequest(dockId, "print('intruder')").toString();
        String message = DevApiClient.document("applicationMessage",
                DevApiClient.object().put("dockId", dockId).put("message", "x")).toString();
        Map<String, String> posts = Map.of(ROMSTORE, romstore, CODE, code, MESSAGE, message);
        Map<String, String> authorizations = new java.util.LinkedHashMap<>();
        authorizations.put("missing", null);
        authorizations.put("empty", "");
        authorizations.put("not bearer", "Basic " + client.token());
        authorizations.put("bearer alone", "Bearer");
        authorizations.put("two tokens", "Bearer " + client.token() + " " + client.token());
        authorizations.put("bad characters", "Bearer <" + client.token() + ">");
        authorizations.put("unknown", "Bearer " + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]));
        authorizations.put("altered", "Bearer " + client.token().substring(1) + "A");
        for (Map.Entry<String, String> authorization : authorizations.entrySet()) {
            for (Map.Entry<String, String> post : posts.entrySet()) {
                DevApiClient.Answer answer = client.postAuthorized(post.getKey(), post.getValue(), authorization.getValue());
                assertEquals(authorization.getKey() + " token on " + post.getKey() + ": " + answer.text(), 401,
                        answer.status());
                assertTrue(answer.text(), answer.details().startsWith("Authorization"));
            }
            for (String browse : List.of("/api/datastore/partitions", "/api/datastore/kv", "/api/datastore/images",
                    "/api/datastore/images/default", "/api/datastore/code")) {
                assertEquals(authorization.getKey() + " token on " + browse, 401,
                        client.getAuthorized(browse, authorization.getValue()).status());
            }
        }
        before.assertUnchanged("requests without a valid token", client, dock);
    }

    @Test
    public void wrongCredentialsGetNoToken() throws Exception {
        String id = credentials.getProperty("client.id");
        String secret = credentials.getProperty("client.secret");
        String enterprise = credentials.getProperty("enterprise.id");
        client.loginAnswer(id, secret + "x", enterprise).expect(401);
        client.loginAnswer(id + "x", secret, enterprise).expect(401);
        client.loginAnswer(id, secret, "other").expect(401);
        client.loginAnswer("", "", "").expect(401);
        assertTrue(client.postAuthorized("/api/isv/application/login", DevApiClient.document("applicationLogin",
                DevApiClient.object().put("clientId", id).put("clientSecret", secret).put("enterpriseId", enterprise))
                .toString(), null).expect(400).details().contains("data.type"));
    }

    /**
     * A changed token lifetime applies in place: configured through a {@code .cfg} file in the deploy
     * folder (FileInstall hands it to Configuration Admin while the dock runs), it is taken without
     * the API going away: every login in between answers 201, and the login's {@code meta.expiresIn}
     * says which lifetime its token got, so the test knows when the new terms apply instead of
     * guessing. That a token expires on time, on every endpoint, DevApiHttpTest shows on the API's
     * own clock; no test waits for a token to age.
     */
    @Test
    public void aChangedTokenLifetimeAppliesInPlace() throws Exception {
        StoreSnapshot before = StoreSnapshot.take(client, dock);
        Path cfg = dock.data().resolve("deploy/datastore.devapi.cfg");
        writeAtomically(cfg, "token.ttl.seconds=600\n");
        try {
            awaitTokenLifetime(600);
            String token = loginWithLifetime(600);
            DevApiClient.Answer answer = client.getAuthorized("/api/datastore/kv", "Bearer " + token);
            assertEquals(answer.text(), 200, answer.status());
        } finally {
            Files.delete(cfg);
        }
        // Without the file the configuration is deleted and tokens live an hour again.
        awaitTokenLifetime(3600);
        login();
        assertEquals(200, client.get("/api/datastore/kv").status());
        before.assertUnchanged("a changed token lifetime", client, dock);
    }

    /**
     * Logs in until a token comes with {@code seconds} of life: FileInstall and Configuration Admin
     * deliver the change when they get to it, and each login shows whether it has arrived. Every
     * login on the way must succeed: the API never goes away for a configuration change.
     */
    private static void awaitTokenLifetime(long seconds) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (true) {
            JsonNode answer = client.loginAnswer(credentials.getProperty("client.id"),
                    credentials.getProperty("client.secret"), credentials.getProperty("enterprise.id")).expect(201).json();
            if (answer.path("meta").path("expiresIn").asLong() == seconds) {
                return;
            }
            assertTrue("tokens never came with " + seconds + " s of life: " + answer, System.nanoTime() < deadline);
        }
    }

    /** Logs in, checks the token's lifetime, and returns the token. */
    private static String loginWithLifetime(long seconds) throws Exception {
        JsonNode answer = client.loginAnswer(credentials.getProperty("client.id"),
                credentials.getProperty("client.secret"), credentials.getProperty("enterprise.id")).expect(201).json();
        assertEquals(answer.toString(), seconds, answer.path("meta").path("expiresIn").asLong());
        return answer.path("data").path("attributes").path("accessToken").asText();
    }

    static void writeAtomically(Path file, String content) throws Exception {
        // Written beside the deploy folder and moved in, so FileInstall never reads half a file.
        Path temporary = Files.createTempFile(file.getParent().getParent(), "cfg", ".tmp");
        Files.writeString(temporary, content);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    // ---------------------------------------------------------------- 404

    @Test
    public void theRootLeadsToTheConsoleAndUnknownPathsAnswerJson() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> root = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + dock.port() + "/")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(302, root.statusCode());
        assertTrue(root.headers().firstValue("Location").orElse(""), root.headers().firstValue("Location").orElse("")
                .endsWith("/console/"));
        for (String path : new String[] {"/nothing", "/api/nothing", "/api/docks/application/other"}) {
            java.net.http.HttpResponse<String> unknown = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + dock.port() + path)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(path, 404, unknown.statusCode());
            assertTrue(path + ": " + unknown.body(), unknown.headers().firstValue("Content-Type").orElse("")
                    .startsWith("application/json") && unknown.body().contains("\"errors\""));
        }
    }

    @Test
    public void everyAnswerForbidsContentSniffingTheContainersOwnToo() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (String path : new String[] {"/no-such-path", "/api/no-such-endpoint", "/api/datastore/kv", "/console/login.html"}) {
            java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + dock.port() + path)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(path + " answered " + response.statusCode(), "nosniff",
                    response.headers().firstValue("X-Content-Type-Options").orElse("none"));
        }
    }

    @Test
    public void anotherDocksIdIsNotFound() throws Exception {
        StoreSnapshot before = StoreSnapshot.take(client, dock);
        String other = "not-" + dockId;
        assertTrue(client.post(ROMSTORE, sample.request(other)).expect(404).details().contains("dockId"));
        assertTrue(client.post(CODE, codeRequest(other, "print(1)")).expect(404).details().contains("dockId"));
        assertTrue(client.post(MESSAGE, DevApiClient.document("applicationMessage",
                DevApiClient.object().put("dockId", other).put("message", "x"))).expect(404).details().contains("dockId"));
        before.assertUnchanged("another dock's id", client, dock);
    }

    // ---------------------------------------------------------------- 400

    @Test
    public void everyBadRomStoreFieldIsA400NamingItAndChangesNothing() throws Exception {
        StoreSnapshot before = StoreSnapshot.take(client, dock);
        byte[] bmp = sample.imageData.get("logo");
        Map<String, Consumer<ObjectNode>> cases = new java.util.LinkedHashMap<>();
        cases.put("data.type", body -> ((ObjectNode) body.get("data")).put("type", "applicationCode"));
        cases.put("data.attributes", body -> ((ObjectNode) body.get("data")).remove("attributes"));
        cases.put("data", body -> body.remove("data"));
        cases.put("dockId", body -> attributes(body).remove("dockId"));
        cases.put("code", body -> attributes(body).remove("code"));
        cases.put("code.code", body -> ((ObjectNode) attributes(body).get("code")).put("code", "not base64!"));
        cases.put("kvStore", body -> attributes(body).remove("kvStore"));
        cases.put("kvStore.timezone", body -> ((ObjectNode) attributes(body).get("kvStore")).put("timezone", 5));
        cases.put("kvStore.dock_name", body -> ((ObjectNode) attributes(body).get("kvStore")).putObject("dock_name"));
        cases.put("kvStore.content_url", body -> ((ObjectNode) attributes(body).get("kvStore")).putNull("content_url"));
        cases.put("images", body -> attributes(body).put("images", "none"));
        cases.put("images.logo", body -> ((ObjectNode) attributes(body).get("images")).put("logo", "small.bmp"));
        cases.put("images.logo.type", body -> image(body, "logo").put("type", "GIF"));
        cases.put("images.logo.data", body -> image(body, "logo").put("data", "%%%"));
        cases.put("images.welcome.data", body -> image(body, "welcome").put("type", "JPEG")
                .put("data", Base64.getEncoder().encodeToString(bmp)));
        cases.put("images.default.data", body -> image(body, "default")
                .put("data", Base64.getEncoder().encodeToString("not an image".getBytes(StandardCharsets.UTF_8))));
        cases.put("images.small.type", body -> ((ObjectNode) attributes(body).get("images")).putObject("small")
                .put("data", Base64.getEncoder().encodeToString(bmp)));
        for (Map.Entry<String, Consumer<ObjectNode>> each : cases.entrySet()) {
            ObjectNode body = sample.request(dockId);
            each.getValue().accept(body);
            String details = client.post(ROMSTORE, body).expect(400).details();
            assertTrue(each.getKey() + " not named: " + details,
                    details.startsWith(each.getKey() + ":") || details.contains("\n" + each.getKey() + ":"));
        }
        String details = client.post(ROMSTORE, "{\"data\": ").expect(400).details();
        assertTrue(details, details.startsWith("body:"));
        // Several problems at once: each reported, none stored.
        ObjectNode body = sample.request(dockId);
        image(body, "logo").put("type", "TIFF");
        ((ObjectNode) attributes(body).get("kvStore")).put("timezone", true);
        details = client.post(ROMSTORE, body).expect(400).details();
        assertTrue(details, details.contains("images.logo.type:") && details.contains("kvStore.timezone:"));
        before.assertUnchanged("bad ROM store requests", client, dock);
    }

    @Test
    public void badCodeAndMessageRequestsAre400sNamingTheField() throws Exception {
        StoreSnapshot before = StoreSnapshot.take(client, dock);
        List<Map.Entry<String, ObjectNode>> cases = new ArrayList<>();
        cases.add(Map.entry("data.type", DevApiClient.document("applicationRomStore", attributes(codeRequest(dockId, "x")))));
        ObjectNode noCode = codeRequest(dockId, "x");
        attributes(noCode).remove("code");
        cases.add(Map.entry("code", noCode));
        ObjectNode badBase64 = codeRequest(dockId, "x");
        attributes(badBase64).put("code", "print('not base64')");
        cases.add(Map.entry("code", badBase64));
        ObjectNode numberCode = codeRequest(dockId, "x");
        attributes(numberCode).put("code", 42);
        cases.add(Map.entry("code", numberCode));
        ObjectNode emptyCode = codeRequest(dockId, "x");
        attributes(emptyCode).put("code", "");
        cases.add(Map.entry("code", emptyCode));
        ObjectNode noDock = codeRequest(dockId, "x");
        attributes(noDock).remove("dockId");
        cases.add(Map.entry("dockId", noDock));
        for (Map.Entry<String, ObjectNode> each : cases) {
            String details = client.post(CODE, each.getValue()).expect(400).details();
            assertTrue(each.getKey() + " not named: " + details, details.startsWith(each.getKey() + ":"));
        }
        ObjectNode noMessage = DevApiClient.document("applicationMessage", DevApiClient.object().put("dockId", dockId));
        assertTrue(client.post(MESSAGE, noMessage).expect(400).details().startsWith("message:"));
        before.assertUnchanged("bad code and message requests", client, dock);
    }

    private static ObjectNode attributes(ObjectNode body) {
        return (ObjectNode) body.get("data").get("attributes");
    }

    private static ObjectNode image(ObjectNode body, String tag) {
        return (ObjectNode) attributes(body).get("images").get(tag);
    }

    /**
     * A request refused before its body was read (here: no token) still has its body read and
     * dropped, so the answer arrives whole and the connection serves the next request. A server
     * that answers at once and then closes the connection on the unread body makes a pooling client
     * send its next request into a dead connection ("received no bytes"), and the kernel's reset can
     * lose the answer itself. The body's first kilobyte goes out with the headers; the rest follows
     * once the answer has come or a second has passed, whichever is first, so that a server that
     * answers early is caught doing so. The second request is pipelined behind the body.
     */
    @Test
    public void aRequestRefusedBeforeItsBodyIsReadKeepsItsConnection() throws Exception {
        StoreSnapshot before = StoreSnapshot.take(client, dock);
        byte[] body = ("{\"data\": \"" + "a".repeat(4 << 20) + "\"}").getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", dock.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + ROMSTORE + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 1024);
            out.flush();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            java.util.concurrent.CompletableFuture<RawAnswer> first = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> RawAnswer.readUnchecked(in));
            try {
                first.get(1, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // No answer before the body: as it should be.
            }
            out.write(body, 1024, body.length - 1024);
            out.write("GET /api/datastore/partitions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawAnswer refused = first.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(refused.head, 401, refused.status);
            assertFalse(refused.head, refused.head.toLowerCase(java.util.Locale.ROOT).contains("connection: close"));
            assertTrue(refused.body, refused.body.contains("Authorization"));
            RawAnswer next = RawAnswer.read(in);
            assertEquals(next.head, 401, next.status);
        }

        // A client that waits for "100 Continue" is answered at once, and need not send the body.
        try (Socket socket = new Socket("127.0.0.1", dock.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST " + ROMSTORE + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                    + "application/json\r\nExpect: 100-continue\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            RawAnswer refused = RawAnswer.read(new java.io.BufferedInputStream(socket.getInputStream()));
            assertEquals(refused.head, 401, refused.status);
        }
        before.assertUnchanged("refused bodies", client, dock);
    }

    /** One HTTP/1.1 answer read off a raw connection: status line and headers, and a body of Content-Length. */
    private static final class RawAnswer {
        final String head;
        final int status;
        final String body;

        private RawAnswer(String head, int status, String body) {
            this.head = head;
            this.status = status;
            this.body = body;
        }

        static RawAnswer readUnchecked(InputStream in) {
            try {
                return read(in);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        static RawAnswer read(InputStream in) throws java.io.IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new java.io.EOFException("the connection ended after: " + head);
                }
                head.append((char) b);
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).strip());
                }
            }
            int status = Integer.parseInt(head.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
            return new RawAnswer(head.toString(), status, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
    }

    // ---------------------------------------------------------------- 413

    @Test
    public void aBodyOverTheLimitIs413WhetherDeclaredOrStreamed() throws Exception {
        StoreSnapshot before = StoreSnapshot.take(client, dock);
        long limit = 20L * 1024 * 1024;

        // Declared: refused from the Content-Length alone, after the first bytes of the body (Jetty
        // hands a request to the servlet when its content starts).
        try (Socket socket = new Socket("127.0.0.1", dock.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + ROMSTORE + " HTTP/1.1\r\nHost: 127.0.0.1:" + dock.port()
                    + "\r\nAuthorization: Bearer " + client.token() + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (limit + 1) + "\r\n\r\n{\"data\": ").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 413", status);
        }

        // Streamed without a length: refused once the limit is passed. The body is a valid ROM store
        // request made too large by padding one setting, so only its size is wrong.
        ObjectNode body = sample.request(dockId);
        ((ObjectNode) attributes(body).get("kvStore")).put("padding", "");
        byte[] json = body.toString().getBytes(StandardCharsets.UTF_8);
        int split = body.toString().indexOf("\"padding\":\"") + "\"padding\":\"".length();
        long padding = limit + 1024 - json.length;
        DevApiClient.Answer answer = client.postStreamed(ROMSTORE, () -> new SequenceInputStream(
                new ByteArrayInputStream(json, 0, split), new SequenceInputStream(new RepeatedByteStream('a', padding),
                        new ByteArrayInputStream(json, split, json.length - split))));
        answer.expect(413);
        assertTrue(answer.details(), answer.details().startsWith("body:"));
        before.assertUnchanged("bodies over the limit", client, dock);
        assertFalse(client.get("/api/datastore/kv").text().contains("padding"));
    }

    /** {@code count} copies of one byte, without holding them. */
    private static final class RepeatedByteStream extends InputStream {
        private final int value;
        private long left;

        RepeatedByteStream(int value, long count) {
            this.value = value;
            this.left = count;
        }

        @Override
        public int read() {
            if (left == 0) {
                return -1;
            }
            left--;
            return value;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(length, left);
            java.util.Arrays.fill(buffer, offset, offset + n, (byte) value);
            left -= n;
            return n;
        }
    }
}
