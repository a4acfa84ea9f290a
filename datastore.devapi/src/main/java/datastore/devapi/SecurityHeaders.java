package datastore.devapi;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.Preprocessor;

/**
 * Sets {@code X-Content-Type-Options: nosniff} on every answer of the HTTP service, before any
 * servlet is chosen: the API's and the console's, and the container's own (a 404 for a path no
 * servlet serves), so that no browser ever reinterprets a response of the dock as another type.
 */
@Component(name = SecurityHeaders.NAME, service = Preprocessor.class, enabled = false)
public final class SecurityHeaders implements Preprocessor {

    static final String NAME = "datastore.devapi.headers";

    @Override
    public void init(FilterConfig config) {
        // Nothing to configure.
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (response instanceof HttpServletResponse http) {
            http.setHeader("X-Content-Type-Options", "nosniff");
        }
        chain.doFilter(request, response);
    }

    @Override
    public void destroy() {
        // Nothing held.
    }
}
