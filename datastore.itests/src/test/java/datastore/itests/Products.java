package datastore.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import datastore.testsupport.FreePort;

import org.ops4j.pax.exam.Option;
import org.osgi.framework.Constants;

import aQute.bnd.header.Attrs;
import aQute.bnd.header.OSGiHeader;
import aQute.bnd.header.Parameters;
import aQute.bnd.osgi.Processor;
import aQute.bnd.version.Version;
import aQute.bnd.version.VersionRange;

/**
 * The products of {@code cnf/} as Pax Exam options, read with bnd itself. Used on the test driver's
 * side only (it needs bnd, which the framework under test does not have).
 */
final class Products {

    private Products() {
    }

    /** The bundles and framework properties of {@code cnf/<name>.bndrun}, with its data under {@code data}. */
    static Option option(String name, Path data) throws Exception {
        Path bndrun = Paths.get(System.getProperty("itest.cnf", "../cnf"), name + ".bndrun");
        List<Option> options = new ArrayList<>();
        try (Processor descriptor = new Processor()) {
            descriptor.setProperties(bndrun.toFile());
            Map<String, String> properties = new LinkedHashMap<>();
            Attrs runProperties = OSGiHeader.parseProperties(descriptor.mergeProperties("-runproperties"));
            runProperties.forEach((key, value) -> properties.put(key, value));
            // One dock per test class: its own data, storage and a free port, nothing shared.
            properties.put("datastore.data.dir", data.toString());
            properties.put("org.osgi.framework.storage", data.resolve("framework").toString());
            properties.put("felix.fileinstall.dir", data.resolve("deploy").toString());
            properties.put("datastore.http.port", Integer.toString(freePort()));
            properties.put("gosh.args", "--nointeractive");
            Files.createDirectories(data.resolve("deploy"));
            properties.forEach((key, value) -> options.add(frameworkProperty(key).value(value)));

            Parameters runbundles = new Parameters(descriptor.mergeProperties("-runbundles"), descriptor);
            if (runbundles.isEmpty()) {
                throw new IllegalStateException(bndrun + " lists no -runbundles: resolve it first");
            }
            List<Path> jars = bundlePath();
            for (Map.Entry<String, Attrs> runbundle : runbundles.entrySet()) {
                String bsn = Processor.removeDuplicateMarker(runbundle.getKey());
                String range = runbundle.getValue().get("version");
                options.add(bundle(jarOf(bsn, range, jars).toUri().toString()));
            }
        }
        return composite(options.toArray(Option[]::new));
    }

    /**
     * The shared test doubles as a bundle beside the product, for tests that register them as
     * services: the test probe imports their package from it.
     */
    static Option testSupport() throws IOException {
        return bundle(jarOf("datastore.testsupport", null, bundlePath()).toUri().toString());
    }

    private static List<Path> bundlePath() {
        String path = System.getProperty("itest.bundlepath");
        if (path == null || path.isBlank()) {
            throw new IllegalStateException("itest.bundlepath is not set: run the tests through Maven failsafe");
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.endsWith(".jar")) {
                jars.add(Paths.get(entry));
            }
        }
        return jars;
    }

    private static Path jarOf(String bsn, String range, List<Path> jars) throws IOException {
        VersionRange versions = range == null ? null : new VersionRange(range);
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                Manifest manifest = file.getManifest();
                if (manifest == null) {
                    continue;
                }
                String name = manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
                String version = manifest.getMainAttributes().getValue(Constants.BUNDLE_VERSION);
                if (name != null && name.split(";")[0].trim().equals(bsn)
                        && (versions == null || versions.includes(Version.parseVersion(version)))) {
                    return jar;
                }
            }
        }
        throw new IllegalStateException("no jar on the test path provides bundle " + bsn + " " + range);
    }

    private static int freePort() throws IOException {
        return FreePort.pick();
    }

}
