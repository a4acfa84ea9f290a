package datastore.device;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/** Builds a {@link FlashConfiguration} from its defaults and overrides, as DS would. */
final class ConfigFixture {
    private ConfigFixture() {
    }

    static FlashConfiguration config(Object... overrides) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < overrides.length; i += 2) {
            values.put((String) overrides[i], overrides[i + 1]);
        }
        return (FlashConfiguration) Proxy.newProxyInstance(FlashConfiguration.class.getClassLoader(),
                new Class<?>[] {FlashConfiguration.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "Config" + values : method.invoke(values, args);
                    }
                    Object value = values.get(method.getName());
                    return value != null ? value : method.getDefaultValue();
                });
    }
}
