package datastore.devapi;

import java.util.List;
import java.util.function.Consumer;

import datastore.system.DockMode;

import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.condition.Condition;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Registers the development API only in development mode. Every other component of this bundle is
 * declared disabled, so in production none of them is ever activated and no servlet, event handler
 * or credentials file exists at all; this immediate component enables them when the framework
 * property {@value #MODE} names {@link DockMode#DEVELOPMENT} (as {@link DockMode#of} reads it, the
 * one parser every bundle shares). Absent means production; any other value is refused, because a
 * typo must not open the API.
 */
@Component(name = "datastore.devapi.mode", service = {}, immediate = true)
public final class DevelopmentMode {

    /** Framework property: {@value #DEVELOPMENT} or {@value #PRODUCTION}; absent means production. */
    static final String MODE = DockMode.PROPERTY;

    /** The components that make up the development API, enabled together. */
    static final List<String> COMPONENTS = List.of(DevApi.PID, StoreBrowser.NAME, LoginServlet.NAME,
            CodeDeployServlet.NAME, RomStoreServlet.NAME, RomImageServlet.NAME, MessageServlet.NAME, BrowseServlet.NAME,
            ConsoleServlet.NAME, ConsoleEvents.NAME, RootServlet.NAME, ApiServing.NAME);

    private static final System.Logger LOG = System.getLogger(DevelopmentMode.class.getName());

    private Consumer<String> disable;
    private boolean enabled;
    private ServiceRegistration<Condition> nothingToServe;

    @Activate
    void activate(ComponentContext context) {
        enabled = apply(context.getBundleContext().getProperty(MODE), context::enableComponent);
        disable = context::disableComponent;
        if (!enabled) {
            // The dock awaits this bundle's condition (its Dock-Ready-Condition header); in
            // production there is nothing to serve, so there is nothing to wait for.
            nothingToServe = ApiServing.register(context.getBundleContext());
        }
    }

    @Deactivate
    void deactivate() {
        if (enabled) {
            COMPONENTS.forEach(disable);
        }
        if (nothingToServe != null) {
            ApiServing.unregister(nothingToServe);
        }
    }

    /**
     * Enables the API's components if {@code mode} is development.
     *
     * @return whether they were enabled
     * @throws IllegalArgumentException if {@code mode} is neither development, production nor absent
     */
    static boolean apply(String mode, Consumer<String> enable) {
        DockMode parsed;
        try {
            parsed = DockMode.of(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; the development API stays off", e);
        }
        if (parsed == DockMode.PRODUCTION) {
            return false;
        }
        COMPONENTS.forEach(enable);
        LOG.log(System.Logger.Level.INFO, "development mode: the development API and the dev console are enabled");
        return true;
    }
}
