package datastore.bench;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/**
 * Component configurations made the way Declarative Services makes them: a proxy of the
 * configuration annotation that answers each attribute from the overrides, else from its default.
 */
final class Configs {
    private Configs() {
    }

    /** A configuration of {@code type}; {@code overrides} alternate attribute method names and values. */
    static <A> A of(Class<A> type, Object... overrides) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < overrides.length; i += 2) {
            values.put((String) overrides[i], overrides[i + 1]);
        }
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "toString" -> type.getSimpleName() + values;
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> proxy == args[0];
                };
            }
            if (method.getName().equals("annotationType")) {
                return type;
            }
            Object value = values.get(method.getName());
            return value != null ? value : method.getDefaultValue();
        }));
    }
}
