package datastore;

/** A key or tag that breaks the rules of {@link Names#check}: empty, too long, or with a control or format character. */
public class InvalidNameException extends DatastoreException {
    private static final long serialVersionUID = 1L;

    public InvalidNameException(String name, String reason) {
        super("invalid name " + quote(name) + ": " + reason, null, name);
    }

    private static String quote(String name) {
        if (name == null) {
            return "null";
        }
        boolean cut = name.codePointCount(0, name.length()) > 64;
        String shown = Names.display(cut ? name.substring(0, name.offsetByCodePoints(0, 64)) : name);
        return "\"" + shown + (cut ? "...\"" : "\"");
    }
}
