package datastore.devapi;

import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.condition.Condition;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.dto.RuntimeDTO;
import org.osgi.service.servlet.runtime.dto.ServletContextDTO;
import org.osgi.service.servlet.runtime.dto.ServletDTO;
import org.osgi.util.tracker.ServiceTracker;

import datastore.system.Readiness;

/**
 * Tells the dock's {@link Readiness} when the development API is serving: registers the condition
 * {@value #CONDITION} (which this bundle's {@value Readiness#CONDITION_HEADER} header makes the
 * dock await) once the HTTP runtime lists every servlet of the API as registered, and withdraws it
 * when one is gone. A servlet service that is registered but not yet taken up by the whiteboard
 * answers nothing, so the service registry alone is not proof; the runtime's own account is.
 *
 * <p>In production this component stays disabled and {@link DevelopmentMode} registers the
 * condition at once: there is nothing to serve and nothing to wait for.
 */
@Component(name = ApiServing.NAME, service = {}, immediate = true, enabled = false)
public final class ApiServing {

    static final String NAME = "datastore.devapi.serving";

    /** The {@code osgi.condition.id} this bundle's manifest tells the dock to await. */
    static final String CONDITION = "datastore.devapi.serving";

    /** The servlets that make up the API, by their whiteboard names. */
    static final List<String> SERVLETS = List.of(LoginServlet.NAME, CodeDeployServlet.NAME, RomStoreServlet.NAME,
            RomImageServlet.NAME, MessageServlet.NAME, BrowseServlet.NAME, ConsoleServlet.NAME, ConsoleEvents.NAME, RootServlet.NAME);

    private final Object lock = new Object();
    private BundleContext context;
    private ServiceTracker<HttpServiceRuntime, HttpServiceRuntime> runtimes;
    private boolean applying;
    private boolean dirty;
    private boolean closed;

    // Touched only by the thread that is applying.
    private ServiceRegistration<Condition> registration;

    @Activate
    void activate(BundleContext bundleContext) {
        context = bundleContext;
        runtimes = new ServiceTracker<>(context, HttpServiceRuntime.class, null) {
            @Override
            public HttpServiceRuntime addingService(ServiceReference<HttpServiceRuntime> reference) {
                HttpServiceRuntime runtime = super.addingService(reference);
                changed();
                return runtime;
            }

            @Override
            public void modifiedService(ServiceReference<HttpServiceRuntime> reference, HttpServiceRuntime service) {
                // The runtime's service.changecount moved: a servlet came or went.
                changed();
            }

            @Override
            public void removedService(ServiceReference<HttpServiceRuntime> reference, HttpServiceRuntime service) {
                super.removedService(reference, service);
                changed();
            }
        };
        runtimes.open();
        changed();
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            closed = true;
        }
        runtimes.close();
        changed();
    }

    /**
     * Brings the condition in line with the runtime: whichever thread sees a change applies it,
     * outside the lock (asking the runtime for its state takes the whiteboard's own lock), and a
     * change seen meanwhile makes it look again.
     */
    private void changed() {
        synchronized (lock) {
            if (applying) {
                dirty = true;
                return;
            }
            applying = true;
        }
        try {
            while (true) {
                boolean serving;
                synchronized (lock) {
                    dirty = false;
                    serving = !closed;
                }
                serving = serving && serving();
                if (serving && registration == null) {
                    registration = register(context);
                } else if (!serving && registration != null) {
                    unregister(registration);
                    registration = null;
                }
                synchronized (lock) {
                    if (!dirty) {
                        applying = false;
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            // (A registration refused as the bundle stops.) The next change applies afresh.
            synchronized (lock) {
                applying = false;
            }
            throw e;
        }
    }

    /** Whether some HTTP runtime lists every servlet of the API as registered. */
    private boolean serving() {
        ServiceTracker<HttpServiceRuntime, HttpServiceRuntime> tracker = runtimes;
        HttpServiceRuntime[] all = tracker == null ? null : tracker.getServices(new HttpServiceRuntime[0]);
        if (all == null) {
            return false;
        }
        for (HttpServiceRuntime runtime : all) {
            if (servesAll(runtime.getRuntimeDTO())) {
                return true;
            }
        }
        return false;
    }

    static boolean servesAll(RuntimeDTO runtime) {
        Set<String> registered = new HashSet<>();
        if (runtime.servletContextDTOs != null) {
            for (ServletContextDTO servletContext : runtime.servletContextDTOs) {
                for (ServletDTO servlet : servletContext.servletDTOs) {
                    registered.add(servlet.name);
                }
            }
        }
        return registered.containsAll(SERVLETS);
    }

    static ServiceRegistration<Condition> register(BundleContext context) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Condition.CONDITION_ID, CONDITION);
        properties.put(Constants.SERVICE_DESCRIPTION, "the development API is serving");
        return context.registerService(Condition.class, Condition.INSTANCE, properties);
    }

    static void unregister(ServiceRegistration<?> registration) {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // Gone with the bundle already.
        }
    }
}
