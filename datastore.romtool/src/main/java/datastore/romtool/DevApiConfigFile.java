package datastore.romtool;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The development API's configuration file, {@code <data>/deploy/datastore.devapi.cfg}, as {@code ./dock run}
 * writes it from its options: FileInstall hands it to Configuration Admin, so the values reach the API the way
 * any configuration of the product does. The options replace their keys; every other line (a key given by an
 * earlier run, one edited by hand, a comment) is kept. The secret is written only as a salted SHA-256 hash.
 */
final class DevApiConfigFile {
    /** The configuration's PID, which names the file. */
    static final String PID = "datastore.devapi";
    static final String SECRET = "client.secret";
    static final String SECRET_HASH = "client.secret.hash";
    /** The keys the options write, in the order they are written. */
    private static final List<String> WRITTEN = List.of("dock.id", "client.id", SECRET_HASH, "enterprise.id");

    private DevApiConfigFile() {
    }

    /**
     * The file's new lines: {@code existing} (empty for a new file) without the lines of the keys in {@code values},
     * then those keys. {@code values} maps keys to values; a clear {@code client.secret} is written as
     * {@code client.secret.hash} and replaces the old secret in either form.
     */
    static List<String> merge(List<String> existing, Map<String, String> values, SecureRandom random) {
        Map<String, String> written = new LinkedHashMap<>(values);
        String secret = written.remove(SECRET);
        if (secret != null) {
            written.put(SECRET_HASH, saltedHash(secret, random));
        }
        List<String> lines = new ArrayList<>();
        if (existing.isEmpty()) {
            lines.add("# Configuration of the development API (PID " + PID + "), read by FileInstall.");
            lines.add("# Written by ./dock from its options; edit it, or delete it to use generated credentials.");
        }
        for (String line : existing) {
            int end = separator(line);
            String key = end < 0 ? null : line.substring(0, end).replaceAll("\\s", "");
            boolean replaced = key != null && (written.containsKey(key)
                    || secret != null && (key.equals(SECRET) || key.equals(SECRET_HASH)));
            if (!replaced) {
                lines.add(line);
            }
        }
        for (String key : WRITTEN) {
            String value = written.get(key);
            if (value != null) {
                lines.add(key + "=" + value);
            }
        }
        return lines;
    }

    private static int separator(String line) {
        int equals = line.indexOf('=');
        int colon = line.indexOf(':');
        return equals < 0 ? colon : colon < 0 ? equals : Math.min(equals, colon);
    }

    /**
     * {@code sha256:SALT:DIGEST}, DIGEST = SHA-256(SALT || secret) with a random 16-byte SALT, both in lower-case
     * hex: the form of {@code client.secret.hash} the development API checks a login's secret against.
     */
    static String saltedHash(String secret, SecureRandom random) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(salt);
            byte[] digest = sha256.digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            HexFormat hex = HexFormat.of();
            return "sha256:" + hex.formatHex(salt) + ":" + hex.formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
