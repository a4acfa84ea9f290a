package datastore.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.condition.Condition;
import org.osgi.service.servlet.whiteboard.Preprocessor;

import datastore.system.Readiness;

/**
 * What every answer of the dock's HTTP service gets before any servlet is chosen, in both modes:
 * {@code X-Content-Type-Options: nosniff} (the container's own 404 included), and, while the dock
 * is not ready, a 503 with {@code Retry-After} in the protocol's JSON error shape for every path
 * under {@code /api} and {@code /console}, never the container's HTML page or an endpoint that
 * answers from a store still mounting.
 */
@Component(name = HttpFront.NAME, service = Preprocessor.class)
public final class HttpFront implements Preprocessor {

    static final String NAME = "datastore.http.front";

    /** Seconds a client is asked to wait before it tries again. */
    static final int RETRY_AFTER_SECONDS = 1;

    /** The most of a refused body that is read and dropped to keep the connection; past it, it is closed. */
    static final long DRAIN_LIMIT = 32L * 1024 * 1024;

    @Reference(service = Condition.class, target = "(" + Condition.CONDITION_ID + "=" + Readiness.CONDITION + ")",
            cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Condition ready;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Readiness readiness;

    @Override
    public void init(FilterConfig config) {
        // Nothing to configure.
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (response instanceof HttpServletResponse http && request instanceof HttpServletRequest httpRequest) {
            http.setHeader("X-Content-Type-Options", "nosniff");
            if (ready == null && gated(path(httpRequest))) {
                notReady(httpRequest, http, waitingFor(readiness));
                return;
            }
        }
        chain.doFilter(request, response);
    }

    @Override
    public void destroy() {
        // Nothing held.
    }

    static String path(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String context = request.getContextPath();
        return context != null && !context.isEmpty() && uri.startsWith(context) ? uri.substring(context.length()) : uri;
    }

    /** Whether {@code path} belongs to the API or the console, which answer only when the dock is ready. */
    static boolean gated(String path) {
        return under(path, "/api") || under(path, "/console");
    }

    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    static List<String> waitingFor(Readiness readiness) {
        if (readiness == null) {
            return List.of("the store");
        }
        List<String> waiting = readiness.waitingFor();
        return waiting.isEmpty() ? List.of("the store") : waiting;
    }

    static void notReady(HttpServletRequest request, HttpServletResponse response, List<String> waiting)
            throws IOException {
        drain(request, response);
        byte[] body = ("{\"errors\":[{\"status\":\"503\",\"title\":\"Service Unavailable\",\"detail\":"
                + Json.string("the dock is not ready yet: waiting for " + String.join(", ", waiting)
                        + "; try again in " + RETRY_AFTER_SECONDS + " s")
                + "}]}").getBytes(StandardCharsets.UTF_8);
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /**
     * Reads and drops the body of a request answered without it, so that the answer reaches the
     * client and the connection serves its next request (a connection closed on unread bytes is
     * reset, and the answer can be lost with it). A client waiting for {@code 100 Continue} is
     * answered without sending its body; one over {@link #DRAIN_LIMIT} has its connection closed.
     */
    static void drain(HttpServletRequest request, HttpServletResponse response) {
        if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            return;
        }
        if (request.getContentLengthLong() > DRAIN_LIMIT) {
            response.setHeader("Connection", "close");
            return;
        }
        try (InputStream in = request.getInputStream()) {
            byte[] buffer = new byte[16 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                total += n;
                if (total > DRAIN_LIMIT) {
                    response.setHeader("Connection", "close");
                    return;
                }
            }
        } catch (IOException | IllegalStateException e) {
            response.setHeader("Connection", "close");
        }
    }
}
