package datastore.devapi;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code POST /api/docks/application/message}: posts the message to the running application as the
 * Event Admin event {@value #TOPIC} with the properties {@value #MESSAGE} and {@value #DOCK_ID}
 * (both {@code String}). The dock runtime subscribes to that topic and hands the message on.
 */
@Component(name = MessageServlet.NAME, service = Servlet.class, enabled = false)
@HttpWhiteboardServletPattern(MessageServlet.PATH)
@HttpWhiteboardServletName(MessageServlet.NAME)
public final class MessageServlet extends ApiServlet {
    private static final long serialVersionUID = 1L;

    static final String NAME = "datastore.devapi.message";
    static final String PATH = "/api/docks/application/message";
    static final String TYPE = "applicationMessage";

    /** The topic of a message for the application. */
    public static final String TOPIC = "datastore/application/MESSAGE";
    /** Event property, {@code String}: the message. */
    public static final String MESSAGE = "message";
    /** Event property, {@code String}: this dock's id. */
    public static final String DOCK_ID = "dockId";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    transient volatile EventAdmin eventAdmin;

    @Activate
    public MessageServlet(@Reference(policyOption = ReferencePolicyOption.GREEDY) DevApi api) {
        super(api, Set.of("POST"), true);
    }

    @Override
    void handle(HttpServletRequest request, HttpServletResponse response) throws ApiException, IOException {
        ObjectNode attributes = attributes(readBody(request), TYPE);
        api.checkDock(requireString(attributes, "dockId", "dockId"));
        String message = requireString(attributes, "message", "message");
        EventAdmin events = eventAdmin;
        if (events == null) {
            throw ApiException.unavailable("Event Admin service to deliver the message");
        }
        events.postEvent(new Event(TOPIC, Map.of(MESSAGE, message, DOCK_ID, api.dockId())));
        ObjectNode result = object().put("dockId", api.dockId()).put("topic", TOPIC);
        writeJson(response, HttpServletResponse.SC_OK, document(TYPE, result));
    }
}
