package datastore.devapi;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;

import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.Partitions;
import datastore.ValueTooLargeException;
import datastore.image.ImageType;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomContent;
import datastore.testsupport.Configurations;
import datastore.testsupport.FakeCodeStore;
import datastore.testsupport.FakeFramework;
import datastore.testsupport.FakeImageFormat;
import datastore.testsupport.FakeImageStore;
import datastore.testsupport.FakeKvStore;
import datastore.testsupport.FakeRomProvisioning;
import datastore.testsupport.FakeStoreStatus;
import datastore.testsupport.RecordingEventAdmin;
import jakarta.servlet.http.HttpServlet;

import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.service.event.Event;

/**
 * The development API's endpoints over real HTTP, with fakes behind them: every success shape,
 * every status code, every bad field, and that nothing changed after each refusal.
 */
public class DevApiHttpTest {

    static final String DOCK = "Dock-7450-AB";
    static final String CLIENT = "client-1";
    static final String SECRET = "s3cret-value";
    static final String ENTERPRISE = "enterprise-9";
    static final long LIMIT = 8192;

    static final AtomicLong clock = new AtomicLong();

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    static DevApi api;
    static LoginServlet login;
    static CodeDeployServlet code;
    static RomStoreServlet romstore;
    static RomImageServlet romimage;
    static MessageServlet message;
    static BrowseServlet browse;
    static ConsoleServlet console;
    static StoreBrowser browser;
    static TestServer server;

    FakeCodeStore codeStore;
    FakeRomProvisioning rom;
    RecordingEventAdmin events;
    FakeKvStore kv;
    FakeImageStore images;
    FakeStoreStatus status;
    String token;

    @BeforeClass
    public static void start() throws Exception {
        api = new DevApi(Configurations.of(DevApiConfiguration.class, Map.of("max.body.bytes", LIMIT, "token.ttl.seconds", 60L)),
                new DevCredentials(DOCK, CLIENT, SECRET, ENTERPRISE),
                new AccessTokens(60, clock::get, () -> 1_700_000_000_000L, new SecureRandom()));
        browser = new StoreBrowser();
        login = new LoginServlet(api);
        code = new CodeDeployServlet(api);
        romstore = new RomStoreServlet(api);
        romimage = new RomImageServlet(api);
        message = new MessageServlet(api);
        browse = new BrowseServlet(api, browser);
        console = new ConsoleServlet(api, browser);
        Map<String, HttpServlet> servlets = new LinkedHashMap<>();
        servlets.put(LoginServlet.PATH, login);
        servlets.put(CodeDeployServlet.PATH, code);
        servlets.put(RomStoreServlet.PATH, romstore);
        servlets.put(RomImageServlet.PATH, romimage);
        servlets.put(MessageServlet.PATH, message);
        servlets.put(BrowseServlet.PATTERN, browse);
        servlets.put(ConsoleServlet.PATTERN, console);
        server = new TestServer(servlets);
    }

    @AfterClass
    public static void stop() throws Exception {
        server.close();
    }

    @Before
    public void fakes() throws Exception {
        codeStore = new FakeCodeStore(Partitions.EPHEMERAL, Partitions.RUNTIME, Partitions.ROM);
        rom = new FakeRomProvisioning();
        events = new RecordingEventAdmin();
        kv = new FakeKvStore().with("greeting", "hello", "runtime").with("timezone", "UTC", "rom");
        images = new FakeImageStore().with("logo", ImageType.PNG, FakeImageFormat.PNG, "rom")
                .with("splash", ImageType.JPEG, FakeImageFormat.JPEG, "ephemeral");
        code.codeStore = codeStore;
        romstore.provisioning = rom;
        romimage.provisioning = rom;
        romstore.imageFormat = new FakeImageFormat();
        message.eventAdmin = events;
        browser.kvStore = kv;
        browser.imageStore = images;
        browser.codeStore = codeStore;
        browser.storeStatus = status = new FakeStoreStatus().with("rom", 100, true, 1000, 250, 2)
                .with("runtime", 200, false, 1000, 250, 2).with("ephemeral", 300, false, 1000, 250, 2);
        romBefore = describe(rom.content);
        token = loginToken();
    }

    /** The ROM content before the test, to prove a refused request left it exactly as it was. */
    private String romBefore;

    // ---- helpers ----

    static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    static String body(String type, String attributes) {
        return "{\"data\": {\"type\": \"" + type + "\", \"attributes\": " + attributes + "}}";
    }

    static String loginBody(String client, String secret, String enterprise) {
        return body("isvApplicationLogin", "{\"clientId\": \"" + client + "\", \"clientSecret\": \"" + secret
                + "\", \"enterpriseId\": \"" + enterprise + "\"}");
    }

    String loginToken() throws Exception {
        TestServer.Reply reply = server.post(LoginServlet.PATH, null, loginBody(CLIENT, SECRET, ENTERPRISE));
        assertEquals(reply.text(), 201, reply.status());
        return reply.json().path("data").path("attributes").path("accessToken").asText();
    }

    static String codeBody(String dockId, String code) {
        return body("applicationCode", "{\"dockId\": \"" + dockId + "\", \"code\": \"" + code + "\"}");
    }

    static String romBody(String dockId, String code, String kvStore, String images) {
        return body("applicationRomStore", "{\"dockId\": \"" + dockId + "\", \"code\": {\"code\": \"" + code
                + "\"}, \"kvStore\": " + kvStore + ", \"images\": " + images + "}");
    }

    static String goodImages() {
        return "{\"logo\": {\"type\": \"PNG\", \"data\": \"" + b64(FakeImageFormat.PNG) + "\"}, \"photo\": {\"type\": \"JPEG\", "
                + "\"data\": \"" + b64(FakeImageFormat.JPEG) + "\"}}";
    }

    /** Asserts the protocol's error shape, the status, and one error per expected detail prefix, in order. */
    static void assertErrors(TestServer.Reply reply, int status, String... detailPrefixes) {
        assertEquals(reply.text(), status, reply.status());
        assertTrue(reply.header("Content-Type"), reply.header("Content-Type").startsWith("application/json"));
        JsonNode errors = reply.json().path("errors");
        assertTrue(reply.text(), errors.isArray());
        assertEquals(reply.text(), detailPrefixes.length, errors.size());
        for (int i = 0; i < detailPrefixes.length; i++) {
            JsonNode error = errors.get(i);
            assertEquals(Integer.toString(status), error.path("status").asText());
            assertEquals(ApiException.title(status), error.path("title").asText());
            assertTrue(reply.text(), error.path("detail").asText().startsWith(detailPrefixes[i]));
        }
    }

    void assertUnchanged() {
        assertTrue("code store changed: " + codeStore.code().keySet(), codeStore.code().isEmpty());
        assertEquals(romBefore, describe(rom.content));
        assertEquals(1, rom.generation);
        assertTrue("events posted: " + events.posted(), events.posted().isEmpty());
    }

    // ---- login ----

    @Test
    public void loginAnswers201WithTheProtocolsShape() throws Exception {
        TestServer.Reply reply = server.post(LoginServlet.PATH, null, loginBody(CLIENT, SECRET, ENTERPRISE));
        assertEquals(201, reply.status());
        JsonNode json = reply.json();
        assertEquals("isvApplicationAuth", json.path("data").path("type").asText());
        assertFalse(json.path("data").path("id").asText().isEmpty());
        assertTrue(json.path("data").path("attributes").path("accessToken").asText().length() >= 40);
        assertEquals(1_700_000_000_000L, json.path("meta").path("createdTimestamp").longValue());
        assertTrue(json.path("meta").path("createdTimestamp").isIntegralNumber());
    }

    @Test
    public void loginWithAnyWrongCredentialIs401() throws Exception {
        for (String bad : List.of(loginBody("other", SECRET, ENTERPRISE), loginBody(CLIENT, "s3cret-valuE", ENTERPRISE),
                loginBody(CLIENT, SECRET, "enterprise-8"), loginBody(CLIENT, "", ENTERPRISE))) {
            TestServer.Reply reply = server.post(LoginServlet.PATH, null, bad);
            assertErrors(reply, 401, "clientId, clientSecret or enterpriseId is wrong");
        }
    }

    @Test
    public void loginWithAMissingOrNonStringFieldIs400NamingIt() throws Exception {
        assertErrors(server.post(LoginServlet.PATH, null, body("isvApplicationLogin",
                "{\"clientId\": \"" + CLIENT + "\", \"enterpriseId\": \"" + ENTERPRISE + "\"}")), 400, "clientSecret: required");
        assertErrors(server.post(LoginServlet.PATH, null, body("isvApplicationLogin",
                "{\"clientId\": 7, \"clientSecret\": \"x\", \"enterpriseId\": \"y\"}")), 400,
                "clientId: expected a string, got a number");
    }

    @Test
    public void aWrongDataTypeIs400() throws Exception {
        assertErrors(server.post(LoginServlet.PATH, null, body("applicationCode", "{}")), 400,
                "data.type: expected \"isvApplicationLogin\", got \"applicationCode\"");
        assertErrors(server.post(CodeDeployServlet.PATH, token, body("isvApplicationLogin",
                "{\"dockId\": \"" + DOCK + "\", \"code\": \"" + b64("x") + "\"}")), 400, "data.type: expected \"applicationCode\"");
        assertErrors(server.post(RomStoreServlet.PATH, token, body("applicationCode", "{}")), 400, "data.type: expected");
        assertErrors(server.post(MessageServlet.PATH, token, body("applicationRomStore", "{}")), 400, "data.type: expected");
        assertUnchanged();
    }

    @Test
    public void aBrokenEnvelopeIs400NamingThePart() throws Exception {
        assertErrors(server.post(CodeDeployServlet.PATH, token, "{\"data\": "), 400, "body: not valid JSON");
        assertErrors(server.post(CodeDeployServlet.PATH, token, ""), 400, "body: empty");
        assertErrors(server.post(CodeDeployServlet.PATH, token, "[1]"), 400, "body: expected a JSON object");
        assertErrors(server.post(CodeDeployServlet.PATH, token, "{}"), 400, "data: required");
        assertErrors(server.post(CodeDeployServlet.PATH, token, "{\"data\": 1}"), 400, "data: expected an object");
        assertErrors(server.post(CodeDeployServlet.PATH, token, "{\"data\": {\"attributes\": {}}}"), 400, "data.type: required");
        assertErrors(server.post(CodeDeployServlet.PATH, token, "{\"data\": {\"type\": \"applicationCode\"}}"), 400,
                "data.attributes: required");
        assertErrors(server.post(CodeDeployServlet.PATH, token, "{\"data\": {\"type\": \"applicationCode\", "
                + "\"attributes\": []}}"), 400, "data.attributes: expected an object, got an array");
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, b64("x")) + " {}"), 400, "body: not valid JSON");
        assertErrors(server.post(CodeDeployServlet.PATH, token, "{\"data\": {\"type\": \"a\", \"type\": \"b\"}}"), 400,
                "body: not valid JSON: Duplicate field 'type'");
        assertUnchanged();
    }

    @Test
    public void anotherMethodIs405() throws Exception {
        TestServer.Reply reply = server.get(LoginServlet.PATH, null);
        assertErrors(reply, 405, "GET: this endpoint answers POST only");
        assertEquals("POST", reply.header("Allow"));
        assertErrors(server.post("/api/datastore/kv", token, "{}"), 405, "POST: this endpoint answers GET only");
    }

    // ---- bearer tokens ----

    @Test
    public void everyEndpointButLoginNeedsAValidToken() throws Exception {
        for (String path : List.of(CodeDeployServlet.PATH, RomStoreServlet.PATH, MessageServlet.PATH)) {
            TestServer.Reply reply = server.post(path, null, codeBody(DOCK, b64("x")));
            assertErrors(reply, 401, "Authorization: missing");
            assertEquals("Bearer", reply.header("WWW-Authenticate"));
        }
        for (String path : List.of("/api/datastore/partitions", "/api/datastore/kv", "/api/datastore/images",
                "/api/datastore/images/logo", "/api/datastore/code", "/api/datastore/nothing")) {
            assertErrors(server.get(path, null), 401, "Authorization: missing");
        }
        assertUnchanged();
    }

    @Test
    public void aMalformedAuthorizationIs401() throws Exception {
        for (String header : List.of("Basic " + b64("a:b"), "Bearer", "Bearer a b", token, "Bearer <" + token + ">")) {
            TestServer.Reply reply = server.send(HttpRequest.newBuilder(server.uri(CodeDeployServlet.PATH))
                    .header("Authorization", header).POST(HttpRequest.BodyPublishers.ofString(codeBody(DOCK, b64("x"))))
                    .build());
            assertErrors(reply, 401, "Authorization: malformed");
        }
        assertUnchanged();
    }

    @Test
    public void anUnknownTokenIs401() throws Exception {
        assertErrors(server.post(CodeDeployServlet.PATH, token + "x", codeBody(DOCK, b64("x"))), 401,
                "Authorization: unknown access token");
        assertErrors(server.get("/api/datastore/kv", "AAAA"), 401, "Authorization: unknown access token");
        assertUnchanged();
    }

    @Test
    public void anExpiredTokenIs401() throws Exception {
        String old = loginToken();
        clock.addAndGet(59_000_000_000L);
        assertEquals(200, server.get("/api/datastore/kv", old).status());
        clock.addAndGet(1_000_000_000L);
        assertErrors(server.post(CodeDeployServlet.PATH, old, codeBody(DOCK, b64("x"))), 401,
                "Authorization: the access token expired");
        assertUnchanged();
        // A fresh login works again.
        assertEquals(200, server.post(CodeDeployServlet.PATH, loginToken(), codeBody(DOCK, b64("x"))).status());
    }

    // ---- code ----

    @Test
    public void deployStoresTheCodeInTheEphemeralPartition() throws Exception {
        TestServer.Reply reply = server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, b64("print('hi')\n")));
        assertEquals(reply.text(), 200, reply.status());
        assertArrayEquals("print('hi')\n".getBytes(StandardCharsets.UTF_8), codeStore.code().get(Partitions.EPHEMERAL));
        assertEquals(1, codeStore.code().size());
        JsonNode attributes = reply.json().path("data").path("attributes");
        assertEquals("applicationCode", reply.json().path("data").path("type").asText());
        assertEquals("ephemeral", attributes.path("partition").asText());
        assertEquals(12, attributes.path("size").intValue());
    }

    @Test
    public void theDockIdIsComparedIgnoringCase() throws Exception {
        assertEquals(200, server.post(CodeDeployServlet.PATH, token, codeBody("dock-7450-ab", b64("x"))).status());
        assertEquals(200, server.post(CodeDeployServlet.PATH, token, codeBody("DOCK-7450-AB", b64("y"))).status());
        assertArrayEquals(new byte[] {'y'}, codeStore.code().get(Partitions.EPHEMERAL));
    }

    @Test
    public void anotherDocksIdIs404() throws Exception {
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody("Dock-7450-AC", b64("x"))), 404,
                "dockId: no dock \"Dock-7450-AC\" here");
        assertErrors(server.post(RomStoreServlet.PATH, token, romBody("other", "", "{}", "{}")), 404, "dockId:");
        assertErrors(server.post(MessageServlet.PATH, token, body("applicationMessage",
                "{\"dockId\": \"other\", \"message\": \"m\"}")), 404, "dockId:");
        assertUnchanged();
    }

    @Test
    public void badCodeFieldsAre400NamingTheField() throws Exception {
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, "not base64!")), 400, "code: not valid base64");
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, "")), 400, "code: empty");
        assertErrors(server.post(CodeDeployServlet.PATH, token, body("applicationCode",
                "{\"dockId\": \"" + DOCK + "\", \"code\": 12}")), 400, "code: expected a string, got a number");
        assertErrors(server.post(CodeDeployServlet.PATH, token, body("applicationCode",
                "{\"dockId\": \"" + DOCK + "\"}")), 400, "code: required");
        assertErrors(server.post(CodeDeployServlet.PATH, token, body("applicationCode",
                "{\"code\": \"" + b64("x") + "\"}")), 400, "dockId: required");
        assertErrors(server.post(CodeDeployServlet.PATH, token, body("applicationCode",
                "{\"dockId\": null, \"code\": \"" + b64("x") + "\"}")), 400, "dockId: expected a string, got null");
        assertUnchanged();
    }

    @Test
    public void deployWithoutACodeStoreOrEphemeralPartitionIs503() throws Exception {
        code.codeStore = null;
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, b64("x"))), 503,
                "no application code store is available");
        code.codeStore = codeStore = new FakeCodeStore(Partitions.RUNTIME);
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, b64("x"))), 503,
                "no partition named ephemeral");
        assertUnchanged();
    }

    @Test
    public void whatTheStoreRefusesIsAnsweredWithItsOwnStatus() throws Exception {
        codeStore.failure = new ValueTooLargeException(Namespace.CODE, "main", 5 << 20, 4 << 20);
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, b64("x"))), 400,
                "code: code value for \"main\" is 5242880 bytes; the limit is 4194304");
        codeStore.failure = new PartitionFullException("ephemeral", "main", 200, 100);
        assertErrors(server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, b64("x"))), 507,
                "code: partition ephemeral is full");
        codeStore.failure = new IllegalStateException("flash gone");
        TestServer.Reply failed = server.post(CodeDeployServlet.PATH, token, codeBody(DOCK, b64("x")));
        assertEquals(500, failed.status());
        String detail = failed.json().path("errors").get(0).path("detail").asText();
        assertTrue(detail, detail.matches("internal error; the dock's log holds incident [0-9a-f]{12}"));
        assertFalse("no class or message of the dock's: " + detail,
                failed.text().contains("IllegalStateException") || failed.text().contains("flash gone"));
        assertUnchanged();
    }

    // ---- hostile clients ----

    @Test
    public void aBodyThatIsNotDeclaredJsonIs415AndChangesNothing() throws Exception {
        String body = codeBody(DOCK, b64("print('evil')"));
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/jsonx", null}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(CodeDeployServlet.PATH))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body));
            if (type != null) {
                request.header("Content-Type", type);
            }
            TestServer.Reply reply = server.send(request.build());
            assertErrors(reply, 415, "Content-Type: " + (type == null ? "missing" : "\"" + type + "\"")
                    + "; send the body as application/json");
        }
        assertUnchanged();
        TestServer.Reply login = server.send(HttpRequest.newBuilder(server.uri(LoginServlet.PATH))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(
                        loginBody(CLIENT, SECRET, ENTERPRISE))).build());
        assertEquals(415, login.status());
        TestServer.Reply jsonApi = server.send(HttpRequest.newBuilder(server.uri(LoginServlet.PATH))
                .header("Content-Type", "Application/VND.API+JSON; charset=utf-8").POST(HttpRequest.BodyPublishers.ofString(
                        loginBody(CLIENT, SECRET, ENTERPRISE))).build());
        assertEquals(jsonApi.text(), 201, jsonApi.status());
    }

    @Test
    public void aLoginBodyOverFourKibIs413BeforeItIsRead() throws Exception {
        String padded = loginBody(CLIENT, SECRET, ENTERPRISE).replace("{\"data\"", "{\"pad\": \""
                + "x".repeat((int) LoginServlet.MAX_LOGIN_BYTES) + "\", \"data\"");
        assertErrors(server.post(LoginServlet.PATH, null, padded), 413,
                "body: " + padded.length() + " bytes is more than the limit of " + LoginServlet.MAX_LOGIN_BYTES);
        byte[] streamed = padded.getBytes(StandardCharsets.UTF_8);
        TestServer.Reply reply = server.send(HttpRequest.newBuilder(server.uri(LoginServlet.PATH))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(streamed))).build());
        assertErrors(reply, 413, "body: more than the limit of " + LoginServlet.MAX_LOGIN_BYTES);
        String head = server.raw("POST " + LoginServlet.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{\"data\": {");
        assertTrue(head, head.startsWith("HTTP/1.1 413"));
    }

    @Test
    public void aStalledImageReaderPinsNothingInTheStore() throws Exception {
        images.with("poster", ImageType.PNG, new byte[12 << 20], "runtime");
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("GET /api/datastore/images/poster HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            java.io.InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.read());
            }
            assertTrue(head.toString(), head.toString().startsWith("HTTP/1.1 200"));
            // The client reads no further: 12 MiB cannot all be in flight, so the server is still sending.
            assertEquals("views open while the client stalls", 0, images.openViews.get());
        }
    }

    @Test
    public void imageDownloadsBeyondTheSendBudgetAre503AndPinNothing() throws Exception {
        int taken = browser.copyBudget.drainPermits();
        try {
            TestServer.Reply reply = server.get("/api/datastore/images/logo", token);
            assertErrors(reply, 503, "tag: \"logo\" cannot be sent now: other image downloads use the dock's send "
                    + "budget; try again in a moment");
            assertEquals(0, images.openViews.get());
        } finally {
            browser.copyBudget.release(taken);
        }
        assertEquals(200, server.get("/api/datastore/images/logo", token).status());
        // The whole budget comes back: a send returns its share once the server has written it, which
        // may be just after the client has read the answer, so the test takes it all as it comes back.
        assertTrue("the send budget never came back whole", browser.copyBudget.tryAcquire(
                StoreBrowser.COPY_BUDGET_KIB, 30, java.util.concurrent.TimeUnit.SECONDS));
        browser.copyBudget.release(StoreBrowser.COPY_BUDGET_KIB);
    }

    @Test
    public void everyAnswerForbidsContentSniffing() throws Exception {
        List<TestServer.Reply> replies = List.of(server.get("/api/datastore/kv", token),
                server.get("/api/datastore/kv", null), server.post(LoginServlet.PATH, null, "{"),
                server.get("/api/datastore/images/logo", token), consoleGet("/console/login.html", null));
        for (TestServer.Reply reply : replies) {
            assertEquals(reply.status() + " " + reply.headers(), "nosniff", reply.header("X-Content-Type-Options"));
        }
    }

    // ---- size limit ----

    @Test
    public void aBodyOverTheLimitIs413ByItsContentLength() throws Exception {
        String big = codeBody(DOCK, b64(new byte[(int) LIMIT]));
        TestServer.Reply reply = server.post(CodeDeployServlet.PATH, token, big);
        assertErrors(reply, 413, "body: " + big.length() + " bytes is more than the limit of " + LIMIT);
        assertUnchanged();
    }

    @Test
    public void aStreamedBodyOverTheLimitIs413() throws Exception {
        byte[] big = codeBody(DOCK, b64(new byte[(int) LIMIT])).getBytes(StandardCharsets.UTF_8);
        // From an InputStream the client sends the body chunked, without a Content-Length.
        TestServer.Reply reply = server.send(HttpRequest.newBuilder(server.uri(CodeDeployServlet.PATH))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build());
        assertErrors(reply, 413, "body: more than the limit of " + LIMIT);
        assertUnchanged();
    }

    @Test
    public void aHugeDeclaredBodyIs413BeforeMoreThanItsStartIsSent() throws Exception {
        // Jetty dispatches a request once its first bytes of content arrive; the rest is never sent.
        String head = server.raw("POST " + CodeDeployServlet.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000000000\r\n\r\n{\"data\": {");
        assertTrue(head, head.startsWith("HTTP/1.1 413"));
        assertUnchanged();
    }

    @Test
    public void aBodyJustUnderTheLimitIsRead() throws Exception {
        String prefix = codeBody(DOCK, "");
        int room = (int) LIMIT - prefix.length();
        byte[] source = new byte[room / 4 * 3];
        String fitting = codeBody(DOCK, b64(source));
        assertTrue(fitting.length() <= LIMIT);
        assertEquals(200, server.post(CodeDeployServlet.PATH, token, fitting).status());
    }

    // ---- romimage ----

    private static String imageBody(String dock, String image) {
        return body(RomImageServlet.TYPE, "{\"dockId\": \"" + dock + "\", \"image\": " + image + "}");
    }

    @Test
    public void romImageInstallsTheImageAsSent() throws Exception {
        byte[] image = "a signed ROM image".getBytes(StandardCharsets.UTF_8);
        TestServer.Reply reply = server.post(RomImageServlet.PATH, token, imageBody(DOCK, "\"" + b64(image) + "\""));
        assertEquals(reply.text(), 200, reply.status());
        assertArrayEquals(image, rom.installed);
        assertEquals(RomImageServlet.TYPE, reply.json().path("data").path("type").asText());
        assertEquals(2, reply.json().path("data").path("attributes").path("generation").longValue());
        assertEquals("UNSIGNED", reply.json().path("data").path("attributes").path("signature").asText());
    }

    @Test
    public void aRefusedRomImageIsA400NamingTheImageAndInstallsNothing() throws Exception {
        rom.refuse = List.of(new InvalidRomContentException.Problem("image", "the ROM image is refused: its signed "
                + "generation 4 is older than generation 5"));
        assertErrors(server.post(RomImageServlet.PATH, token, imageBody(DOCK, "\"" + b64("old") + "\"")), 400,
                "image: the ROM image is refused: its signed generation 4 is older");
        rom.refuse = List.of();
        assertErrors(server.post(RomImageServlet.PATH, token, imageBody(DOCK, "\"%%%\"")), 400, "image:");
        assertErrors(server.post(RomImageServlet.PATH, token, imageBody(DOCK, "\"\"")), 400, "image: empty");
        assertErrors(server.post(RomImageServlet.PATH, token, imageBody(DOCK, "42")), 400, "image: expected a string");
        assertErrors(server.post(RomImageServlet.PATH, token, imageBody("other", "\"" + b64("x") + "\"")), 404,
                "dockId:");
        assertErrors(server.post(RomImageServlet.PATH, null, imageBody(DOCK, "\"" + b64("x") + "\"")), 401,
                "Authorization");
        assertEquals(null, rom.installed);
        assertEquals(1, rom.generation);
    }

    // ---- romstore ----

    @Test
    public void romStoreReplacesTheRomWithEveryField() throws Exception {
        TestServer.Reply reply = server.post(RomStoreServlet.PATH, token,
                romBody(DOCK, b64("app code"), "{\"timezone\": \"Europe/Oslo\", \"brand\": \"ACME\"}", goodImages()));
        assertEquals(reply.text(), 200, reply.status());
        RomContent content = rom.content;
        assertArrayEquals("app code".getBytes(StandardCharsets.UTF_8), content.code());
        assertEquals(Map.of("timezone", "Europe/Oslo", "brand", "ACME"), content.kvStore());
        assertEquals(List.of("logo", "photo"), new ArrayList<>(content.images().keySet()));
        assertEquals(ImageType.PNG, content.images().get("logo").type());
        assertArrayEquals(FakeImageFormat.JPEG, content.images().get("photo").data());
        JsonNode attributes = reply.json().path("data").path("attributes");
        assertEquals("applicationRomStore", reply.json().path("data").path("type").asText());
        assertEquals(2, attributes.path("generation").longValue());
        assertEquals("ab".repeat(32), attributes.path("sha256").asText());
    }

    @Test
    public void romStoreWithEmptyCodeMeansNoCodeAndTypesIgnoreCase() throws Exception {
        TestServer.Reply reply = server.post(RomStoreServlet.PATH, token, romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": \"bmp\", \"data\": \"" + b64(FakeImageFormat.BMP) + "\"}}"));
        assertEquals(reply.text(), 200, reply.status());
        assertEquals(0, rom.content.code().length);
        assertEquals(Map.of(), rom.content.kvStore());
        assertEquals(ImageType.BMP, rom.content.images().get("logo").type());
    }

    /** One bad field at a time: 400 naming that field, and the ROM exactly as before. */
    @Test
    public void everyBadRomStoreFieldIs400NamingIt() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        String images = goodImages();
        cases.put("images.logo.data: not a valid JPEG", romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": \"JPEG\", \"data\": \"" + b64(FakeImageFormat.PNG) + "\"}}"));
        cases.put("images.logo.data: not a valid PNG", romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": \"PNG\", \"data\": \"\"}}"));
        cases.put("images.logo.data: not valid base64", romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": \"PNG\", \"data\": \"%%%\"}}"));
        cases.put("images.logo.data: required", romBody(DOCK, "", "{}", "{\"logo\": {\"type\": \"PNG\"}}"));
        cases.put("images.logo.data: expected a base64 string, got an array", romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": \"PNG\", \"data\": []}}"));
        cases.put("images.logo.type: expected PNG, BMP or JPEG, got \"GIF\"", romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": \"GIF\", \"data\": \"" + b64(FakeImageFormat.PNG) + "\"}}"));
        cases.put("images.logo.type: expected PNG, BMP or JPEG, got \"NONE\"", romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": \"NONE\", \"data\": \"" + b64(FakeImageFormat.PNG) + "\"}}"));
        cases.put("images.logo.type: required", romBody(DOCK, "", "{}",
                "{\"logo\": {\"data\": \"" + b64(FakeImageFormat.PNG) + "\"}}"));
        cases.put("images.logo.type: expected a string, got a number", romBody(DOCK, "", "{}",
                "{\"logo\": {\"type\": 1, \"data\": \"" + b64(FakeImageFormat.PNG) + "\"}}"));
        cases.put("images.logo: expected an object", romBody(DOCK, "", "{}", "{\"logo\": \"" + b64(FakeImageFormat.PNG) + "\"}"));
        cases.put("images: expected an object", romBody(DOCK, "", "{}", "[]"));
        cases.put("kvStore.timezone: expected a string, got a number", romBody(DOCK, "", "{\"timezone\": 1}", images));
        cases.put("kvStore.flags: expected a string, got an object", romBody(DOCK, "", "{\"flags\": {}}", images));
        cases.put("kvStore.empty: expected a string, got null", romBody(DOCK, "", "{\"empty\": null}", images));
        cases.put("kvStore: expected an object", romBody(DOCK, "", "\"k=v\"", images));
        cases.put("code.code: not valid base64", romBody(DOCK, "@@", "{}", images));
        cases.put("code.code: expected a string", body("applicationRomStore", "{\"dockId\": \"" + DOCK
                + "\", \"code\": {\"code\": 5}, \"kvStore\": {}, \"images\": {}}"));
        cases.put("code.code: required", body("applicationRomStore", "{\"dockId\": \"" + DOCK
                + "\", \"code\": {}, \"kvStore\": {}, \"images\": {}}"));
        cases.put("code: expected an object", body("applicationRomStore", "{\"dockId\": \"" + DOCK
                + "\", \"code\": \"" + b64("x") + "\", \"kvStore\": {}, \"images\": {}}"));
        cases.put("code: required", body("applicationRomStore", "{\"dockId\": \"" + DOCK
                + "\", \"kvStore\": {}, \"images\": {}}"));
        cases.put("kvStore: required", body("applicationRomStore", "{\"dockId\": \"" + DOCK
                + "\", \"code\": {\"code\": \"\"}, \"images\": {}}"));
        cases.put("images: required", body("applicationRomStore", "{\"dockId\": \"" + DOCK
                + "\", \"code\": {\"code\": \"\"}, \"kvStore\": {}}"));
        cases.put("dockId: required", body("applicationRomStore", "{\"code\": {\"code\": \"\"}, \"kvStore\": {}, "
                + "\"images\": {}}"));
        for (Map.Entry<String, String> each : cases.entrySet()) {
            TestServer.Reply reply = server.post(RomStoreServlet.PATH, token, each.getValue());
            assertErrors(reply, 400, each.getKey());
            assertUnchanged();
        }
    }

    @Test
    public void everyProblemOfARomStoreIsListed() throws Exception {
        TestServer.Reply reply = server.post(RomStoreServlet.PATH, token, romBody(DOCK, "@", "{\"a\": 1, \"b\": \"ok\", "
                + "\"c\": true}", "{\"logo\": {\"type\": \"JPEG\", \"data\": \"" + b64(FakeImageFormat.PNG) + "\"}, \"x\": {}}"));
        assertErrors(reply, 400, "code.code: not valid base64", "kvStore.a: expected a string, got a number",
                "kvStore.c: expected a string, got a boolean", "images.logo.data: not a valid JPEG: no JPEG signature",
                "images.x.type: required", "images.x.data: required");
        assertUnchanged();
    }

    @Test
    public void whatTheRomRefusesIs400ListingEachField() throws Exception {
        rom.refuse = List.of(new InvalidRomContentException.Problem("kvStore.\u0001bad", "invalid name"),
                new InvalidRomContentException.Problem("images.logo", "the ROM is full"));
        TestServer.Reply reply = server.post(RomStoreServlet.PATH, token,
                romBody(DOCK, "", "{\"\\u0001bad\": \"v\"}", goodImages()));
        assertErrors(reply, 400, "kvStore.\u0001bad: invalid name", "images.logo: the ROM is full");
        assertUnchanged();
    }

    @Test
    public void romStoreWithoutProvisioningOrImageFormatsIs503() throws Exception {
        romstore.provisioning = null;
        assertErrors(server.post(RomStoreServlet.PATH, token, romBody(DOCK, "", "{}", "{}")), 503,
                "no ROM provisioning service");
        romstore.provisioning = rom;
        romimage.provisioning = rom;
        romstore.imageFormat = null;
        assertErrors(server.post(RomStoreServlet.PATH, token, romBody(DOCK, "", "{}", "{}")), 503,
                "no image-format service");
        assertUnchanged();
    }

    /**
     * A changed configuration takes effect in place: the tokens issued after it live as long as it
     * says, on the API's own clock, and once expired every endpoint refuses them and changes nothing.
     */
    @Test
    public void aChangedLifetimeAppliesAndEveryEndpointRefusesAnExpiredToken() throws Exception {
        FakeFramework framework = new FakeFramework();
        framework.properties.put(DevApi.DATA_DIR, folder.getRoot().toString());
        try {
            api.modified(configuration(1), framework.context());
            // One token per endpoint: a token is reported expired once, and unknown after that.
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                TestServer.Reply login = server.post(LoginServlet.PATH, null, loginBody(CLIENT, SECRET, ENTERPRISE));
                assertEquals(login.text(), 201, login.status());
                assertEquals(1, login.json().path("meta").path("expiresIn").asLong());
                tokens.add(login.json().path("data").path("attributes").path("accessToken").asText());
            }
            clock.addAndGet(999_999_999L);
            assertEquals(200, server.get("/api/datastore/kv", tokens.get(0)).status());
            clock.incrementAndGet();

            String expired = "Authorization: the access token expired";
            assertErrors(server.get("/api/datastore/kv", tokens.get(0)), 401, expired);
            assertErrors(server.post(CodeDeployServlet.PATH, tokens.get(1), codeBody(DOCK, b64("x"))), 401, expired);
            assertErrors(server.post(RomStoreServlet.PATH, tokens.get(2), romBody(DOCK, b64("x"), "{}", goodImages())),
                    401, expired);
            assertErrors(server.post(MessageServlet.PATH, tokens.get(3), body("applicationMessage",
                    "{\"dockId\": \"" + DOCK + "\", \"message\": \"late\"}")), 401, expired);
            assertUnchanged();
        } finally {
            api.modified(configuration(60), framework.context());
        }
    }

    /** The configuration the API starts with, but for the token lifetime. */
    private static DevApiConfiguration configuration(long ttlSeconds) {
        return Configurations.of(DevApiConfiguration.class, "dock.id", DOCK, "client.id", CLIENT, "client.secret", SECRET,
                "enterprise.id", ENTERPRISE, "max.body.bytes", LIMIT, "token.ttl.seconds", ttlSeconds);
    }

    // ---- message ----

    @Test
    public void aMessageIsPostedAsAnEvent() throws Exception {
        TestServer.Reply reply = server.post(MessageServlet.PATH, token, body("applicationMessage",
                "{\"dockId\": \"" + DOCK.toLowerCase() + "\", \"message\": \"reload, please\"}"));
        assertEquals(reply.text(), 200, reply.status());
        assertEquals(1, events.posted().size());
        Event event = events.posted().get(0);
        assertEquals("datastore/application/MESSAGE", event.getTopic());
        assertEquals("reload, please", event.getProperty(MessageServlet.MESSAGE));
        assertEquals(DOCK, event.getProperty(MessageServlet.DOCK_ID));
    }

    @Test
    public void badMessagesAre400AndPostNothing() throws Exception {
        assertErrors(server.post(MessageServlet.PATH, token, body("applicationMessage",
                "{\"dockId\": \"" + DOCK + "\", \"message\": 3}")), 400, "message: expected a string, got a number");
        assertErrors(server.post(MessageServlet.PATH, token, body("applicationMessage",
                "{\"dockId\": \"" + DOCK + "\"}")), 400, "message: required");
        message.eventAdmin = null;
        assertErrors(server.post(MessageServlet.PATH, token, body("applicationMessage",
                "{\"dockId\": \"" + DOCK + "\", \"message\": \"m\"}")), 503, "no Event Admin service");
        assertUnchanged();
    }

    // ---- browse ----

    @Test
    public void partitionsAreListedHighestRankingFirst() throws Exception {
        status.broken("broken", 50, "partition broken is unmounted");
        TestServer.Reply reply = server.get("/api/datastore/partitions", token);
        assertEquals(200, reply.status());
        JsonNode data = reply.json().path("data");
        assertEquals(4, data.size());
        assertEquals("ephemeral", data.get(0).path("id").asText());
        assertEquals("partition", data.get(0).path("type").asText());
        JsonNode rom = data.get(2).path("attributes");
        assertEquals("rom", rom.path("name").asText());
        assertEquals(100, rom.path("ranking").intValue());
        assertTrue(rom.path("readOnly").booleanValue());
        assertEquals(1000, rom.path("capacity").longValue());
        assertEquals(250, rom.path("used").longValue());
        assertEquals(2, rom.path("entries").path("kv").intValue());
        assertEquals(0, rom.path("entries").path("image").intValue());
        JsonNode broken = data.get(3).path("attributes");
        assertEquals("broken", broken.path("name").asText());
        assertTrue(broken.path("error").asText().contains("unmounted"));
    }

    @Test
    public void aRefusedPartitionIsListedWithItsReasonAndListingKeysIsA503() throws Exception {
        String reason = "recorded for offset 0x2000000 size 0x5000000, configured offset 0x2010000 size 0x5000000";
        status.refusing("runtime-b", reason);
        kv.unavailable = reason;

        JsonNode data = server.get("/api/datastore/partitions", token).json().path("data");
        JsonNode refused = data.get(data.size() - 1).path("attributes");
        assertEquals("runtime-b", refused.path("name").asText());
        assertEquals("refused", refused.path("state").asText());
        assertEquals(reason, refused.path("reason").asText());
        assertTrue(refused.path("error").asText().contains("datastore:format -f runtime-b"));
        assertEquals("mounted", data.get(0).path("attributes").path("state").asText());

        TestServer.Reply keys = server.get("/api/datastore/kv", token);
        assertEquals(503, keys.status());
        assertTrue(keys.text(), keys.text().contains(reason));
    }

    @Test
    public void onePartitionIsBrowsedAloneWhenNamed() throws Exception {
        JsonNode rom = server.get("/api/datastore/kv?partition=rom", token).json().path("data");
        assertEquals(1, rom.size());
        assertEquals("timezone", rom.get(0).path("id").asText());
        assertEquals("rom", rom.get(0).path("attributes").path("partition").asText());
        assertEquals(0, server.get("/api/datastore/kv?partition=ephemeral", token).json().path("data").size());

        TestServer.Reply image = server.get("/api/datastore/images/logo?partition=rom", token);
        assertEquals(200, image.status());
        assertArrayEquals(FakeImageFormat.PNG, image.body());
        assertErrors(server.get("/api/datastore/images/logo?partition=ephemeral", token), 404,
                "tag: partition ephemeral has no image tagged \"logo\"");
    }

    @Test
    public void keysAreListedWithTheirPartition() throws Exception {
        JsonNode data = server.get("/api/datastore/kv", token).json().path("data");
        assertEquals(2, data.size());
        assertEquals("kvEntry", data.get(0).path("type").asText());
        assertEquals("greeting", data.get(0).path("id").asText());
        assertEquals("hello", data.get(0).path("attributes").path("value").asText());
        assertEquals("runtime", data.get(0).path("attributes").path("partition").asText());
        assertEquals("rom", data.get(1).path("attributes").path("partition").asText());
    }

    @Test
    public void imagesAreListedWithTypeSizeAndPartition() throws Exception {
        JsonNode data = server.get("/api/datastore/images", token).json().path("data");
        assertEquals(2, data.size());
        JsonNode logo = data.get(0).path("attributes");
        assertEquals("logo", data.get(0).path("id").asText());
        assertEquals("PNG", logo.path("type").asText());
        assertEquals("image/png", logo.path("mediaType").asText());
        assertEquals(FakeImageFormat.PNG.length, logo.path("size").intValue());
        assertEquals("rom", logo.path("partition").asText());
    }

    @Test
    public void anImageIsServedWithItsMediaType() throws Exception {
        images.staleOpens = 2;
        TestServer.Reply reply = server.get("/api/datastore/images/splash", token);
        assertEquals(200, reply.status());
        assertEquals("image/jpeg", reply.header("Content-Type"));
        assertArrayEquals(FakeImageFormat.JPEG, reply.body());
        reply = server.get("/api/datastore/images/a%20tag", token);
        assertErrors(reply, 404, "tag: no image tagged \"a tag\"");
        images.staleOpens = 3;
        assertErrors(server.get("/api/datastore/images/logo", token), 409, "tag: the image \"logo\" kept changing");
    }

    @Test
    public void theCodesOriginIsShownWithoutTheCode() throws Exception {
        JsonNode attributes = server.get("/api/datastore/code", token).json().path("data").path("attributes");
        assertFalse(attributes.path("present").booleanValue());
        codeStore.deploy("abc".getBytes(StandardCharsets.UTF_8), Partitions.RUNTIME);
        attributes = server.get("/api/datastore/code", token).json().path("data").path("attributes");
        assertTrue(attributes.path("present").booleanValue());
        assertEquals("runtime", attributes.path("partition").asText());
        assertEquals(3, attributes.path("size").intValue());
        assertNull(attributes.get("source"));
    }

    @Test
    public void browseAnswers404ForUnknownPathsAnd503WithoutAStore() throws Exception {
        assertErrors(server.get("/api/datastore/nothing", token), 404, "path: /api/datastore/nothing is not a browse endpoint");
        assertErrors(server.get("/api/datastore/images/", token), 404, "path:");
        browser.kvStore = null;
        assertErrors(server.get("/api/datastore/kv", token), 503, "no key-value store");
    }

    // ---- console ----

    /** Logs in to the console and returns its session cookie as a Cookie header value. */
    private String consoleSession() throws Exception {
        TestServer.Reply reply = server.post("/console/session", null, loginBody(CLIENT, SECRET, ENTERPRISE));
        assertEquals(reply.text(), 201, reply.status());
        String cookie = reply.header("Set-Cookie");
        assertTrue(cookie, cookie.startsWith("dock-console=") && cookie.contains("; HttpOnly")
                && cookie.contains("; SameSite=Strict") && cookie.contains("; Path=/console"));
        return cookie.substring(0, cookie.indexOf(';'));
    }

    private TestServer.Reply consoleGet(String path, String cookie) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).timeout(java.time.Duration.ofSeconds(30)).GET();
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return server.send(request.build());
    }

    @Test
    public void theConsoleIsBehindALoginAndItsPageIsServedToASession() throws Exception {
        TestServer.Reply redirect = consoleGet("/console", null);
        assertEquals(302, redirect.status());
        assertTrue(redirect.header("Location"), redirect.header("Location").endsWith("/console/"));
        TestServer.Reply toLogin = consoleGet("/console/", null);
        assertEquals(302, toLogin.status());
        assertTrue(toLogin.header("Location"), toLogin.header("Location").endsWith("/console/login.html"));
        TestServer.Reply login = consoleGet("/console/login.html", null);
        assertEquals(200, login.status());
        assertTrue(login.text().contains("login.js"));
        assertNotNull(login.header("Content-Security-Policy"));
        assertTrue(consoleGet("/console/login.js", null).text().contains("session"));
        assertTrue(consoleGet("/console/console.css", null).header("Content-Type").startsWith("text/css"));
        for (String closed : List.of("/console/console.js", "/console/state", "/console/images/logo", "/console/events")) {
            assertErrors(consoleGet(closed, null), 401, "console session: none; log in at /console/login.html");
            assertErrors(consoleGet(closed, "dock-console=forged"), 401,
                    "console session: unknown or expired; log in again at /console/login.html");
        }

        String session = consoleSession();
        TestServer.Reply page = consoleGet("/console/", session);
        assertEquals(200, page.status());
        assertTrue(page.header("Content-Type").startsWith("text/html"));
        assertTrue(page.text().contains("console.js"));
        assertNotNull(page.header("Content-Security-Policy"));
        assertTrue(consoleGet("/console/console.js", session).text().contains("EventSource"));
        assertErrors(consoleGet("/console/secret.txt", session), 404, "path: the console has no /console/secret.txt");
    }

    @Test
    public void aConsoleLoginNeedsTheCredentialsAndJsonAndALogoutEndsTheCookie() throws Exception {
        TestServer.Reply wrong = server.post("/console/session", null, loginBody(CLIENT, "wrong", ENTERPRISE));
        assertErrors(wrong, 401, "clientId, clientSecret or enterpriseId is wrong");
        assertNull(wrong.header("Set-Cookie"));
        TestServer.Reply form = server.send(HttpRequest.newBuilder(server.uri("/console/session"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("clientId=" + CLIENT)).build());
        assertEquals(415, form.status());
        assertNull(form.header("Set-Cookie"));
        TestServer.Reply logout = server.send(HttpRequest.newBuilder(server.uri("/console/session"))
                .method("DELETE", HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(204, logout.status());
        assertTrue(logout.header("Set-Cookie"), logout.header("Set-Cookie").startsWith("dock-console=; Path=/console; Max-Age=0"));
        assertErrors(server.send(HttpRequest.newBuilder(server.uri("/console/state"))
                .method("DELETE", HttpRequest.BodyPublishers.noBody()).build()), 405,
                "DELETE: /console/state answers GET only");
    }

    @Test
    public void theConsoleStateHasEverythingTheConsoleShows() throws Exception {
        codeStore.deploy(new byte[10], Partitions.EPHEMERAL);
        String session = consoleSession();
        JsonNode state = consoleGet("/console/state", session).json();
        assertEquals(DOCK, state.path("dockId").asText());
        assertEquals(3, state.path("partitions").size());
        assertEquals("greeting", state.path("kv").get(0).path("key").asText());
        assertEquals("splash", state.path("images").get(1).path("tag").asText());
        assertEquals("ephemeral", state.path("code").path("partition").asText());
        assertEquals(10, state.path("code").path("size").intValue());
        browser.imageStore = null;
        state = consoleGet("/console/state", session).json();
        assertTrue(state.path("imagesError").asText().contains("no image store"));
        assertEquals(2, state.path("kv").size());
    }

    @Test
    public void uniquePerDockValuesAreMaskedInTheConsoleUntilRevealed() throws Exception {
        kv.with("enrolment_token", "tok-secret-0001", "rom");
        rom.uniquePerDock = List.of("enrolment_token", "timezone_not_from_rom");
        browser.romProvisioning = rom;
        String session = consoleSession();

        TestServer.Reply state = consoleGet("/console/state", session);
        assertFalse("the token is not in the state: " + state.text(), state.text().contains("tok-secret-0001"));
        JsonNode token = null;
        for (JsonNode entry : state.json().path("kv")) {
            if (entry.path("key").asText().equals("enrolment_token")) {
                token = entry;
            }
        }
        assertTrue(token.path("masked").asBoolean());
        assertTrue(token.path("value").isNull());
        assertTrue("other ROM values show", state.text().contains("\"UTC\""));

        JsonNode revealed = consoleGet("/console/reveal?key=enrolment_token", session).json();
        assertEquals("tok-secret-0001", revealed.path("value").asText());
        assertErrors(consoleGet("/console/reveal?key=enrolment_token", null), 401,
                "console session: none; log in at /console/login.html");
        assertErrors(consoleGet("/console/reveal?key=nothing", session), 404, "key: no key \"nothing\"");
        // The browse API, for authenticated scripts, is not the console: it answers values as stored.
        assertTrue(server.get("/api/datastore/kv", this.token).text().contains("tok-secret-0001"));
    }

    @Test
    public void theConsoleServesImagesToASessionWithoutAToken() throws Exception {
        TestServer.Reply reply = consoleGet("/console/images/logo", consoleSession());
        assertEquals(200, reply.status());
        assertEquals("image/png", reply.header("Content-Type"));
        assertArrayEquals(FakeImageFormat.PNG, reply.body());
    }

    @Test
    public void theConsoleRefusesHostsThatAreNotLoopback() throws Exception {
        String session = consoleSession();
        String head = server.raw("GET /console/state HTTP/1.1\r\nHost: attacker.example:" + server.port()
                + "\r\nCookie: " + session + "\r\nConnection: close\r\n\r\n");
        assertTrue(head, head.startsWith("HTTP/1.1 403"));
        head = server.raw("GET /console/state HTTP/1.1\r\nHost: localhost:" + server.port() + "\r\nCookie: " + session
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(head, head.startsWith("HTTP/1.1 200"));
    }

    /** The ROM content as text, to compare before and after. */
    private static String describe(RomContent content) {
        StringBuilder text = new StringBuilder(new String(content.code(), StandardCharsets.ISO_8859_1));
        text.append(content.kvStore());
        content.images().forEach((tag, image) -> text.append(tag).append(image.type())
                .append(java.util.Arrays.toString(image.data())));
        return text.toString();
    }
}
