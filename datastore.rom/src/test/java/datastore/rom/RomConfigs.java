package datastore.rom;

import datastore.testsupport.Configurations;

/** The partition's configuration for tests, as DS would make it. */
final class RomConfigs {
    private RomConfigs() {
    }

    /**
     * A {@link RomConfiguration} from its defaults and overrides, keyed by method name, as Declarative
     * Services makes it: the OSGi Converter reads {@code dock_id} from the property {@code dock.id}.
     */
    static RomConfiguration of(Object... overrides) {
        Object[] properties = overrides.clone();
        for (int i = 0; i < properties.length; i += 2) {
            properties[i] = ((String) properties[i]).replace('_', '.');
        }
        return Configurations.of(RomConfiguration.class, properties);
    }
}
