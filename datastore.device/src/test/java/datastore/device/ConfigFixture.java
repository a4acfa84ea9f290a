package datastore.device;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/** Builds a {@link FlashPartitionTable.Config} from its defaults and overrides, as DS would. */
final class ConfigFixture {
    private ConfigFixture() {
    }

    static FlashPartitionTable.Config config(Object... overrides) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < overrides.length; i += 2) {
            values.put((String) overrides[i], overrides[i + 1]);
        }
        return (FlashPartitionTable.Config) Proxy.newProxyInstance(FlashPartitionTable.Config.class.getClassLoader(),
                new Class<?>[] {FlashPartitionTable.Config.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "Config" + values : method.invoke(values, args);
                    }
                    Object value = values.get(method.getName());
                    return value != null ? value : method.getDefaultValue();
                });
    }
}
