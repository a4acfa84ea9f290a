package datastore.devapi;

import java.io.IOException;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
 * The read-only browse endpoints under {@code /api/datastore/}, with the same bearer token as the
 * rest of the API: {@code partitions}, {@code kv}, {@code images}, {@code images/{tag}} (the bytes
 * with their media type) and {@code code} (the application code's origin and size, not the code).
 */
@Component(name = BrowseServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(BrowseServlet.PATTERN)
@HttpWhiteboardServletName(BrowseServlet.NAME)
public final class BrowseServlet extends ApiServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.browse";
    static final String PATTERN = "/api/datastore/*";
    private static final String IMAGE_PREFIX = "/images/";

    private final transient StoreBrowser browser;

    @Activate
    public BrowseServlet(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) StoreBrowser browser) {
        super(api, Set.of("GET"), true);
        this.browser = browser;
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        switch (path) {
            case "/partitions":
                writeJson(response, HttpServletResponse.SC_OK, list("partition", "name", browser.partitions()));
                return;
            case "/kv":
                String partition = request.getParameter("partition");
                writeJson(response, HttpServletResponse.SC_OK, list("kvEntry", "key",
                        partition == null ? browser.keys() : browser.keysIn(partition)));
                return;
            case "/images":
                writeJson(response, HttpServletResponse.SC_OK, list("image", "tag", browser.images()));
                return;
            case "/code":
                writeJson(response, HttpServletResponse.SC_OK, document("applicationCodeInfo", browser.code()));
                return;
            default:
                if (path.startsWith(IMAGE_PREFIX) && path.length() > IMAGE_PREFIX.length()) {
                    String in = request.getParameter("partition");
                    if (in == null) {
                        browser.sendImage(path.substring(IMAGE_PREFIX.length()), response);
                    } else {
                        browser.sendImageIn(path.substring(IMAGE_PREFIX.length()), in, response);
                    }
                    return;
                }
                throw new ApiException(ApiException.NOT_FOUND, "path: " + request.getRequestURI()
                        + " is not a browse endpoint; use /api/datastore/partitions, /kv, /images, /images/{tag} or /code");
        }
    }

    /** A JSON:API collection: {@code {"data": [{"type", "id", "attributes"}]}}, the id taken from {@code idField}. */
    static ObjectNode list(String type, String idField, ArrayNode items) {
        ObjectNode document = object();
        ArrayNode data = document.putArray("data");
        for (JsonNode item : items) {
            data.addObject().put("type", type).put("id", item.path(idField).asText())
                    .set("attributes", item);
        }
        return document;
    }
}
