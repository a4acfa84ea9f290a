package datastore.devapi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import jakarta.servlet.Servlet;

import org.junit.Test;

/**
 * In production nothing of the development API is enabled; in development all of it is; and no
 * component of the bundle is left out of the list the switch enables.
 */
public class DevelopmentModeTest {

    private final List<String> enabled = new ArrayList<>();

    @Test
    public void productionEnablesNothing() {
        assertFalse(DevelopmentMode.apply("production", enabled::add));
        assertFalse(DevelopmentMode.apply(" Production ", enabled::add));
        assertTrue(enabled.isEmpty());
    }

    @Test
    public void anAbsentModeIsProduction() {
        assertFalse(DevelopmentMode.apply(null, enabled::add));
        assertTrue(enabled.isEmpty());
    }

    @Test
    public void developmentEnablesEveryComponent() {
        assertTrue(DevelopmentMode.apply("development", enabled::add));
        assertEquals(DevelopmentMode.COMPONENTS, enabled);
    }

    @Test
    public void anUnknownModeIsRefusedAndEnablesNothing() {
        for (String typo : new String[] {"develop", "dev", "", "development mode"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DevelopmentMode.apply(typo, enabled::add));
            assertTrue(e.getMessage(), e.getMessage().contains("datastore.mode"));
        }
        assertTrue(enabled.isEmpty());
    }

    /**
     * Every servlet class of the bundle, and every class naming a component, is one of the components
     * that the switch enables; a servlet missing from the list would never be registered.
     */
    @Test
    public void theSwitchKnowsEveryComponentOfTheBundle() throws Exception {
        File classes = new File(new File(DevelopmentMode.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()), "datastore/devapi");
        TreeSet<String> names = new TreeSet<>();
        int servlets = 0;
        for (String file : classes.list()) {
            if (!file.endsWith(".class") || file.contains("$")) {
                continue;
            }
            Class<?> type = Class.forName("datastore.devapi." + file.replace(".class", ""));
            if (Modifier.isAbstract(type.getModifiers()) || type == DevelopmentMode.class) {
                continue;
            }
            String name = constant(type, "NAME");
            name = name != null ? name : constant(type, "PID");
            if (Servlet.class.isAssignableFrom(type)) {
                servlets++;
                assertTrue(type + " is a servlet without a component NAME", name != null);
            }
            if (name != null) {
                names.add(name);
            }
        }
        assertEquals(9, servlets);
        assertEquals("every servlet is awaited for readiness", servlets, ApiServing.SERVLETS.size());
        assertEquals(names, new TreeSet<>(DevelopmentMode.COMPONENTS));
    }

    private static String constant(Class<?> type, String name) throws IllegalAccessException {
        try {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            return (String) field.get(null);
        } catch (NoSuchFieldException e) {
            return null;
        }
    }
}
