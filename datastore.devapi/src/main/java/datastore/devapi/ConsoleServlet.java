package datastore.devapi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The dev console at {@code /console/}: a static page (HTML, CSS and JavaScript from this bundle)
 * and its read-only data, {@code /console/state} (partitions, keys, images, code origin) and
 * {@code /console/images/{tag}}, behind a session: {@code /console/login.html} logs in with the
 * API's own credentials and {@code /console/session} sets an HttpOnly, SameSite=Strict cookie, so
 * another user of the machine reads nothing, and no other site's page can use a developer's
 * session. Every console request must also come from a loopback address and name a loopback host,
 * which keeps other machines out even if the HTTP service listens more widely, and keeps web pages
 * from other origins out through DNS rebinding. Nothing here changes the store.
 */
@Component(name = ConsoleServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(ConsoleServlet.PATTERN)
@HttpWhiteboardServletName(ConsoleServlet.NAME)
public final class ConsoleServlet extends ApiServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.console";
    static final String PATTERN = "/console/*";
    private static final String IMAGE_PREFIX = "/images/";

    static final String SESSION_PATH = "/session";
    static final String LOGIN_PAGE = "/login.html";

    /** The login page's files, served to anyone on this machine: path under /console to resource and media type. */
    private static final Map<String, String[]> PUBLIC_FILES = Map.of(
            LOGIN_PAGE, new String[] {"console/login.html", "text/html;charset=utf-8"},
            "/login.js", new String[] {"console/login.js", "text/javascript;charset=utf-8"},
            "/console.css", new String[] {"console/console.css", "text/css;charset=utf-8"});

    /** The console's own files, behind its session. */
    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[] {"console/index.html", "text/html;charset=utf-8"},
            "/console.js", new String[] {"console/console.js", "text/javascript;charset=utf-8"});

    private final transient StoreBrowser browser;

    @Activate
    public ConsoleServlet(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) StoreBrowser browser) {
        super(api, Set.of("GET", "POST", "DELETE"), false);
        this.browser = browser;
    }

    @Override
    long maxBodyBytes() {
        return Math.min(LoginServlet.MAX_LOGIN_BYTES, api.maxBodyBytes());
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        checkLocal(request);
        String path = request.getPathInfo();
        if (SESSION_PATH.equals(path)) {
            session(request, response);
            return;
        }
        if (!request.getMethod().equals("GET")) {
            response.setHeader("Allow", "GET");
            throw new ApiException(ApiException.METHOD_NOT_ALLOWED, request.getMethod() + ": "
                    + request.getRequestURI() + " answers GET only");
        }
        if (path == null) {
            response.sendRedirect(request.getContextPath() + request.getServletPath() + "/");
            return;
        }
        String[] open = PUBLIC_FILES.get(path);
        if (open != null) {
            sendFile(open[0], open[1], response);
            return;
        }
        if (path.equals("/") && !hasConsoleSession(request)) {
            response.sendRedirect(request.getContextPath() + request.getServletPath() + LOGIN_PAGE);
            return;
        }
        authorizeConsole(request);
        if (path.equals("/reveal")) {
            String key = request.getParameter("key");
            if (key == null) {
                throw ApiException.badRequest("key", "required, as a query parameter");
            }
            writeJson(response, HttpServletResponse.SC_OK, browser.reveal(key));
            return;
        }
        if (path.equals("/state")) {
            writeJson(response, HttpServletResponse.SC_OK, state());
            return;
        }
        if (path.startsWith(IMAGE_PREFIX) && path.length() > IMAGE_PREFIX.length()) {
            browser.sendImage(path.substring(IMAGE_PREFIX.length()), response);
            return;
        }
        String[] file = FILES.get(path);
        if (file == null) {
            throw new ApiException(ApiException.NOT_FOUND, "path: the console has no " + request.getRequestURI());
        }
        sendFile(file[0], file[1], response);
    }

    /**
     * {@code POST /console/session} logs in with the API's credentials (the login endpoint's JSON body)
     * and answers with the session cookie: HttpOnly, so no script reads it, and SameSite=Strict, so no
     * other site's page sends it. {@code DELETE} ends the session.
     */
    private void session(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        if (request.getMethod().equals("DELETE")) {
            response.addHeader("Set-Cookie", CONSOLE_COOKIE + "=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict");
            response.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        if (!request.getMethod().equals("POST")) {
            response.setHeader("Allow", "POST, DELETE");
            throw new ApiException(ApiException.METHOD_NOT_ALLOWED, request.getMethod() + ": "
                    + request.getRequestURI() + " answers POST and DELETE only");
        }
        com.fasterxml.jackson.databind.node.ObjectNode attributes = attributes(readBody(request),
                LoginServlet.REQUEST_TYPE);
        AccessTokens.Issued issued = api.login(requireString(attributes, "clientId", "clientId"),
                requireString(attributes, "clientSecret", "clientSecret"),
                requireString(attributes, "enterpriseId", "enterpriseId"));
        response.addHeader("Set-Cookie", CONSOLE_COOKIE + "=" + issued.token()
                + "; Path=/console; HttpOnly; SameSite=Strict");
        writeJson(response, HttpServletResponse.SC_CREATED, document("consoleSession", object().put("dockId", api.dockId())));
    }

    /** Everything the console shows, in one document; a missing service is an error field, not a failure. */
    ObjectNode state() {
        ObjectNode state = object().put("dockId", api.dockId());
        state.set("partitions", browser.partitions());
        try {
            state.set("kv", browser.keys(true));
        } catch (ApiException e) {
            state.put("kvError", e.getMessage());
        }
        try {
            state.set("images", browser.images());
        } catch (ApiException e) {
            state.put("imagesError", e.getMessage());
        }
        try {
            state.set("code", browser.code());
        } catch (ApiException e) {
            state.put("codeError", e.getMessage());
        }
        return state;
    }

    private void sendFile(String resource, String mediaType, HttpServletResponse response) throws IOException {
        byte[] bytes;
        try (InputStream in = ConsoleServlet.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the bundle lacks its console file " + resource);
            }
            bytes = in.readAllBytes();
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(mediaType);
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; "
                + "script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
        response.setContentLength(bytes.length);
        try (OutputStream out = response.getOutputStream()) {
            out.write(bytes);
        }
    }

    /**
     * Refuses requests from other machines, and requests that name a host other than a loopback one.
     *
     * @throws ApiException 403
     */
    static void checkLocal(HttpServletRequest request) throws ApiException {
        if (!isLoopbackAddress(request.getRemoteAddr())) {
            throw new ApiException(ApiException.FORBIDDEN,
                    "remote address: the console answers requests from this machine only");
        }
        String host = request.getHeader("Host");
        if (host == null || !isLoopbackHost(host)) {
            throw new ApiException(ApiException.FORBIDDEN, "Host: the console answers requests for localhost, "
                    + "127.0.0.1 or [::1] only, got " + (host == null ? "none" : "\"" + host + "\""));
        }
    }

    /** Whether an IP literal (what the container reports as the remote address) is a loopback address. */
    static boolean isLoopbackAddress(String address) {
        if (address == null) {
            return false;
        }
        if (address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            return address.startsWith("127.");
        }
        if (!address.contains(":")) {
            return false;
        }
        try {
            // A string with a colon is never a host name, so this never asks a name server.
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Whether a Host header names localhost or a loopback literal, with or without a port. */
    static boolean isLoopbackHost(String host) {
        String name = host.strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            if (end < 0 || !(end == name.length() - 1 || name.substring(end + 1).matches(":[0-9]{1,5}"))) {
                return false;
            }
            return name.substring(1, end).equals("::1");
        }
        int colon = name.indexOf(':');
        if (colon >= 0) {
            if (!name.substring(colon + 1).matches("[0-9]{1,5}")) {
                return false;
            }
            name = name.substring(0, colon);
        }
        return name.equals("localhost") || name.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
    }
}
