package datastore.itests;

import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Debian's chromium, headless, driven over the Chrome DevTools Protocol (a WebSocket of JSON
 * commands) with nothing but the JDK's HTTP client: one page, navigated, evaluated and captured.
 * The browser runs with a fresh profile and every feature that would reach the network switched
 * off, since the machine has none. A missing chromium fails the test: CI installs it.
 */
final class HeadlessChromium implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Path profile;
    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(Path executable, Path profile) throws Exception {
        this.profile = profile;
        List<String> command = new ArrayList<>(List.of(executable.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
                "--hide-scrollbars", "--window-size=1280,1500", "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(profile.resolveSibling(profile.getFileName() + ".log").toFile()).start();
        int port = devToolsPort();
        HttpClient http = HttpClient.newHttpClient();
        String targets = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).body();
        String pageSocket = null;
        for (JsonNode target : DevApiClient.JSON.readTree(targets)) {
            if ("page".equals(target.path("type").asText())) {
                pageSocket = target.path("webSocketDebuggerUrl").asText();
            }
        }
        if (pageSocket == null) {
            throw new IllegalStateException("chromium shows no page target: " + targets);
        }
        socket = http.newWebSocketBuilder().connectTimeout(TIMEOUT)
                .buildAsync(URI.create(pageSocket), new Listener()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        call("Page.enable", DevApiClient.object());
        call("Runtime.enable", DevApiClient.object());
    }

    /** Starts chromium, or fails the test saying how to install it. */
    static HeadlessChromium start(Path work) throws Exception {
        Path executable = executable();
        if (executable == null) {
            fail("chromium is not installed: the dev console test needs Debian's headless chromium "
                    + "(apt-get install chromium; .ci/run installs it), or -Ditest.chromium=/path/to/chromium");
        }
        return new HeadlessChromium(executable, Files.createTempDirectory(work, "chromium-profile-"));
    }

    private static Path executable() {
        String configured = System.getProperty("itest.chromium", "");
        if (!configured.isBlank()) {
            return Files.isExecutable(Paths.get(configured)) ? Paths.get(configured) : null;
        }
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String folder : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path candidate = Paths.get(folder, name);
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }

    /** Chromium writes the port it picked into DevToolsActivePort in its profile; woken as the profile changes. */
    private int devToolsPort() throws Exception {
        Path file = profile.resolve("DevToolsActivePort");
        return FolderWatch.await(profile, process, TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("chromium exited with status " + process.exitValue() + ": "
                        + Files.readString(profile.resolveSibling(profile.getFileName() + ".log")));
            }
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file);
                if (!lines.isEmpty() && lines.get(0).matches("[0-9]+")) {
                    return Optional.of(Integer.parseInt(lines.get(0)));
                }
            }
            return Optional.empty();
        }, () -> "chromium did not open its DevTools port within " + TIMEOUT);
    }

    /** Sends one DevTools command and answers its result. */
    JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode message = DevApiClient.object().put("id", id).put("method", method);
        message.set("params", params);
        socket.sendText(message.toString(), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        JsonNode reply = answer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IllegalStateException(method + " failed: " + reply.get("error"));
        }
        return reply.path("result");
    }

    /** Loads {@code url} and waits for its load event. */
    void navigate(String url) throws Exception {
        navigate(url, url);
    }

    /** Opens {@code url} and waits until the page it redirects to, {@code landsOn}, has loaded. */
    void navigate(String url, String landsOn) throws Exception {
        call("Page.navigate", DevApiClient.object().put("url", url));
        waitFor("document.readyState === 'complete' && location.href === " + DevApiClient.JSON.writeValueAsString(landsOn),
                "the page " + url + " to load as " + landsOn);
    }

    /** The value of a JavaScript expression in the page (promises awaited). */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode result = call("Runtime.evaluate", DevApiClient.object().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true));
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException(expression + " threw: " + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** Waits up to 30 s until {@code condition} (a JavaScript expression) is true in the page. */
    void waitFor(String condition, String what) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (evaluate("!!(" + condition + ")").asBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("waited " + TIMEOUT.toSeconds() + " s for " + what + "; the page shows:\n"
                + evaluate("document.body ? document.body.innerText : '(no body)'").asText());
    }

    /** Writes a PNG of the whole page to {@code file}. */
    void screenshot(Path file) throws Exception {
        JsonNode shot = call("Page.captureScreenshot", DevApiClient.object().put("format", "png")
                .put("captureBeyondViewport", true));
        Files.write(file, Base64.getDecoder().decode(shot.path("data").asText()));
    }

    @Override
    public void close() throws IOException {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        } catch (RuntimeException ignored) {
            // The browser is ended below either way.
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** Collects a message's fragments and completes the command it answers. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode message = DevApiClient.JSON.readTree(text.toString());
                    if (message.has("id")) {
                        CompletableFuture<JsonNode> answer = pending.remove(message.get("id").asInt());
                        if (answer != null) {
                            answer.complete(message);
                        }
                    }
                } catch (IOException e) {
                    pending.values().forEach(answer -> answer.completeExceptionally(e));
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }
}
