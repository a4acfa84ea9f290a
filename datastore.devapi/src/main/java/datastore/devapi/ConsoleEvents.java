package datastore.devapi;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import datastore.ChangeEvents;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The dev console's live feed, {@code /console/events}: a server-sent event stream that sends
 * {@code event: change} with the topic as data whenever the store posts an event under
 * {@code datastore/}, so the page reloads its state. Events that arrive while a client is still
 * being written to are merged into one change, since the page reloads everything anyway; a comment
 * line every few seconds finds clients that left. Each client holds one request thread, so their
 * number is bounded. Same loopback rule as {@link ConsoleServlet}.
 *
 * <p>The feed subscribes to Event Admin only while a client is connected: an event handler that
 * matches every store topic makes Event Admin hand each write to a delivery thread, which cost
 * a put about a third of its processor time (11-15 us against 8, the flash on tmpfs) with no console
 * open.
 */
@Component(name = ConsoleEvents.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(ConsoleEvents.PATH)
@HttpWhiteboardServletName(ConsoleEvents.NAME)
public final class ConsoleEvents extends ApiServlet implements EventHandler {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.console.events";
    static final String PATH = "/console/events";
    static final int MAX_CLIENTS = 8;

    /** What a queue receives when the feed closes. */
    private static final String CLOSING = "";

    private final transient Set<BlockingQueue<String>> clients = ConcurrentHashMap.newKeySet();
    /** Registers the feed's event handler and returns what unregisters it. */
    private final transient Function<EventHandler, Runnable> subscriber;
    /** Unregisters the handler while a client is connected, else null; guarded by {@code clients}. */
    private transient Runnable subscription;
    private volatile boolean closed;
    volatile long keepAliveMillis = 10_000;
    /** Runs each time a client's feed ends, after its place is freed; tests wait on it. */
    volatile Runnable onClientGone = () -> { };

    @Activate
    public ConsoleEvents(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api, BundleContext context) {
        this(api, handler -> {
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put(EventConstants.EVENT_TOPIC, ChangeEvents.TOPIC_PREFIX + "*");
            ServiceRegistration<EventHandler> registration = context.registerService(EventHandler.class, handler,
                    properties);
            return () -> {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // The bundle stopped first, which took the registration with it.
                }
            };
        });
    }

    /** A feed that subscribes through {@code subscriber} while it has clients. */
    ConsoleEvents(DevApi api, Function<EventHandler, Runnable> subscriber) {
        super(api, Set.of("GET"), false);
        this.subscriber = subscriber;
    }

    @Deactivate
    void close() {
        synchronized (clients) {
            closed = true;
            unsubscribe();
        }
        clients.forEach(queue -> queue.offer(CLOSING));
    }

    @Override
    public void destroy() {
        close();
    }

    /** Hands a store event to every connected client. */
    @Override
    public void handleEvent(Event event) {
        for (BlockingQueue<String> queue : clients) {
            // A full queue already holds changes the client has not been sent: it reloads everything anyway.
            queue.offer(event.getTopic());
        }
    }

    /** The number of connected clients. */
    int clients() {
        return clients.size();
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        ConsoleServlet.checkLocal(request);
        authorizeConsole(request);
        BlockingQueue<String> queue = new ArrayBlockingQueue<>(64);
        synchronized (clients) {
            if (closed) {
                throw new ApiException(ApiException.UNAVAILABLE, "the console feed is closing");
            }
            if (clients.size() >= MAX_CLIENTS) {
                throw new ApiException(ApiException.UNAVAILABLE, "the console feed already serves " + MAX_CLIENTS
                        + " clients; close a console tab");
            }
            if (subscription == null) {
                // Before the hello, on which the page loads its state: no later change is missed.
                // Before the client is counted, so that a failed registration leaves nothing behind.
                try {
                    subscription = subscriber.apply(this);
                } catch (IllegalStateException stopping) {
                    throw new ApiException(ApiException.UNAVAILABLE, "the console feed cannot follow the store's "
                            + "changes now (" + stopping.getMessage() + ")");
                }
            }
            clients.add(queue);
        }
        try {
            response.setStatus(HttpServletResponse.SC_OK);
            response.setContentType("text/event-stream");
            response.setCharacterEncoding("UTF-8");
            response.setHeader("Cache-Control", "no-store");
            OutputStream out = response.getOutputStream();
            send(out, "retry: 2000\nevent: hello\ndata: " + api.dockId() + "\n\n");
            while (!closed) {
                String topic = queue.poll(keepAliveMillis, TimeUnit.MILLISECONDS);
                if (closed || CLOSING.equals(topic)) {
                    break;
                }
                if (topic == null) {
                    send(out, ": keep-alive\n\n");
                    continue;
                }
                for (String more = queue.poll(); more != null; more = queue.poll()) {
                    if (CLOSING.equals(more)) {
                        return;
                    }
                    topic = more;
                }
                send(out, "event: change\ndata: " + topic + "\n\n");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException clientLeft) {
            // The browser closed the page or reconnects; nothing to answer.
        } finally {
            synchronized (clients) {
                clients.remove(queue);
                if (clients.isEmpty()) {
                    unsubscribe();
                }
            }
            onClientGone.run();
        }
    }

    /** Whether the feed is subscribed to Event Admin, which it is while it has clients. */
    boolean subscribed() {
        synchronized (clients) {
            return subscription != null;
        }
    }

    private void unsubscribe() {
        if (subscription != null) {
            subscription.run();
            subscription = null;
        }
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
