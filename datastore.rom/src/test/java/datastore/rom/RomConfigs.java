package datastore.rom;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/** The partition's configuration for tests, as DS would make it. */
final class RomConfigs {
    private RomConfigs() {
    }

    /** A {@link RomConfiguration} from its defaults and overrides, as DS would make it. */
    static RomConfiguration of(Object... overrides) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < overrides.length; i += 2) {
            values.put((String) overrides[i], overrides[i + 1]);
        }
        return (RomConfiguration) Proxy.newProxyInstance(RomConfiguration.class.getClassLoader(),
                new Class<?>[] {RomConfiguration.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "Config" + values : method.invoke(values, args);
                    }
                    Object value = values.get(method.getName());
                    return value != null ? value : method.getDefaultValue();
                });
    }
}
