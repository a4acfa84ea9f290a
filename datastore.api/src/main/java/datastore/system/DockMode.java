package datastore.system;

import java.util.Locale;

/**
 * The dock's mode, from the framework property {@value #PROPERTY}: every bundle that behaves
 * differently in development reads it through {@link #of(String)}, so that no two of them can
 * disagree about a value (one lowercasing it, another not).
 */
public enum DockMode {
    /** The development API, the dev console and ROM provisioning exist. */
    DEVELOPMENT,
    /** None of them exists. */
    PRODUCTION;

    /** Framework property, {@code String}: {@code development} or {@code production}; absent means production. */
    public static final String PROPERTY = "datastore.mode";

    /**
     * The mode a value of {@value #PROPERTY} names, ignoring case and surrounding white space.
     *
     * @param value the property's value; null (absent) means {@link #PRODUCTION}
     * @throws IllegalArgumentException for any other value, so that a typo never opens the development API
     */
    public static DockMode of(String value) {
        if (value == null) {
            return PRODUCTION;
        }
        String normalized = value.strip().toLowerCase(Locale.ROOT);
        for (DockMode mode : values()) {
            if (mode.id().equals(normalized)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("the framework property " + PROPERTY + " is \"" + value + "\"; it must be "
                + DEVELOPMENT.id() + " or " + PRODUCTION.id() + " (absent means " + PRODUCTION.id() + ")");
    }

    /** The property's value for this mode: {@code development} or {@code production}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
