package datastore.devapi;

import java.io.IOException;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.DatastoreException;
import datastore.Partitions;
import datastore.system.ApplicationCodeStore;
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
 * {@code POST /api/docks/application/code}: stores the application's code in the ephemeral
 * partition, where it overrides the runtime and ROM copies until the dock restarts. The store posts
 * {@code datastore/code/PUT}, which tells the dock runtime at once.
 */
@Component(name = CodeDeployServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(CodeDeployServlet.PATH)
@HttpWhiteboardServletName(CodeDeployServlet.NAME)
public final class CodeDeployServlet extends ApiServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.code";
    static final String PATH = "/api/docks/application/code";
    static final String TYPE = "applicationCode";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile ApplicationCodeStore codeStore;

    @Activate
    public CodeDeployServlet(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api) {
        super(api, Set.of("POST"), true);
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        ObjectNode attributes = attributes(readBody(request), TYPE);
        api.checkDock(requireString(attributes, "dockId", "dockId"));
        String encoded = requireString(attributes, "code", "code");
        byte[] code;
        try {
            code = decodeBase64(encoded);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("code", e.getMessage());
        }
        if (code.length == 0) {
            throw ApiException.badRequest("code", "empty; expected the base64 of the application's source");
        }
        ApplicationCodeStore store = codeStore;
        if (store == null) {
            throw ApiException.unavailable("application code store");
        }
        try {
            store.deploy(code, Partitions.EPHEMERAL);
        } catch (DatastoreException e) {
            throw refused("code", e);
        }
        ObjectNode result = object().put("dockId", api.dockId()).put("partition", Partitions.EPHEMERAL)
                .put("size", code.length);
        writeJson(response, HttpServletResponse.SC_OK, document(TYPE, result));
    }
}
