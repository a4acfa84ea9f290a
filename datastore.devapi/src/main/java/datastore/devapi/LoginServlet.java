package datastore.devapi;

import java.io.IOException;
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
 * {@code POST /api/isv/application/login}: exchanges the configured client id, secret and
 * enterprise id for an access token; 201 with the token, 401 when any of them is wrong.
 */
@Component(name = LoginServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(LoginServlet.PATH)
@HttpWhiteboardServletName(LoginServlet.NAME)
public final class LoginServlet extends ApiServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.login";
    static final String PATH = "/api/isv/application/login";
    static final String REQUEST_TYPE = "isvApplicationLogin";
    static final String RESPONSE_TYPE = "isvApplicationAuth";
    /**
     * A login body's limit: three short strings in their JSON envelope fit many times over, and
     * anyone who can reach the port may call login, so it must not make the dock buffer more.
     */
    static final long MAX_LOGIN_BYTES = 4096;

    @Activate
    public LoginServlet(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api) {
        super(api, Set.of("POST"), false);
    }

    @Override
    long maxBodyBytes() {
        return Math.min(MAX_LOGIN_BYTES, api.maxBodyBytes());
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        ObjectNode attributes = attributes(readBody(request), REQUEST_TYPE);
        String clientId = requireString(attributes, "clientId", "clientId");
        String clientSecret = requireString(attributes, "clientSecret", "clientSecret");
        String enterpriseId = requireString(attributes, "enterpriseId", "enterpriseId");
        AccessTokens.Issued issued = api.login(clientId, clientSecret, enterpriseId);
        ObjectNode body = object();
        ObjectNode data = body.putObject("data").put("id", issued.id()).put("type", RESPONSE_TYPE);
        data.putObject("attributes").put("accessToken", issued.token());
        body.putObject("meta").put("createdTimestamp", issued.createdMillis()).put("expiresIn", issued.ttlSeconds());
        writeJson(response, HttpServletResponse.SC_CREATED, body);
    }
}
