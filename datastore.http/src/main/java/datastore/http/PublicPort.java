package datastore.http;

import java.io.IOException;
import java.util.Hashtable;

import org.apache.felix.http.jetty.ConnectorFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.condition.Condition;
import org.osgi.util.tracker.ServiceTracker;

import datastore.system.Readiness;

/**
 * Opens the dock's HTTP port once the dock is ready, and only then, so that a client that connects
 * the instant the port accepts finds every endpoint there: Jetty opens its own connector before
 * the whiteboard has taken up a single servlet, so that connector listens on a loopback port of
 * the system's choosing that nobody is told, and the port users know is a second connector that
 * this component hands to Felix HTTP ({@link ConnectorFactory}) when the
 * {@value Readiness#CONDITION} condition first appears. It stays open from then on: readiness lost
 * for a moment (a partition bundle replaced) is answered with 503s, not with a closed port.
 *
 * <p>When the connector has started (it accepts connections), this prints
 * {@value Readiness#ANNOUNCEMENT} on standard output, as the bundle's
 * {@value Readiness#ANNOUNCER_HEADER} header promises the store.
 */
@Component(name = PublicPort.NAME, service = {}, immediate = true)
public final class PublicPort {

    static final String NAME = "datastore.http.port";

    /** Framework property: the dock's HTTP port; 8080 when absent. */
    static final String PORT = "datastore.http.port";

    /** Framework property: the address the port is bound to; 127.0.0.1 when absent. */
    static final String HOST = "datastore.http.host";

    private static final long IDLE_TIMEOUT_MS = 60_000;

    private final Object lock = new Object();
    private BundleContext context;
    private String host;
    private int port;
    private ServiceTracker<Condition, Condition> ready;
    private ServiceRegistration<ConnectorFactory> registration;
    private boolean closed;

    @Activate
    void activate(BundleContext bundleContext) {
        context = bundleContext;
        host = value(context.getProperty(HOST), "127.0.0.1");
        port = port(value(context.getProperty(PORT), "8080"));
        ready = new ServiceTracker<>(context, filter(context), null) {
            @Override
            public Condition addingService(ServiceReference<Condition> reference) {
                openPort();
                return super.addingService(reference);
            }
        };
        ready.open();
    }

    @Deactivate
    void deactivate() {
        ready.close();
        ServiceRegistration<ConnectorFactory> opened;
        synchronized (lock) {
            closed = true;
            opened = registration;
            registration = null;
        }
        if (opened != null) {
            try {
                opened.unregister();
            } catch (IllegalStateException e) {
                // Gone with the bundle already.
            }
        }
    }

    private static org.osgi.framework.Filter filter(BundleContext context) {
        try {
            return context.createFilter("(&(" + Constants.OBJECTCLASS + "=" + Condition.class.getName() + ")("
                    + Condition.CONDITION_ID + "=" + Readiness.CONDITION + "))");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hands the public connector to Felix HTTP, once. */
    private void openPort() {
        synchronized (lock) {
            if (closed || registration != null) {
                return;
            }
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(Constants.SERVICE_DESCRIPTION, "the dock's HTTP port " + host + ":" + port);
            // Registered under the lock: nothing that reacts to a ConnectorFactory comes back here.
            registration = context.registerService(ConnectorFactory.class, this::connector, properties);
        }
    }

    private Connector connector(Server server) {
        HttpConfiguration http = new HttpConfiguration();
        // Like Felix HTTP's own connector: the answers do not name the server's make and version.
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http)) {
            @Override
            protected void doStart() throws Exception {
                try {
                    super.doStart();
                } catch (IOException | RuntimeException e) {
                    System.err.println("dock: the HTTP port " + host + ":" + port + " could not be opened: " + e);
                    throw e;
                }
                System.out.println(Readiness.ANNOUNCEMENT + " (HTTP on " + url() + ")");
                System.out.flush();
            }
        };
        connector.setName("datastore");
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        return connector;
    }

    private String url() {
        String shown = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + shown + ":" + port + "/";
    }

    private static String value(String property, String otherwise) {
        return property == null || property.isBlank() ? otherwise : property.strip();
    }

    static int port(String text) {
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PORT + ": \"" + text + "\" is not a port number");
        }
        if (value < 1 || value > 65_535) {
            throw new IllegalArgumentException(PORT + ": " + value + " is not a port number (1 to 65535)");
        }
        return value;
    }
}
