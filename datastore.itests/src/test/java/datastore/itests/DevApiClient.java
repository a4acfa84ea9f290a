package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A client of a running dock's development API over real HTTP, shaped like the developers' scripts:
 * JSON:API bodies {@code {"data": {"type", "attributes"}}}, a bearer token from the login.
 */
final class DevApiClient {

    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private String token;

    DevApiClient(int port) {
        this("127.0.0.1", port);
    }

    DevApiClient(String host, int port) {
        this.base = "http://" + host + ":" + port;
    }

    /** A status code, the raw body and the body as JSON (null when it is not JSON). */
    record Answer(int status, byte[] body, String contentType) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + ", " + contentType + "): " + text(), e);
            }
        }

        String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }

        /** Asserts the status and answers this, for chaining. */
        Answer expect(int expected) {
            assertEquals("HTTP status; body: " + text(), expected, status);
            return this;
        }

        /** The {@code errors[].detail} texts, each on its own line. */
        String details() {
            StringBuilder all = new StringBuilder();
            for (JsonNode error : json().path("errors")) {
                assertEquals(Integer.toString(status), error.path("status").asText());
                all.append(error.path("detail").asText()).append('\n');
            }
            return all.toString();
        }
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** {@code {"data": {"type": type, "attributes": attributes}}}. */
    static ObjectNode document(String type, ObjectNode attributes) {
        ObjectNode document = object();
        document.putObject("data").put("type", type).set("attributes", attributes);
        return document;
    }

    String base() {
        return base;
    }

    String token() {
        return token;
    }

    /** The credentials the dock generated on its first start, from its data folder. */
    static java.util.Properties generatedCredentials(java.nio.file.Path data) throws IOException {
        java.util.Properties credentials = new java.util.Properties();
        try (InputStream in = java.nio.file.Files.newInputStream(data.resolve("dev-credentials.properties"))) {
            credentials.load(in);
        }
        return credentials;
    }

    /** Logs in with credentials keyed like the dock's configuration ({@code client.id}, ...). */
    String login(java.util.Properties credentials) throws Exception {
        return login(credentials.getProperty("client.id"), credentials.getProperty("client.secret"),
                credentials.getProperty("enterprise.id"));
    }

    /** Logs in and keeps the token for later requests. */
    String login(String clientId, String clientSecret, String enterpriseId) throws Exception {
        Answer answer = loginAnswer(clientId, clientSecret, enterpriseId).expect(201);
        JsonNode body = answer.json();
        assertEquals("isvApplicationAuth", body.path("data").path("type").asText());
        assertTrue(body.toString(), body.path("data").path("id").asText().length() > 0);
        assertTrue(body.toString(), body.path("meta").path("createdTimestamp").isNumber());
        token = body.path("data").path("attributes").path("accessToken").asText();
        assertTrue(body.toString(), token.length() > 0);
        return token;
    }

    Answer loginAnswer(String clientId, String clientSecret, String enterpriseId) throws Exception {
        ObjectNode attributes = object().put("clientId", clientId).put("clientSecret", clientSecret)
                .put("enterpriseId", enterpriseId);
        return send(post("/api/isv/application/login", document("isvApplicationLogin", attributes).toString(), null));
    }

    /** POSTs {@code body} with the kept token. */
    Answer post(String path, JsonNode body) throws Exception {
        return post(path, body.toString());
    }

    Answer post(String path, String body) throws Exception {
        return send(post(path, body, "Bearer " + token));
    }

    /**
     * POSTs like {@link #post(String, JsonNode)}, retrying for up to 10 s while the answer is 503: just
     * after a start, a service the endpoint needs (the ROM partition's provisioning) may still be coming.
     */
    Answer postOnceAvailable(String path, JsonNode body) throws Exception {
        Answer answer = post(path, body);
        for (int attempt = 0; answer.status() == 503 && attempt < 100; attempt++) {
            Thread.sleep(100);
            answer = post(path, body);
        }
        return answer;
    }

    /** GETs like {@link #get(String)}, retrying for up to 10 s while the answer is 503, as {@link #postOnceAvailable} does. */
    Answer getOnceAvailable(String path) throws Exception {
        Answer answer = get(path);
        for (int attempt = 0; answer.status() == 503 && attempt < 100; attempt++) {
            Thread.sleep(100);
            answer = get(path);
        }
        return answer;
    }

    /** POSTs with the given {@code Authorization} header (null: none). */
    Answer postAuthorized(String path, String body, String authorization) throws Exception {
        return send(post(path, body, authorization));
    }

    /** POSTs a body of unknown length, streamed in chunks (no Content-Length). */
    Answer postStreamed(String path, Supplier<InputStream> body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofInputStream(body)).build());
    }

    /** GETs with the kept token. */
    Answer get(String path) throws Exception {
        return getAuthorized(path, "Bearer " + token);
    }

    Answer getAuthorized(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return send(request.build());
    }

    private HttpRequest post(String path, String body, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request.build();
    }

    private Answer send(HttpRequest request) throws Exception {
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), response.body(),
                response.headers().firstValue("Content-Type").orElse(""));
    }

    /**
     * Waits up to 60 s until the API's servlets are registered (the login answers something else
     * than 404), and answers the milliseconds waited.
     */
    long awaitApi() throws Exception {
        long begin = System.nanoTime();
        long deadline = begin + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (loginAnswer("", "", "").status() != 404) {
                    return Duration.ofNanos(System.nanoTime() - begin).toMillis();
                }
            } catch (IOException notYet) {
                // Jetty is not listening yet.
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the development API did not appear on " + base + " within 60 s");
    }
}
