package datastore.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;

import datastore.system.Readiness;
import datastore.testsupport.FreePort;

import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;

/**
 * The launch of a {@link Dock}'s embedded Apache Felix from the {@code dock} product's executable jar:
 * its framework properties and start levels from {@code launcher.properties}, its bundles from the
 * {@code jar/} folder (the API bundle's packages exported by the system bundle from this class path
 * instead), then the start: Configuration Admin, the configurations, everything else.
 */
final class DockFramework {
    /** System property: the product's executable jar; by default datastore.dock/target/dock.jar beside this module. */
    static final String PRODUCT = "datastore.bench.dock";
    static final long WAIT_SECONDS = 120;
    private static final String API_BUNDLE = "datastore.api";
    private static final Pattern START_LEVEL = Pattern.compile("([^,;]+);version=\"[^\"]*\";startlevel=(\\d+)");
    /** Configuration Admin's start level: configurations are set before anything above it starts. */
    private static final int CONFIGURATION_LEVEL = 5;

    private DockFramework() {
    }

    /** A framework with the product's bundles installed, and the start level the product begins at. */
    record Installed(Framework framework, int beginning) {
    }

    /**
     * Makes the product's framework on {@code dir} (its storage, configuration, deploy folder and data)
     * and installs its bundles, started at their start levels once the framework starts.
     */
    static Installed install(Path dir) throws Exception {
        Path product = product();
        Map<String, String> properties = new HashMap<>();
        Map<String, Integer> startLevels = new HashMap<>();
        List<String> bundles = new ArrayList<>();
        String apiExports;
        int beginning;
        try (JarFile jar = new JarFile(product.toFile())) {
            Properties launcher = new Properties();
            try (InputStream in = jar.getInputStream(entry(jar, "launcher.properties"))) {
                launcher.load(in);
            }
            for (String key : launcher.stringPropertyNames()) {
                if (!key.startsWith("launch.")) {
                    properties.put(key, launcher.getProperty(key));
                }
            }
            // The bnd launcher makes its run properties system properties too; slf4j-simple reads only those.
            String logLevel = "org.slf4j.simpleLogger.defaultLogLevel";
            if (System.getProperty(logLevel) == null && launcher.getProperty(logLevel) != null) {
                System.setProperty(logLevel, launcher.getProperty(logLevel));
            }
            Matcher levels = START_LEVEL.matcher(launcher.getProperty("launch.runbundles.attrs", ""));
            while (levels.find()) {
                startLevels.put(levels.group(1), Integer.parseInt(levels.group(2)));
            }
            bundles.addAll(List.of(launcher.getProperty("launch.bundles", "").split(",")));
            apiExports = null;
            for (String name : bundles) {
                Manifest manifest = manifest(jar, name);
                if (API_BUNDLE.equals(symbolicName(manifest))) {
                    apiExports = manifest.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
                }
            }
            if (apiExports == null) {
                throw new IllegalStateException(product + " holds no " + API_BUNDLE + " bundle");
            }
            beginning = Integer.parseInt(launcher.getProperty(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, "1"));
            int port = freePort();
            properties.put("datastore.data.dir", dir.toString());
            properties.put(Constants.FRAMEWORK_STORAGE, dir.resolve("framework").toString());
            properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
            properties.put("felix.cm.dir", dir.resolve("config").toString());
            properties.put("felix.fileinstall.dir", dir.resolve("deploy").toString());
            properties.put("datastore.http.port", Integer.toString(port));
            properties.put("gosh.args", "--nointeractive");
            // Events posted by the last writes are dropped, with a warning each, when the framework stops.
            properties.put("org.apache.felix.eventadmin.LogLevel", "1");
            properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, apiExports);
            // Configuration Admin first (start level 5), then the configurations, then the rest.
            properties.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(CONFIGURATION_LEVEL));
            Files.createDirectories(dir.resolve("deploy"));

            Framework framework = new FrameworkFactory().newFramework(properties);
            framework.init();
            BundleContext context = framework.getBundleContext();
            for (String name : bundles) {
                Manifest manifest = manifest(jar, name);
                String bsn = symbolicName(manifest);
                if (API_BUNDLE.equals(bsn) || "org.apache.felix.framework".equals(bsn)) {
                    continue;
                }
                try (InputStream in = jar.getInputStream(entry(jar, name))) {
                    Bundle bundle = context.installBundle("product:" + name, in);
                    bundle.adapt(BundleStartLevel.class).setStartLevel(startLevels.getOrDefault(bsn, 10));
                    if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                        bundle.start();
                    }
                }
            }
            return new Installed(framework, beginning);
        }
    }

    /**
     * Starts the framework: Configuration Admin, then {@code configurations} (PID to properties), then
     * everything else up to the product's beginning start level. The dock is ready once its readiness
     * condition is registered, which the caller awaits.
     */
    static void start(Installed installed, Map<String, Map<String, Object>> configurations) throws Exception {
        Framework framework = installed.framework();
        framework.start();
        awaitStartLevel(framework, CONFIGURATION_LEVEL);
        for (var configuration : configurations.entrySet()) {
            configure(framework.getBundleContext(), configuration.getKey(), configuration.getValue());
        }
        awaitStartLevel(framework, installed.beginning());
    }

    /** The filter of the service the dock registers once it is ready. */
    static String readiness() {
        return "(&(objectClass=org.osgi.service.condition.Condition)(osgi.condition.id=" + Readiness.CONDITION + "))";
    }

    /** What the dock waits for, and which bundles are not active. */
    static String diagnosis(BundleContext context) {
        StringBuilder out = new StringBuilder();
        var readiness = context.getServiceReference(Readiness.class);
        if (readiness != null) {
            out.append("waiting for ").append(context.getService(readiness).waitingFor());
        }
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getState() != Bundle.ACTIVE && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                out.append("; ").append(bundle.getSymbolicName()).append(" in state ").append(bundle.getState());
            }
        }
        return out.toString();
    }

    /**
     * Sets a component configuration through the product's Configuration Admin. Its API package is the
     * bundle's own, not this class path's, so it is called reflectively through the bundle's class.
     */
    private static void configure(BundleContext context, String pid, Map<String, Object> values) throws Exception {
        var reference = context.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        if (reference == null) {
            throw new IllegalStateException("the dock runs no Configuration Admin; " + diagnosis(context));
        }
        Object admin = context.getService(reference);
        Class<?> adminType = reference.getBundle().loadClass("org.osgi.service.cm.ConfigurationAdmin");
        Class<?> configurationType = reference.getBundle().loadClass("org.osgi.service.cm.Configuration");
        Object configuration = adminType.getMethod("getConfiguration", String.class, String.class).invoke(admin, pid, "?");
        Dictionary<String, Object> properties = new Hashtable<>(values);
        Method update = configurationType.getMethod("update", Dictionary.class);
        update.invoke(configuration, properties);
    }

    private static void awaitStartLevel(Framework framework, int level) throws InterruptedException {
        CountDownLatch reached = new CountDownLatch(1);
        FrameworkStartLevel startLevel = framework.adapt(FrameworkStartLevel.class);
        startLevel.setStartLevel(level, event -> reached.countDown());
        if (!reached.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("start level " + level + " not reached; "
                    + diagnosis(framework.getBundleContext()));
        }
    }

    /** The product's executable jar. */
    static Path product() {
        String given = System.getProperty(PRODUCT);
        Path jar;
        if (given != null) {
            jar = Path.of(given);
        } else {
            try {
                Path code = Path.of(Dock.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                // target/benchmarks.jar or target/classes, in datastore.bench
                jar = code.getParent().getParent().resolveSibling("datastore.dock").resolve("target/dock.jar");
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no product jar " + jar + ": build it with ./run (or mvn -o package -DskipTests"
                    + " -f datastore.bench/reactor.xml -pl :datastore.dock -am), or name it with -D" + PRODUCT);
        }
        return jar.toAbsolutePath();
    }

    private static ZipEntry entry(JarFile jar, String name) {
        ZipEntry entry = jar.getEntry(name);
        if (entry == null) {
            throw new IllegalStateException(jar.getName() + " has no " + name + ": is it a bnd executable jar?");
        }
        return entry;
    }

    private static Manifest manifest(JarFile jar, String name) throws IOException {
        try (InputStream in = jar.getInputStream(entry(jar, name));
                var bundle = new java.util.jar.JarInputStream(in)) {
            Manifest manifest = bundle.getManifest();
            if (manifest == null) {
                throw new IllegalStateException(name + " in " + jar.getName() + " has no manifest");
            }
            return manifest;
        }
    }

    private static String symbolicName(Manifest manifest) {
        String value = manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        return value == null ? null : value.split(";")[0].trim();
    }

    static int freePort() {
        try {
            return FreePort.pick();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
