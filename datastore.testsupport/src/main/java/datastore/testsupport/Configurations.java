package datastore.testsupport;

import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.util.converter.Converters;

/**
 * Instances of configuration annotations ({@code @ObjectClassDefinition} types) for tests, built by the
 * OSGi Converter as Declarative Services builds them: a method reads the property its name maps to
 * ({@code max_body_bytes} reads {@code max.body.bytes}), converted to its return type, or else the
 * annotation's default.
 */
public final class Configurations {
    private Configurations() {
    }

    /**
     * @param properties configuration properties by their property names ({@code token.ttl.seconds})
     * @return an instance answering {@code properties}, and the defaults for the rest
     */
    public static <T> T of(Class<T> type, Map<String, ?> properties) {
        return Converters.standardConverter().convert(properties).to(type);
    }

    /**
     * @param keysAndValues property names and their values, alternating: {@code "rom.offset", 0L, "rom.size", 4096L}
     * @return an instance answering these properties, and the defaults for the rest
     */
    public static <T> T of(Class<T> type, Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("a value for every property name, please: " + keysAndValues.length
                    + " arguments");
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return of(type, properties);
    }

    /** An instance answering the annotation's defaults. */
    public static <T> T defaults(Class<T> type) {
        return of(type, Map.of());
    }
}
