package datastore.devapi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.DatastoreException;
import datastore.spi.InvalidRomContentException;
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
 * {@code POST /api/docks/application/romimage}: installs a whole application ROM image as the ROM
 * tool builds and signs it ({@code ./dock rom build}), the way a dock that accepts only signed
 * images takes a new ROM. An addition to the DL-7450 protocol, in its shape: {@code data.type}
 * {@value #TYPE}, attributes {@code dockId} and {@code image} (the image's bytes in base64). The
 * ROM partition checks the image whole before writing a byte (format, size, damage, the signature
 * against its accepted keys, the signed generation against the device's rollback index); a refusal
 * is a 400 naming {@code image} with the reason, and the ROM serves what it served.
 */
@Component(name = RomImageServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(RomImageServlet.PATH)
@HttpWhiteboardServletName(RomImageServlet.NAME)
public final class RomImageServlet extends ApiServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.romimage";
    static final String PATH = "/api/docks/application/romimage";
    static final String TYPE = "applicationRomImage";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile RomProvisioning provisioning;

    @Activate
    public RomImageServlet(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api) {
        super(api, Set.of("POST"), true);
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        ObjectNode attributes = attributes(readBody(request), TYPE);
        api.checkDock(requireString(attributes, "dockId", "dockId"));
        JsonNode encoded = attributes.get("image");
        if (encoded == null || !encoded.isTextual()) {
            throw ApiException.badRequest("image", encoded == null ? "required, the base64 of a ROM image"
                    : "expected a string (the base64 of a ROM image), got " + kind(encoded));
        }
        byte[] image;
        try {
            image = decodeBase64(encoded.textValue());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("image", e.getMessage());
        }
        if (image.length == 0) {
            throw ApiException.badRequest("image", "empty; expected the base64 of a ROM image");
        }
        RomProvisioning rom = provisioning;
        if (rom == null) {
            throw ApiException.unavailable("ROM provisioning service (the ROM partition offers it in development mode)");
        }
        RomInfo info;
        try {
            info = rom.install(ByteBuffer.wrap(image).asReadOnlyBuffer());
        } catch (InvalidRomContentException e) {
            List<String> details = new ArrayList<>();
            e.problems().forEach(problem -> details.add(problem.toString()));
            throw new ApiException(ApiException.BAD_REQUEST, details.isEmpty() ? List.of(e.getMessage()) : details);
        } catch (UnsupportedOperationException e) {
            throw ApiException.unavailable("ROM provisioning that takes prebuilt images");
        } catch (DatastoreException e) {
            throw refused("image", e);
        }
        ObjectNode result = object().put("dockId", api.dockId()).put("slot", info.slot())
                .put("generation", info.generation()).put("sha256", info.sha256())
                .put("payloadBytes", info.payloadBytes()).put("capacity", info.capacity())
                .put("signature", info.signature().name());
        writeJson(response, HttpServletResponse.SC_OK, document(TYPE, result));
    }
}
