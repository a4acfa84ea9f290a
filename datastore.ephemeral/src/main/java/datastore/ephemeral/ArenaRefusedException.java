package datastore.ephemeral;

import datastore.DatastoreException;
import datastore.Partitions;

/**
 * The arena file holds something this build must not reuse or overwrite on its own: bytes that are not
 * an arena, an arena of a newer format written during this framework launch, or an arena of this
 * launch whose header is damaged. The file is left exactly as it was; the partition registers a
 * {@link datastore.spi.RefusedPartition} whose {@code format()} replaces it.
 */
final class ArenaRefusedException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    ArenaRefusedException(String message) {
        super(message, Partitions.EPHEMERAL, null);
    }
}
