package datastore.system;

import java.nio.ByteBuffer;

/**
 * The application's code as the dock runtime loads it.
 *
 * @param source the code, a read-only copy of its own
 * @param partition the partition it came from (ephemeral for a development deploy)
 * @param revision the entry's revision in that partition, which changes with every deploy
 */
public record ApplicationCode(ByteBuffer source, String partition, long revision) {
}
