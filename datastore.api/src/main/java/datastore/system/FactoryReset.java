package datastore.system;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Returns the dock to its factory state: every writable partition (ephemeral, runtime) is emptied,
 * the ROM stays as it is, and {@code datastore/RESET} is posted. Afterwards every read answers as on
 * first boot.
 */
@ProviderType
public interface FactoryReset {

    /**
     * Empties every writable partition present.
     *
     * @return the names of the partitions emptied, in the order they were emptied
     */
    List<String> reset();
}
