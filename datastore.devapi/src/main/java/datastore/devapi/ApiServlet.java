package datastore.devapi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.DatastoreException;
import datastore.InvalidImageException;
import datastore.InvalidNameException;
import datastore.NoSuchPartitionException;
import datastore.PartitionFullException;
import datastore.ReadOnlyPartitionException;
import datastore.ValueTooLargeException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The request handling every endpoint of the development API shares: the allowed methods, the
 * bearer token, a body read with the size limit and parsed as JSON, the {@code data.type} check,
 * and errors answered in the protocol's {@code {"errors": [...]}} shape. A subclass implements
 * {@link #handle}; whatever it throws before it writes is answered as an error, and it throws
 * before it changes anything.
 */
abstract class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private static final System.Logger LOG = System.getLogger(ApiServlet.class.getName());

    /**
     * Strict JSON: a duplicate field or anything after the root value is an error, not silently
     * ignored. Strings may be as long as the body limit allows (a base64 image is one string).
     */
    static final JsonMapper JSON = JsonMapper.builder(new JsonFactoryBuilder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static final String JSON_MEDIA_TYPE = "application/json";

    /** The media types a request body may declare: JSON, or JSON:API's own. */
    private static final Set<String> JSON_REQUEST_TYPES = Set.of(JSON_MEDIA_TYPE, "application/vnd.api+json");

    private static final SecureRandom INCIDENTS = new SecureRandom();

    /** Request attribute: the endpoint began reading the body (so a {@code 100 Continue} went out). */
    private static final String BODY_OPENED = ApiServlet.class.getName() + ".bodyOpened";

    /** The dev console's session cookie: an access token, HttpOnly and SameSite=Strict, for /console only. */
    static final String CONSOLE_COOKIE = "dock-console";

    final transient DevApi api;
    private final Set<String> methods;
    private final boolean authenticated;

    /**
     * @param methods the HTTP methods the endpoint answers; others get 405
     * @param authenticated whether requests need a bearer token
     */
    ApiServlet(DevApi api, Set<String> methods, boolean authenticated) {
        this.api = api;
        this.methods = Set.copyOf(methods);
        this.authenticated = authenticated;
    }

    /**
     * Answers one request whose method is allowed and, where needed, whose token is valid.
     *
     * @throws ApiException to refuse it; nothing may have been changed or written
     */
    abstract void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException;

    /**
     * The largest request body this endpoint reads, in bytes: the configured limit, unless an
     * endpoint that anyone may call (login) needs far less and must not let strangers make the dock
     * buffer more.
     */
    long maxBodyBytes() {
        return api.maxBodyBytes();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // No response of the API is ever to be reinterpreted by a browser as another type.
        response.setHeader("X-Content-Type-Options", "nosniff");
        try {
            if (!methods.contains(request.getMethod())) {
                response.setHeader("Allow", String.join(", ", methods));
                throw new ApiException(ApiException.METHOD_NOT_ALLOWED,
                        request.getMethod() + ": this endpoint answers " + String.join(", ", methods) + " only");
            }
            if (authenticated) {
                api.authorize(request.getHeader("Authorization"));
            }
            if (request.getMethod().equals("POST")) {
                checkJsonBody(request);
            }
            handle(request, response);
        } catch (ApiException e) {
            if (e.status() == ApiException.UNAUTHORIZED) {
                response.setHeader("WWW-Authenticate", "Bearer");
            }
            discardUnreadBody(request, response, e.status());
            writeErrors(response, e);
        } catch (RuntimeException e) {
            // The answer names no class, path or message of the dock's; the log holds them under the id.
            String incident = HexFormat.of().formatHex(randomId());
            LOG.log(System.Logger.Level.ERROR, "development API: incident " + incident + ": " + request.getMethod()
                    + " " + request.getRequestURI() + " failed", e);
            discardUnreadBody(request, response, ApiException.INTERNAL_ERROR);
            writeErrors(response, new ApiException(ApiException.INTERNAL_ERROR, "internal error; the dock's log "
                    + "holds incident " + incident));
        }
    }

    /**
     * Reads and drops what is left of a refused request's body, so that the answer reaches the
     * client. A server that closes a connection with bytes of it still unread makes the kernel reset
     * the connection, and a client still sending its body can lose the answer with it; a drained
     * connection also stays open for the client's next request. Up to the endpoint's body limit is
     * read and dropped, never held; past that (and for 413) the connection is closed instead. A
     * client that waits for {@code 100 Continue} before sending its body is answered without it.
     */
    private void discardUnreadBody(HttpServletRequest request, HttpServletResponse response, int status) {
        if (status == ApiException.PAYLOAD_TOO_LARGE || response.isCommitted()) {
            return;
        }
        if (request.getAttribute(BODY_OPENED) == null && "100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            return;
        }
        long limit = maxBodyBytes();
        if (request.getContentLengthLong() > limit) {
            response.setHeader("Connection", "close");
            return;
        }
        try (InputStream in = new LimitedInputStream(request.getInputStream(), limit)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException | IllegalStateException e) {
            response.setHeader("Connection", "close");
        }
    }

    private static byte[] randomId() {
        byte[] id = new byte[6];
        INCIDENTS.nextBytes(id);
        return id;
    }

    /**
     * Refuses a body that does not declare itself JSON. Browsers send forms and {@code text/plain}
     * across origins without asking; a JSON content type makes them ask first (a CORS preflight),
     * which the dock never grants, so no web page can post to the API on a developer's behalf.
     *
     * @throws ApiException 415 naming the content type found
     */
    private static void checkJsonBody(HttpServletRequest request) throws ApiException {
        String declared = request.getContentType();
        String type = declared == null ? "" : declared.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        if (!JSON_REQUEST_TYPES.contains(type)) {
            throw new ApiException(ApiException.UNSUPPORTED_MEDIA_TYPE, "Content-Type: "
                    + (declared == null ? "missing" : "\"" + declared + "\"") + "; send the body as " + JSON_MEDIA_TYPE);
        }
    }

    /**
     * Checks the dev console's session cookie, which holds an access token issued by a console login.
     *
     * @throws ApiException 401 if there is none, or its token is unknown or expired
     */
    final void authorizeConsole(HttpServletRequest request) throws ApiException {
        String token = consoleToken(request);
        if (token == null) {
            throw new ApiException(ApiException.UNAUTHORIZED, "console session: none; log in at /console/login.html");
        }
        try {
            api.authorize("Bearer " + token);
        } catch (ApiException e) {
            throw new ApiException(ApiException.UNAUTHORIZED,
                    "console session: unknown or expired; log in again at /console/login.html");
        }
    }

    /** Whether the request carries a console session that is valid now. */
    final boolean hasConsoleSession(HttpServletRequest request) {
        try {
            authorizeConsole(request);
            return true;
        } catch (ApiException e) {
            return false;
        }
    }

    private static String consoleToken(HttpServletRequest request) {
        jakarta.servlet.http.Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return null;
        }
        for (jakarta.servlet.http.Cookie cookie : cookies) {
            if (CONSOLE_COOKIE.equals(cookie.getName())) {
                return cookie.getValue();
            }
        }
        return null;
    }

    /**
     * Reads the body as one JSON object, refusing it as soon as it is known to be over the limit.
     *
     * @throws ApiException 413 if the body is too large, 400 if it is not a JSON object
     */
    final ObjectNode readBody(HttpServletRequest request) throws ApiException, IOException {
        long limit = maxBodyBytes();
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            throw tooLarge("body: " + declared + " bytes is more than the limit of " + limit + " bytes");
        }
        JsonNode body;
        request.setAttribute(BODY_OPENED, Boolean.TRUE);
        try (InputStream in = new LimitedInputStream(request.getInputStream(), limit)) {
            body = JSON.readTree(in);
        } catch (LimitedInputStream.TooLargeException e) {
            throw tooLarge("body: more than the limit of " + limit + " bytes");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw ApiException.badRequest("body", "not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
        if (body == null || body.isMissingNode()) {
            throw ApiException.badRequest("body", "empty; expected a JSON object {\"data\": {...}}");
        }
        if (!body.isObject()) {
            throw ApiException.badRequest("body", "expected a JSON object {\"data\": {...}}, got " + kind(body));
        }
        return (ObjectNode) body;
    }

    private static ApiException tooLarge(String detail) {
        return new ApiException(ApiException.PAYLOAD_TOO_LARGE, detail);
    }

    /**
     * The {@code data.attributes} of a request whose {@code data.type} must be {@code type}.
     *
     * @throws ApiException 400 naming {@code data}, {@code data.type} or {@code data.attributes}
     */
    static ObjectNode attributes(ObjectNode body, String type) throws ApiException {
        JsonNode data = body.get("data");
        if (data == null || !data.isObject()) {
            throw ApiException.badRequest("data", data == null ? "required" : "expected an object, got " + kind(data));
        }
        JsonNode actual = data.get("type");
        if (actual == null || !actual.isTextual()) {
            throw ApiException.badRequest("data.type", actual == null ? "required, \"" + type + "\""
                    : "expected the string \"" + type + "\", got " + kind(actual));
        }
        if (!type.equals(actual.textValue())) {
            throw ApiException.badRequest("data.type", "expected \"" + type + "\", got \"" + actual.textValue() + "\"");
        }
        JsonNode attributes = data.get("attributes");
        if (attributes == null || !attributes.isObject()) {
            throw ApiException.badRequest("data.attributes",
                    attributes == null ? "required" : "expected an object, got " + kind(attributes));
        }
        return (ObjectNode) attributes;
    }

    /** A required string field, named {@code field} in errors. */
    static String requireString(JsonNode parent, String name, String field) throws ApiException {
        JsonNode value = parent.get(name);
        if (value == null) {
            throw ApiException.badRequest(field, "required");
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest(field, "expected a string, got " + kind(value));
        }
        return value.textValue();
    }

    /**
     * The bytes of a base64 string (the standard alphabet, padding optional, no line breaks).
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static byte[] decodeBase64(String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not valid base64: " + e.getMessage(), e);
        }
    }

    /** The JSON kind of a node, for messages. */
    static String kind(JsonNode node) {
        switch (node.getNodeType()) {
            case ARRAY: return "an array";
            case BOOLEAN: return "a boolean";
            case NULL: return "null";
            case NUMBER: return "a number";
            case OBJECT: return "an object";
            case STRING: return "a string";
            default: return node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The status and detail for a store operation that refused a request's field. */
    static ApiException refused(String field, DatastoreException e) {
        if (e instanceof InvalidNameException || e instanceof ValueTooLargeException
                || e instanceof InvalidImageException) {
            return ApiException.badRequest(field, e.getMessage());
        }
        if (e instanceof PartitionFullException) {
            return new ApiException(ApiException.INSUFFICIENT_STORAGE, field + ": " + e.getMessage());
        }
        if (e instanceof NoSuchPartitionException || e instanceof ReadOnlyPartitionException) {
            return new ApiException(ApiException.UNAVAILABLE, e.getMessage());
        }
        return new ApiException(ApiException.INTERNAL_ERROR, field + ": the store failed: " + e.getMessage());
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    /** A {@code {"data": {"type": type, "attributes": attributes}}} document. */
    static ObjectNode document(String type, ObjectNode attributes) {
        ObjectNode document = object();
        document.putObject("data").put("type", type).set("attributes", attributes);
        return document;
    }

    static void writeJson(HttpServletResponse response, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType(JSON_MEDIA_TYPE);
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        try (OutputStream out = response.getOutputStream()) {
            out.write(bytes);
        }
    }

    static void writeErrors(HttpServletResponse response, ApiException e) throws IOException {
        if (response.isCommitted()) {
            // Part of a success was already sent; the client sees a cut-off response instead.
            LOG.log(System.Logger.Level.WARNING, "development API: failed after answering: " + e.getMessage());
            return;
        }
        ObjectNode body = object();
        ArrayNode errors = body.putArray("errors");
        for (String detail : e.details()) {
            errors.addObject()
                    .put("status", Integer.toString(e.status()))
                    .put("title", ApiException.title(e.status()))
                    .put("detail", detail);
        }
        if (e.status() == ApiException.PAYLOAD_TOO_LARGE) {
            // The unread rest of the body is not worth draining.
            response.setHeader("Connection", "close");
        }
        writeJson(response, e.status(), body);
    }

}
