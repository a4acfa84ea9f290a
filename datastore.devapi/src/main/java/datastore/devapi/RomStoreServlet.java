package datastore.devapi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.DatastoreException;
import datastore.InvalidImageException;
import datastore.Names;
import datastore.image.ImageFormat;
import datastore.image.ImageType;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomContent;
import datastore.spi.RomContent.RomImage;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code POST /api/docks/application/romstore}: replaces the application ROM store atomically and
 * destructively through the ROM partition's {@link RomProvisioning}. Every field is checked first
 * (kvStore values are strings, base64 decodes, each image is a valid image of its stated type) and
 * every problem is reported, one error per field; the ROM is replaced only when none is found, and
 * whatever the provisioning service still refuses is reported the same way, the ROM unchanged.
 */
@Component(name = RomStoreServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(RomStoreServlet.PATH)
@HttpWhiteboardServletName(RomStoreServlet.NAME)
public final class RomStoreServlet extends ApiServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.romstore";
    static final String PATH = "/api/docks/application/romstore";
    static final String TYPE = "applicationRomStore";

    private static final List<ImageType> STORABLE = List.of(ImageType.PNG, ImageType.BMP, ImageType.JPEG);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile RomProvisioning provisioning;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile ImageFormat imageFormat;

    @Activate
    public RomStoreServlet(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api) {
        super(api, Set.of("POST"), true);
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        ObjectNode attributes = attributes(readBody(request), TYPE);
        api.checkDock(requireString(attributes, "dockId", "dockId"));
        RomProvisioning rom = provisioning;
        if (rom == null) {
            throw ApiException.unavailable("ROM provisioning service (the ROM partition offers it in development mode)");
        }
        ImageFormat formats = imageFormat;
        if (formats == null) {
            throw ApiException.unavailable("image-format service to check the images");
        }
        RomContent content = content(attributes, formats);
        RomInfo info;
        try {
            info = rom.replace(content);
        } catch (InvalidRomContentException e) {
            List<String> details = new ArrayList<>();
            e.problems().forEach(problem -> details.add(problem.toString()));
            throw new ApiException(ApiException.BAD_REQUEST, details.isEmpty() ? List.of(e.getMessage()) : details);
        } catch (DatastoreException e) {
            throw refused("data.attributes", e);
        }
        ObjectNode result = object().put("dockId", api.dockId()).put("slot", info.slot())
                .put("generation", info.generation()).put("sha256", info.sha256())
                .put("payloadBytes", info.payloadBytes()).put("capacity", info.capacity());
        writeJson(response, HttpServletResponse.SC_OK, document(TYPE, result));
    }

    /**
     * Checks every field of the request's attributes and builds the content.
     *
     * @throws ApiException 400 with one detail per problem found
     */
    static RomContent content(ObjectNode attributes, ImageFormat formats) throws ApiException {
        List<String> problems = new ArrayList<>();
        byte[] code = code(attributes, problems);
        Map<String, String> kvStore = kvStore(attributes, problems);
        Map<String, RomImage> images = images(attributes, formats, problems);
        if (!problems.isEmpty()) {
            throw new ApiException(ApiException.BAD_REQUEST, problems);
        }
        return new RomContent(code, kvStore, images);
    }

    private static byte[] code(ObjectNode attributes, List<String> problems) {
        JsonNode code = required(attributes, "code", "code", "an object {\"code\": <base64 source>}", problems);
        if (code == null) {
            return null;
        }
        JsonNode source = code.get("code");
        if (source == null || !source.isTextual()) {
            problems.add("code.code: " + (source == null ? "required" : "expected a string, got " + kind(source))
                    + " (the base64 of the application's source; empty for no code)");
            return null;
        }
        try {
            return decodeBase64(source.textValue());
        } catch (IllegalArgumentException e) {
            problems.add("code.code: " + e.getMessage());
            return null;
        }
    }

    private static Map<String, String> kvStore(ObjectNode attributes, List<String> problems) {
        Map<String, String> kvStore = new LinkedHashMap<>();
        JsonNode object = required(attributes, "kvStore", "kvStore", "an object {name: string}", problems);
        if (object == null) {
            return kvStore;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getValue().isTextual()) {
                kvStore.put(entry.getKey(), entry.getValue().textValue());
            } else {
                problems.add("kvStore." + Names.display(entry.getKey()) + ": expected a string, got "
                        + kind(entry.getValue()));
            }
        }
        return kvStore;
    }

    private static Map<String, RomImage> images(ObjectNode attributes, ImageFormat formats, List<String> problems) {
        Map<String, RomImage> images = new LinkedHashMap<>();
        JsonNode object = required(attributes, "images", "images",
                "an object {tag: {\"type\": \"PNG\" | \"BMP\" | \"JPEG\", \"data\": <base64>}}", problems);
        if (object == null) {
            return images;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String field = "images." + Names.display(entry.getKey());
            JsonNode image = entry.getValue();
            if (!image.isObject()) {
                problems.add(field + ": expected an object {\"type\", \"data\"}, got " + kind(image));
                continue;
            }
            ImageType type = imageType(image.get("type"), field + ".type", problems);
            byte[] data = imageData(image.get("data"), field + ".data", problems);
            if (type == null || data == null) {
                continue;
            }
            try {
                formats.inspect(ByteBuffer.wrap(data).asReadOnlyBuffer(), type);
            } catch (InvalidImageException e) {
                problems.add(field + ".data: not a valid " + type + ": " + e.reason());
                continue;
            }
            images.put(entry.getKey(), new RomImage(type, data));
        }
        return images;
    }

    private static ImageType imageType(JsonNode node, String field, List<String> problems) {
        if (node == null || !node.isTextual()) {
            problems.add(field + ": " + (node == null ? "required" : "expected a string, got " + kind(node))
                    + "; one of PNG, BMP, JPEG");
            return null;
        }
        String name = node.textValue().toUpperCase(Locale.ROOT);
        for (ImageType type : STORABLE) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        problems.add(field + ": expected PNG, BMP or JPEG, got \"" + node.textValue() + "\"");
        return null;
    }

    private static byte[] imageData(JsonNode node, String field, List<String> problems) {
        if (node == null || !node.isTextual()) {
            problems.add(field + ": " + (node == null ? "required" : "expected a base64 string, got " + kind(node)));
            return null;
        }
        try {
            return decodeBase64(node.textValue());
        } catch (IllegalArgumentException e) {
            problems.add(field + ": " + e.getMessage());
            return null;
        }
    }

    private static JsonNode required(ObjectNode parent, String name, String field, String expected,
            List<String> problems) {
        JsonNode node = parent.get(name);
        if (node == null) {
            problems.add(field + ": required, " + expected);
            return null;
        }
        if (!node.isObject()) {
            problems.add(field + ": expected " + expected + ", got " + kind(node));
            return null;
        }
        return node;
    }
}
