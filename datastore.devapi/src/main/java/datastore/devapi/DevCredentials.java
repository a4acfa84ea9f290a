package datastore.devapi;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The dock id and login credentials of the development API. Configured values win; what is not
 * configured is generated once with {@link SecureRandom}, kept in a properties file readable by its
 * owner only, and printed to the console that one time, so a developer can paste it into scripts.
 * Later starts read the file back silently.
 *
 * @param dockId this dock's id
 * @param clientId the login's clientId
 * @param clientSecret the login's clientSecret, or its salted hash when {@code secretHashed}
 * @param enterpriseId the login's enterpriseId
 * @param secretHashed whether {@code clientSecret} is a {@code sha256:SALT:DIGEST} hash of the secret
 */
record DevCredentials(String dockId, String clientId, String clientSecret, String enterpriseId, boolean secretHashed) {

    /** Credentials holding the secret itself. */
    DevCredentials(String dockId, String clientId, String clientSecret, String enterpriseId) {
        this(dockId, clientId, clientSecret, enterpriseId, false);
    }

    private static final String HASH_PREFIX = "sha256:";

    /**
     * Whether a login's secret is the configured one, in time that depends on neither: digests are
     * compared, never the secrets themselves.
     */
    boolean secretMatches(String presented) {
        if (!secretHashed) {
            return same(presented, clientSecret);
        }
        byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        String[] parts = clientSecret.split(":");
        byte[] salt = HexFormat.of().parseHex(parts[1]);
        byte[] salted = new byte[salt.length + given.length];
        System.arraycopy(salt, 0, salted, 0, salt.length);
        System.arraycopy(given, 0, salted, salt.length, given.length);
        return MessageDigest.isEqual(AccessTokens.sha256(salted), HexFormat.of().parseHex(parts[2]));
    }

    /** Compares digests, so neither the content nor the length of a credential shows in the timing. */
    static boolean same(String presented, String expected) {
        return MessageDigest.isEqual(AccessTokens.sha256(presented.getBytes(StandardCharsets.UTF_8)),
                AccessTokens.sha256(expected.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Checks the form of a configured secret hash.
     *
     * @throws IllegalArgumentException saying what is wrong, never echoing the value
     */
    static String checkHash(String hash) {
        String[] parts = hash.split(":", -1);
        boolean ok = parts.length == 3 && (parts[0] + ":").equals(HASH_PREFIX)
                && parts[1].matches("([0-9a-fA-F]{2}){16,64}") && parts[2].matches("[0-9a-fA-F]{64}");
        if (!ok) {
            throw new IllegalArgumentException(DevApi.PID + ": client.secret.hash must be \"sha256:SALT:DIGEST\" with "
                    + "SALT 16 to 64 bytes and DIGEST 32 bytes, both in hex");
        }
        return hash;
    }

    /** The file's name in the data folder. */
    static final String FILE_NAME = "dev-credentials.properties";

    private static final String DOCK_ID = "dock.id";
    private static final String CLIENT_ID = "client.id";
    private static final String CLIENT_SECRET = "client.secret";
    private static final String ENTERPRISE_ID = "enterprise.id";

    @Override
    public String toString() {
        // Never let a log line or an exception message carry the secret.
        return "DevCredentials[dockId=" + dockId + ", clientId=" + clientId + ", enterpriseId=" + enterpriseId + "]";
    }

    /**
     * The credentials to use: the configured ones, completed from {@code file} (created with generated
     * values when missing) where the configuration leaves them empty.
     *
     * @throws IllegalArgumentException if only some of client id, secret and enterprise id are configured,
     *         or the file exists but lacks a value
     * @throws IOException if the file cannot be read or written
     */
    static DevCredentials resolve(DevApiConfiguration config, Path file, SecureRandom random, PrintStream console)
            throws IOException {
        String dockId = config.dock_id().strip();
        String clientId = config.client_id().strip();
        String secret = config.client_secret();
        String hash = config.client_secret_hash().strip();
        String enterpriseId = config.enterprise_id().strip();
        if (!secret.isEmpty() && !hash.isEmpty()) {
            throw new IllegalArgumentException(DevApi.PID + ": client.secret and client.secret.hash are both set; "
                    + "give one of them");
        }
        boolean hashed = !hash.isEmpty();
        if (hashed) {
            secret = checkHash(hash);
        }
        int configured = (clientId.isEmpty() ? 0 : 1) + (secret.isEmpty() ? 0 : 1) + (enterpriseId.isEmpty() ? 0 : 1);
        if (configured != 0 && configured != 3) {
            throw new IllegalArgumentException(DevApi.PID + ": client.id, client.secret (or client.secret.hash) and "
                    + "enterprise.id must be configured together (or none of them, to use generated ones); only "
                    + configured + " of 3 are set");
        }
        if (!dockId.isEmpty() && configured == 3) {
            return new DevCredentials(dockId, clientId, secret, enterpriseId, hashed);
        }
        DevCredentials kept = Files.exists(file) ? read(file) : generate(file, random, console, dockId);
        return new DevCredentials(dockId.isEmpty() ? kept.dockId : dockId,
                configured == 3 ? clientId : kept.clientId,
                configured == 3 ? secret : kept.clientSecret,
                configured == 3 ? enterpriseId : kept.enterpriseId,
                configured == 3 && hashed);
    }

    private static DevCredentials read(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        String[] values = new String[4];
        String[] keys = {DOCK_ID, CLIENT_ID, CLIENT_SECRET, ENTERPRISE_ID};
        for (int i = 0; i < keys.length; i++) {
            values[i] = properties.getProperty(keys[i], "").strip();
            if (values[i].isEmpty()) {
                throw new IllegalArgumentException(DevApi.PID + ": " + file + " has no " + keys[i]
                        + "; delete the file to generate new credentials, or configure them");
            }
        }
        return new DevCredentials(values[0], values[1], values[2], values[3]);
    }

    /**
     * Generates a full set and keeps it; prints what will be in effect, so a configured dock id is shown
     * instead of the generated one it overrides (which stays in the file for when it is unconfigured).
     */
    private static DevCredentials generate(Path file, SecureRandom random, PrintStream console,
            String configuredDockId) throws IOException {
        DevCredentials generated = new DevCredentials(hex(random, 8), "dev-" + hex(random, 8),
                Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(random, 32)), hex(random, 8));
        Properties properties = new Properties();
        properties.setProperty(DOCK_ID, generated.dockId);
        properties.setProperty(CLIENT_ID, generated.clientId);
        properties.setProperty(CLIENT_SECRET, generated.clientSecret);
        properties.setProperty(ENTERPRISE_ID, generated.enterpriseId);
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        // Written under a temporary name with owner-only permissions from the start, then moved into
        // place, so the secret is never readable by others and a crash never leaves half a file.
        Path temporary = ownerOnlyTempFile(folder);
        try {
            try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
                properties.store(writer, "Dock Datastore development API credentials, generated on first start");
            }
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
        console.println("Dock Datastore development API: generated credentials, kept in " + file.toAbsolutePath());
        console.println("  dockId:       " + (configuredDockId.isEmpty() ? generated.dockId
                : configuredDockId + " (configured)"));
        console.println("  clientId:     " + generated.clientId);
        console.println("  clientSecret: " + generated.clientSecret);
        console.println("  enterpriseId: " + generated.enterpriseId);
        console.flush();
        return generated;
    }

    private static Path ownerOnlyTempFile(Path folder) throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempFile(folder, FILE_NAME, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Path temporary = Files.createTempFile(folder, FILE_NAME, ".tmp");
        temporary.toFile().setReadable(false, false);
        temporary.toFile().setReadable(true, true);
        temporary.toFile().setWritable(false, false);
        temporary.toFile().setWritable(true, true);
        return temporary;
    }

    private static String hex(SecureRandom random, int bytes) {
        return HexFormat.of().formatHex(bytes(random, bytes));
    }

    private static byte[] bytes(SecureRandom random, int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }
}
