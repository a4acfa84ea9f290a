package datastore.system;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The application's code, for the dock runtime (applications cannot see it: it lives in the
 * {@link datastore.Namespace#CODE} namespace, which the application API never reads). The code is
 * looked up like any entry, highest-ranking partition first, so a development deploy to the
 * ephemeral partition overrides the runtime and ROM copies until the dock restarts. Every deploy
 * posts {@code datastore/code/PUT} (see {@link datastore.ChangeEvents}).
 */
@ProviderType
public interface ApplicationCodeStore {

    /** The name of the application's code in the {@code CODE} namespace. */
    String MAIN = "main";

    /** The code the runtime should run, if any partition has one. */
    Optional<ApplicationCode> current();

    /**
     * Stores new code in the named partition.
     *
     * @throws datastore.DatastoreException subclasses as {@link datastore.KvStore#put(String, String, String)}
     */
    void deploy(byte[] source, String partition);

    /**
     * Removes the code from the named partition, uncovering a lower copy.
     *
     * @return whether the partition held code
     */
    boolean remove(String partition);
}
