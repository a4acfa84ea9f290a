package datastore.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import datastore.system.Readiness;

/**
 * The readiness check, in both modes, at {@value #PATH} without a login (it tells what the dock
 * waits for, nothing stored). It follows the shape of Apache Felix Health Checks' servlet: one
 * check tagged {@code systemready}, {@code overallResult} {@code OK} with 200 when the dock is
 * ready, {@code TEMPORARILY_UNAVAILABLE} with 503 and {@code Retry-After} until then.
 */
@Component(name = HealthServlet.NAME, service = Servlet.class)
@HttpWhiteboardServletPattern(HealthServlet.PATH)
@HttpWhiteboardServletName(HealthServlet.NAME)
public final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.http.health";
    static final String PATH = "/system/health";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private transient volatile Readiness readiness;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Readiness current = readiness;
        List<String> waiting = current == null ? List.of("the store") : current.waitingFor();
        boolean ok = current != null && waiting.isEmpty();
        String messages = ok ? Json.string("the dock is ready")
                : waiting.stream().map(w -> Json.string("waiting for " + w)).collect(Collectors.joining(","));
        String status = ok ? "OK" : "TEMPORARILY_UNAVAILABLE";
        byte[] body = ("{\"overallResult\":\"" + status + "\",\"results\":[{\"name\":\"dock readiness\","
                + "\"status\":\"" + status + "\",\"tags\":[\"systemready\"],\"messages\":[" + messages + "]}]}")
                .getBytes(StandardCharsets.UTF_8);
        response.setStatus(ok ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        if (!ok) {
            response.setHeader("Retry-After", Integer.toString(HttpFront.RETRY_AFTER_SECONDS));
        }
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
