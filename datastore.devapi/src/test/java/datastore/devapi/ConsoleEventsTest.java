package datastore.devapi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import datastore.testsupport.Configurations;

import org.junit.Test;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventHandler;

/** The console's server-sent event feed over real HTTP. */
public class ConsoleEventsTest {
    /** The handler subscribed as Event Admin would hold it, null when none is. */
    private final AtomicReference<EventHandler> subscribed = new AtomicReference<>();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final Function<EventHandler, Runnable> subscriber = handler -> {
        assertNull("subscribed twice", subscribed.getAndSet(handler));
        subscriptions.incrementAndGet();
        return () -> assertTrue("unsubscribed twice", subscribed.compareAndSet(handler, null));
    };

    @Test
    public void storeEventsReachTheConsoleAsChanges() throws Exception {
        DevApi api = new DevApi(Configurations.defaults(DevApiConfiguration.class), new DevCredentials("dock-1", "c", "s", "e"),
                new AccessTokens(60, System::nanoTime, System::currentTimeMillis, new SecureRandom()));
        ConsoleEvents events = new ConsoleEvents(api, subscriber);
        try (TestServer server = new TestServer(Map.of(ConsoleEvents.PATH, events))) {
            assertNull("subscribed with no client", subscribed.get());
            HttpResponse<InputStream> response = server.client().send(HttpRequest.newBuilder(server.uri(ConsoleEvents.PATH))
                    .header("Cookie", ApiServlet.CONSOLE_COOKIE + "=" + api.login("c", "s", "e").token())
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                assertEquals("retry: 2000", lines.readLine());
                assertEquals("event: hello", lines.readLine());
                assertEquals("data: dock-1", lines.readLine());
                assertEquals("", lines.readLine());
                assertEquals(1, events.clients());
                // Subscribed before the hello, so the change is delivered as Event Admin would.
                subscribed.get().handleEvent(new Event("datastore/kv/PUT", Map.of("name", "greeting")));
                assertEquals("event: change", lines.readLine());
                assertEquals("data: datastore/kv/PUT", lines.readLine());
                assertEquals("", lines.readLine());
                events.close();
                // Closing the feed ends the stream, so no request thread is left waiting.
                assertEquals(null, lines.readLine());
            }
            assertFalse(events.clients() > 0);
            assertNull("still subscribed after close", subscribed.get());
        }
    }

    @Test
    public void keepAlivesFindClientsThatLeft() throws Exception {
        DevApi api = new DevApi(Configurations.defaults(DevApiConfiguration.class), new DevCredentials("dock-1", "c", "s", "e"),
                new AccessTokens(60, System::nanoTime, System::currentTimeMillis, new SecureRandom()));
        ConsoleEvents events = new ConsoleEvents(api, subscriber);
        events.keepAliveMillis = 20;
        CountDownLatch gone = new CountDownLatch(1);
        events.onClientGone = gone::countDown;
        try (TestServer server = new TestServer(Map.of(ConsoleEvents.PATH, events))) {
            HttpResponse<InputStream> response = server.client().send(HttpRequest.newBuilder(server.uri(ConsoleEvents.PATH))
                    .header("Cookie", ApiServlet.CONSOLE_COOKIE + "=" + api.login("c", "s", "e").token())
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
            for (int i = 0; i < 4; i++) {
                lines.readLine();
            }
            assertEquals(": keep-alive", lines.readLine());
            lines.close();
            // A later keep-alive fails to reach the client that left, which frees its place.
            assertTrue("the feed kept a client that left", gone.await(30, TimeUnit.SECONDS));
            assertEquals(0, events.clients());
            // The last client gone, writes no longer pass through Event Admin's delivery threads.
            assertNull("still subscribed without clients", subscribed.get());
            assertEquals(1, subscriptions.get());
        } finally {
            events.close();
        }
    }

    @Test
    public void theFeedNeedsAConsoleSession() throws Exception {
        DevApi api = new DevApi(Configurations.defaults(DevApiConfiguration.class), new DevCredentials("dock-1", "c", "s", "e"),
                new AccessTokens(60, System::nanoTime, System::currentTimeMillis, new SecureRandom()));
        ConsoleEvents events = new ConsoleEvents(api, subscriber);
        try (TestServer server = new TestServer(Map.of(ConsoleEvents.PATH, events))) {
            HttpResponse<String> response = server.client().send(HttpRequest.newBuilder(server.uri(ConsoleEvents.PATH))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, response.statusCode());
            assertEquals(0, events.clients());
            assertEquals("a refused client subscribed", 0, subscriptions.get());
        } finally {
            events.close();
        }
    }

    @Test
    public void aFeedThatCannotSubscribeRefusesTheClientAndKeepsNoPlace() throws Exception {
        DevApi api = new DevApi(Configurations.defaults(DevApiConfiguration.class), new DevCredentials("dock-1", "c", "s", "e"),
                new AccessTokens(60, System::nanoTime, System::currentTimeMillis, new SecureRandom()));
        AtomicInteger refusals = new AtomicInteger(1);
        ConsoleEvents events = new ConsoleEvents(api, handler -> {
            if (refusals.getAndDecrement() > 0) {
                throw new IllegalStateException("the bundle is stopping");
            }
            return subscriber.apply(handler);
        });
        try (TestServer server = new TestServer(Map.of(ConsoleEvents.PATH, events))) {
            HttpRequest request = HttpRequest.newBuilder(server.uri(ConsoleEvents.PATH))
                    .header("Cookie", ApiServlet.CONSOLE_COOKIE + "=" + api.login("c", "s", "e").token()).GET().build();
            HttpResponse<String> refused = server.client().send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode());
            assertTrue(refused.body(), refused.body().contains("the bundle is stopping"));
            assertEquals(0, events.clients());
            assertFalse(events.subscribed());
            // The next client subscribes and is served.
            HttpResponse<InputStream> served = server.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, served.statusCode());
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(served.body(), StandardCharsets.UTF_8))) {
                assertEquals("retry: 2000", lines.readLine());
                assertTrue(events.subscribed());
                events.close();
            }
        } finally {
            events.close();
        }
        assertNull(subscribed.get());
    }

    @Test
    public void theConsoleAcceptsLoopbackHostsOnly() {
        for (String host : new String[] {"localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:80", "127.1.2.3:8080",
                "[::1]", "[::1]:8080", "LOCALHOST:1"}) {
            assertTrue(host, ConsoleServlet.isLoopbackHost(host));
        }
        for (String host : new String[] {"example.com", "localhost.example.com", "127.0.0.1.nip.io", "10.0.0.1:8080",
                "[::2]", "[::1]x", "localhost:http", "", "192.168.1.1"}) {
            assertFalse(host, ConsoleServlet.isLoopbackHost(host));
        }
        for (String address : new String[] {"127.0.0.1", "127.0.0.2", "::1", "0:0:0:0:0:0:0:1"}) {
            assertTrue(address, ConsoleServlet.isLoopbackAddress(address));
        }
        for (String address : new String[] {"10.0.0.1", "192.168.0.1", "::2", "localhost", "example.com", "", null}) {
            assertFalse(address, ConsoleServlet.isLoopbackAddress(address));
        }
    }
}
