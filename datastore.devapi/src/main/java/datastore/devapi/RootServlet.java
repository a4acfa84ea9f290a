package datastore.devapi;

import java.io.IOException;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The default servlet of a development dock: {@code GET /} goes to the dev console, and any path
 * no endpoint serves is a 404 in the protocol's JSON error shape, never the container's HTML page.
 * (The dock's HTTP front, {@code datastore.http}, sets nosniff on every answer.)
 */
@Component(name = RootServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern("/")
@HttpWhiteboardServletName(RootServlet.NAME)
public final class RootServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.root";

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        if ((path.isEmpty() || path.equals("/")) && (request.getMethod().equals("GET") || request.getMethod().equals("HEAD"))) {
            response.sendRedirect(request.getContextPath() + "/console/");
            return;
        }
        ApiServlet.writeErrors(response, new ApiException(ApiException.NOT_FOUND, "path: " + request.getRequestURI()
                + " is not an endpoint of this dock; the API is under /api, the dev console at /console/"));
    }
}
