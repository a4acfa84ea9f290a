package datastore.spi;

import java.util.List;

import datastore.DatastoreException;
import datastore.Partitions;

/**
 * ROM content refused before anything was written: every problem found, each naming its field the
 * way the REST request and the YAML description do (for example {@code images.logo.data},
 * {@code kvStore.timezone}, {@code code}).
 */
public class InvalidRomContentException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    /**
     * One problem of the content.
     *
     * @param field the field, dotted path
     * @param message what is wrong with it
     */
    public record Problem(String field, String message) {
        @Override
        public String toString() {
            return field + ": " + message;
        }
    }

    private final List<Problem> problems;

    public InvalidRomContentException(List<Problem> problems) {
        super("invalid ROM content: " + problems, Partitions.ROM, problems.isEmpty() ? null : problems.get(0).field());
        this.problems = List.copyOf(problems);
    }

    /** Every problem found; unmodifiable, never empty. */
    public List<Problem> problems() {
        return problems;
    }
}
