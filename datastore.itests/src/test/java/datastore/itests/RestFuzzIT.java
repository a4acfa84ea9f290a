package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Hostile HTTP against the exported development dock: 10,000 generated requests from 8 concurrent
 * clients (mutated protocol bodies, wrong types and shapes, deep and huge JSON, bad base64, broken
 * UTF-8, wrong methods and content types, bad tokens, odd paths) while a few clients hold
 * connections open with bodies they never finish. Every answer must be a 4xx or a success, none may
 * hang, no request built to be invalid may be accepted, the store must be exactly as before, and the
 * dock must serve normally afterwards. Prints {@code rest-fuzz: requests=N server-errors=E changed=C}.
 */
public class RestFuzzIT {

    private static final int REQUESTS = 10_000;
    private static final int CLIENTS = 8;
    private static final int STALLED = 6;
    private static final String ROMSTORE = "/api/docks/application/romstore";
    private static final String CODE = "/api/docks/application/code";
    private static final String MESSAGE = "/api/docks/application/message";
    private static final String LOGIN = "/api/isv/application/login";
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};
    private static final String[] PATHS = {ROMSTORE, CODE, MESSAGE, LOGIN, "/api/datastore/partitions",
        "/api/datastore/kv", "/api/datastore/images", "/api/datastore/code", "/api/datastore/images/logo",
        "/api/datastore/nothing", "/api/", "/api", "/console/", "/console/state", "/console/session",
        "/console/reveal?key=dock_name", "/", "/api/docks/application/romstore/extra"};

    /** One request: how to send it, and whether accepting it would be a bug (it was built invalid). */
    private record Case(String method, String path, String contentType, byte[] body, String authorization,
            boolean mustFail, boolean oversized) {

        Case(String method, String path, String contentType, byte[] body, String authorization, boolean mustFail) {
            this(method, path, contentType, body, authorization, mustFail, false);
        }
    }

    @Test
    public void tenThousandHostileRequestsChangeNothingAndBreakNothing() throws Exception {
        try (ExportedDock dock = ExportedDock.start("dock", ExportedDock.newDataFolder("fuzz"))) {
            DevApiClient client = new DevApiClient(dock.port());
            dock.awaitHttpPort();
            Properties credentials = new Properties();
            try (InputStream in = Files.newInputStream(dock.data().resolve("dev-credentials.properties"))) {
                credentials.load(in);
            }
            String dockId = credentials.getProperty("dock.id");
            String token = client.login(credentials);
            SampleRomStore sample = SampleRomStore.load();
            client.post(ROMSTORE, sample.request(dockId)).expect(200);
            dock.shell("datastore:kvput -p runtime timezone Europe/London");
            client.post(CODE, DevApiClient.document("applicationCode", DevApiClient.object().put("dockId", dockId)
                    .put("code", SampleRomStore.base64("print('before')".getBytes(StandardCharsets.UTF_8))))
                    .toString()).expect(200);
            StoreSnapshot before = StoreSnapshot.take(client, dock);

            List<Case> cases = generate(new SplittableRandom(20261206), dockId, token, credentials, sample);
            List<Socket> stalled = stallBodies(dock.port());
            AtomicInteger serverErrors = new AtomicInteger();
            AtomicInteger hung = new AtomicInteger();
            AtomicInteger closedOnOversized = new AtomicInteger();
            AtomicInteger accepted = new AtomicInteger();
            ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int first = c;
                    done.add(pool.submit(() -> {
                        for (int i = first; i < cases.size(); i += CLIENTS) {
                            Case fuzz = cases.get(i);
                            int status = send(http, dock.port(), fuzz, hung, closedOnOversized);
                            if (status >= 500) {
                                serverErrors.incrementAndGet();
                                remember(examples, status + " " + fuzz.method() + " " + fuzz.path());
                            }
                            if (fuzz.mustFail() && status >= 200 && status < 300) {
                                accepted.incrementAndGet();
                                remember(examples, "accepted " + fuzz.method() + " " + fuzz.path() + ": "
                                        + new String(fuzz.body(), 0, Math.min(300, fuzz.body().length), StandardCharsets.UTF_8));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get();
                }
            } finally {
                pool.shutdownNow();
                for (Socket socket : stalled) {
                    socket.close();
                }
            }

            StoreSnapshot after = StoreSnapshot.take(client, dock);
            int changed = accepted.get() + (after.equals(before) ? 0 : 1);
            System.out.println("rest-fuzz: requests=" + cases.size() + " server-errors=" + serverErrors.get()
                    + " changed=" + changed + " hung=" + hung.get() + " closed-on-oversized-body=" + closedOnOversized.get());
            assertEquals("server errors, e.g. " + examples, 0, serverErrors.get());
            assertEquals("requests that hung, e.g. " + examples, 0, hung.get());
            assertEquals("invalid requests accepted, e.g. " + examples, 0, accepted.get());
            before.assertUnchanged("the fuzz", client, dock);
            // And the dock serves as before: a fresh login, a valid deploy, a read.
            DevApiClient fresh = new DevApiClient(dock.port());
            fresh.login(credentials);
            fresh.post(CODE, DevApiClient.document("applicationCode", DevApiClient.object().put("dockId", dockId)
                    .put("code", SampleRomStore.base64("print('after')".getBytes(StandardCharsets.UTF_8)))).toString())
                    .expect(200);
            assertTrue(fresh.get("/api/datastore/kv").expect(200).text().contains("Europe/London"));
            dock.stop();
        }
    }

    private static void remember(ConcurrentLinkedQueue<String> examples, String example) {
        if (examples.size() < 5) {
            examples.add(example);
        }
    }

    /** Sends one case and answers its status; -1 when it got no answer in time. */
    private static int send(HttpClient http, int port, Case fuzz, AtomicInteger hung, AtomicInteger closedOnOversized)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + fuzz.path()))
                .timeout(Duration.ofSeconds(20))
                .method(fuzz.method(), fuzz.body().length == 0 && !fuzz.method().equals("POST")
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(fuzz.body()));
        if (fuzz.contentType() != null) {
            request.header("Content-Type", fuzz.contentType());
        }
        if (fuzz.authorization() != null) {
            request.header("Authorization", fuzz.authorization());
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (HttpTimeoutException e) {
            hung.incrementAndGet();
            return -1;
        } catch (java.io.IOException e) {
            if (fuzz.oversized()) {
                // A body over the endpoint's limit is refused before it is read: 413 and the connection
                // closed, which a client still sending the body may see as the connection reset.
                closedOnOversized.incrementAndGet();
                return 413;
            }
            throw e;
        }
    }

    /** Connections that declare a body and send only its start, held open through the fuzz. */
    private static List<Socket> stallBodies(int port) throws Exception {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < STALLED; i++) {
            Socket socket = new Socket("127.0.0.1", port);
            OutputStream out = socket.getOutputStream();
            String path = i % 2 == 0 ? LOGIN : ROMSTORE;
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{\"data\": {\"type\": ").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            sockets.add(socket);
        }
        return sockets;
    }

    // ---------------------------------------------------------------- generation

    private static List<Case> generate(SplittableRandom random, String dockId, String token, Properties credentials,
            SampleRomStore sample) {
        String bearer = "Bearer " + token;
        byte[] bmp = sample.imageData("logo");
        List<Case> cases = new ArrayList<>(REQUESTS);
        while (cases.size() < REQUESTS) {
            int kind = random.nextInt(100);
            String authorization = random.nextInt(10) == 0 ? badAuthorization(random, token) : bearer;
            if (kind < 35) {
                cases.add(new Case("POST", ROMSTORE, json(random), invalidRomStore(random, dockId, bmp),
                        authorization, true));
            } else if (kind < 50) {
                cases.add(new Case("POST", CODE, json(random), invalidCode(random, dockId), authorization, true));
            } else if (kind < 60) {
                byte[] body = mutate(random, DevApiClient.document("applicationMessage", DevApiClient.object()
                        .put("dockId", dockId).put("message", "m" + random.nextInt())).toString().getBytes(StandardCharsets.UTF_8));
                cases.add(new Case("POST", MESSAGE, json(random), body, authorization, false));
            } else if (kind < 70) {
                byte[] body = mutate(random, DevApiClient.document("isvApplicationLogin", DevApiClient.object()
                        .put("clientId", credentials.getProperty("client.id")).put("clientSecret", "wrong-" + random.nextInt())
                        .put("enterpriseId", credentials.getProperty("enterprise.id"))).toString()
                        .getBytes(StandardCharsets.UTF_8));
                boolean oversized = random.nextInt(10) == 0;
                if (oversized) {
                    body = ("{\"data\": \"" + "x".repeat(20_000) + "\"}").getBytes(StandardCharsets.UTF_8);
                }
                cases.add(new Case("POST", LOGIN, json(random), body, null, true, oversized));
            } else if (kind < 85) {
                String path = PATHS[random.nextInt(PATHS.length)];
                String method = METHODS[random.nextInt(METHODS.length)];
                boolean writes = path.equals(ROMSTORE) || path.equals(CODE);
                byte[] body = method.equals("GET") || method.equals("HEAD") ? new byte[0]
                        : garbage(random, random.nextInt(2000));
                cases.add(new Case(method, path, random.nextBoolean() ? json(random) : "text/plain", body, authorization,
                        writes || path.equals(LOGIN)));
            } else {
                cases.add(new Case("GET", "/api/datastore/images/" + oddTag(random), null, new byte[0], authorization,
                        false));
            }
        }
        return cases;
    }

    private static String json(SplittableRandom random) {
        switch (random.nextInt(12)) {
            case 0: return null;
            case 1: return "text/plain";
            case 2: return "application/x-www-form-urlencoded";
            case 3: return "multipart/form-data; boundary=x";
            case 4: return "application/vnd.api+json";
            default: return "application/json";
        }
    }

    private static String badAuthorization(SplittableRandom random, String token) {
        switch (random.nextInt(5)) {
            case 0: return null;
            case 1: return "Bearer";
            case 2: return "Bearer " + token.substring(1);
            case 3: return "Basic " + Base64.getEncoder().encodeToString("a:b".getBytes(StandardCharsets.UTF_8));
            default: return "Bearer \u00e9\u00e9";
        }
    }

    /** A ROM store request that is wrong in one place, chosen at random: never one the dock may accept. */
    private static byte[] invalidRomStore(SplittableRandom random, String dockId, byte[] bmp) {
        ObjectNode attributes = DevApiClient.object().put("dockId", dockId);
        attributes.putObject("code").put("code", Base64.getEncoder().encodeToString("print(1)".getBytes(StandardCharsets.UTF_8)));
        attributes.putObject("kvStore").put("dock_name", "Fuzz").put("timezone", "UTC");
        attributes.putObject("images").putObject("logo").put("type", "BMP").put("data", Base64.getEncoder().encodeToString(bmp));
        ObjectNode document = DevApiClient.document("applicationRomStore", attributes);
        switch (random.nextInt(16)) {
            case 0: attributes.put("dockId", "not-" + dockId); break;
            case 1: ((ObjectNode) document.get("data")).put("type", "applicationCode"); break;
            case 2: attributes.remove(List.of("dockId", "code", "kvStore", "images").get(random.nextInt(4))); break;
            case 3: ((ObjectNode) attributes.get("kvStore")).put("timezone", random.nextInt()); break;
            case 4: ((ObjectNode) attributes.get("kvStore")).putArray("timezone").add(1); break;
            case 5: ((ObjectNode) attributes.get("images").get("logo")).put("type", random.nextBoolean() ? "GIF" : ""); break;
            case 6: ((ObjectNode) attributes.get("images").get("logo")).put("data", "!!not base64!!"); break;
            case 7: ((ObjectNode) attributes.get("images").get("logo")).put("data",
                    Base64.getEncoder().encodeToString(garbage(random, 500))); break;
            case 8: ((ObjectNode) attributes.get("code")).put("code", 12); break;
            case 9: ((ObjectNode) attributes.get("kvStore")).put(random.nextBoolean() ? "bad\u0007name" : "\u202Eevil", "x"); break;
            case 10: ((ObjectNode) attributes.get("kvStore")).put("k".repeat(300), "x"); break;
            case 11: ((ObjectNode) attributes.get("kvStore")).put("big", "v".repeat(65 * 1024)); break;
            case 12: return ("{\"data\": " + "[".repeat(5000) + "]".repeat(5000) + "}").getBytes(StandardCharsets.UTF_8);
            case 13: return (document + " trailing").getBytes(StandardCharsets.UTF_8);
            case 14: {
                byte[] whole = document.toString().getBytes(StandardCharsets.UTF_8);
                return java.util.Arrays.copyOf(whole, random.nextInt(whole.length));
            }
            default: {
                // Broken UTF-8 inside a string that must be valid text.
                String text = document.toString().replace("\"Fuzz\"", "\"F\u0001uzz\"");
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < bytes.length; i++) {
                    if (bytes[i] == 1) {
                        bytes[i] = (byte) 0xC3;
                    }
                }
                return bytes;
            }
        }
        return document.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A code deploy that is wrong in one place. */
    private static byte[] invalidCode(SplittableRandom random, String dockId) {
        ObjectNode attributes = DevApiClient.object().put("dockId", dockId)
                .put("code", Base64.getEncoder().encodeToString("print('fuzz')".getBytes(StandardCharsets.UTF_8)));
        ObjectNode document = DevApiClient.document("applicationCode", attributes);
        switch (random.nextInt(8)) {
            case 0: attributes.put("dockId", dockId + "x"); break;
            case 1: attributes.put("code", "%%%"); break;
            case 2: attributes.put("code", random.nextLong()); break;
            case 3: attributes.remove("code"); break;
            case 4: ((ObjectNode) document.get("data")).put("type", "applicationRomStore"); break;
            case 5: attributes.putArray("dockId"); break;
            case 6: return new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'};
            default: return ("{\"data\": {\"type\": \"applicationCode\", \"attributes\": {\"dockId\": \"" + dockId
                    + "\", \"dockId\": \"" + dockId + "\", \"code\": \"cHJpbnQoMSk=\"}}}").getBytes(StandardCharsets.UTF_8);
        }
        return document.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes with a few random edits: flips, deletions, insertions, a cut. */
    private static byte[] mutate(SplittableRandom random, byte[] bytes) {
        byte[] out = bytes.clone();
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits && out.length > 0; e++) {
            int at = random.nextInt(out.length);
            switch (random.nextInt(4)) {
                case 0: out[at] = (byte) random.nextInt(256); break;
                case 1: out = concat(java.util.Arrays.copyOf(out, at), java.util.Arrays.copyOfRange(out, at + 1, out.length)); break;
                case 2: out = concat(java.util.Arrays.copyOf(out, at), concat(garbage(random, 1 + random.nextInt(8)),
                        java.util.Arrays.copyOfRange(out, at, out.length))); break;
                default: out = java.util.Arrays.copyOf(out, at); break;
            }
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static byte[] garbage(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String oddTag(SplittableRandom random) {
        String[] tags = {"logo", "%2e%2e%2fflash.img", "..%2F..%2Fetc%2Fpasswd", "%00", "a%20b", "%E2%80%AEgnp", "x".repeat(400),
            "%ff%fe", "default?x=1", "logo/extra"};
        return tags[random.nextInt(tags.length)];
    }
}
