package datastore.itests;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import javax.inject.Inject;

import org.junit.Before;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;


/**
 * Base of the in-framework tests: runs a real product of {@code cnf/} in Felix. The bundles are
 * exactly the product descriptor's {@code -runbundles}, taken from the jars the build just made, and
 * its {@code -runproperties} apply, so a test exercises the composition users run. A bundle that does
 * not become active fails the test.
 */
public abstract class DockTestSupport {

    @Inject
    protected BundleContext context;

    /** The product under test: the name of a {@code .bndrun} in {@code cnf/}. */
    protected abstract String product();

    /** Options a test class adds to the product. */
    protected Option extra() throws Exception {
        return composite();
    }

    @Configuration
    public Option[] configuration() throws Exception {
        Path work = Files.createDirectories(Paths.get(System.getProperty("itest.work", "target/itest-work")));
        Path data = Files.createTempDirectory(work, product() + "-");
        return options(Products.option(product(), data), extra(), junitBundles(), cleanCaches(true));
    }

    /** Every bundle of the product is active (fragments resolved); otherwise the test fails naming them. */
    @Before
    public void everyBundleActive() {
        List<String> inactive = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (bundle.getState() != expected && bundle.getBundleId() != 0) {
                inactive.add(bundle.getSymbolicName() + " " + bundle.getVersion() + " state " + bundle.getState());
            }
        }
        assertTrue("bundles not active: " + inactive, inactive.isEmpty());
    }

    /** The service of {@code type} matching {@code filter} (may be null), waiting up to 10 s for it. */
    protected <T> T service(Class<T> type, String filter) {
        try {
            String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
            Filter match = FrameworkUtil.createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")");
            ServiceTracker<T, T> tracker = new ServiceTracker<>(context, match, null);
            tracker.open();
            try {
                T service = tracker.waitForService(10_000);
                if (service == null) {
                    fail("no " + type.getSimpleName() + " service " + (filter == null ? "" : filter) + " within 10 s");
                }
                return service;
            } finally {
                tracker.close();
            }
        } catch (InvalidSyntaxException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    protected <T> T service(Class<T> type) {
        return service(type, null);
    }

    /** The installed bundle with this symbolic name. */
    protected Bundle bundle(String symbolicName) {
        for (Bundle bundle : context.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }
}
