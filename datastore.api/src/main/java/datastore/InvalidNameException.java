package datastore;

/** A key or tag that breaks the rules of {@link Limits}: empty, too long, or with a control character. */
public class InvalidNameException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public InvalidNameException(String name, String reason) {
        super("invalid name " + quote(name) + ": " + reason, null, name);
    }

    private static String quote(String name) {
        if (name == null) {
            return "null";
        }
        StringBuilder quoted = new StringBuilder("\"");
        name.codePoints().limit(64).forEach(c -> {
            if (Character.isISOControl(c) || Character.isSurrogate((char) c)) {
                quoted.append(String.format("\\u%04x", c));
            } else {
                quoted.appendCodePoint(c);
            }
        });
        return quoted.append(name.codePointCount(0, name.length()) > 64 ? "...\"" : "\"").toString();
    }
}
