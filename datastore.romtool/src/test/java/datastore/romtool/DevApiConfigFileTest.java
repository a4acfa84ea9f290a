package datastore.romtool;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;

/**
 * The development API's {@code .cfg} file as {@code run} writes it: a new file gets a header; the options replace
 * their keys and keep every other line; a new secret replaces the old one in either form and is written only as
 * a salted SHA-256 hash that verifies against the secret.
 */
public class DevApiConfigFileTest {
    private final SecureRandom random = new SecureRandom();

    @Test
    public void aNewFileHasAHeaderAndTheKeysInTheirOrder() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("enterprise.id", "ent-7");
        values.put("dock.id", "RW02-0042");
        List<String> lines = DevApiConfigFile.merge(List.of(), values, random);
        assertEquals(List.of("dock.id=RW02-0042", "enterprise.id=ent-7"), lines.subList(2, 4));
        assertTrue(lines.get(0), lines.get(0).startsWith("# Configuration of the development API"));
    }

    @Test
    public void theOptionsReplaceTheirKeysAndKeepEverythingElse() {
        List<String> existing = List.of("# tokens for a long session", "token.ttl.seconds=7200", "dock.id = old-id",
                "client.secret.hash=sha256:00:00", "client.secret: clear", "", "enterprise.id=kept");
        Map<String, String> values = new LinkedHashMap<>();
        values.put("dock.id", "RW02-0042");
        values.put("client.id", "ci-client");
        values.put("client.secret", "s3cr:et=x/y+z");
        List<String> lines = DevApiConfigFile.merge(existing, values, random);
        assertEquals(List.of("# tokens for a long session", "token.ttl.seconds=7200", "", "enterprise.id=kept",
                "dock.id=RW02-0042", "client.id=ci-client"), lines.subList(0, 6));
        assertEquals(7, lines.size());
        String hash = lines.get(6);
        assertTrue(hash, hash.matches("client\\.secret\\.hash=sha256:[0-9a-f]{32}:[0-9a-f]{64}"));
        assertFalse(String.join("\n", lines).contains("s3cr:et=x/y+z"));
        assertTrue(verifies(hash.substring("client.secret.hash=".length()), "s3cr:et=x/y+z"));
        assertFalse(verifies(hash.substring("client.secret.hash=".length()), "s3cr:et=x/y+Z"));
    }

    @Test
    public void withoutANewSecretTheOldOneStays() {
        List<String> existing = List.of("client.secret.hash=sha256:00:00");
        assertEquals(List.of("client.secret.hash=sha256:00:00", "dock.id=d"),
                DevApiConfigFile.merge(existing, Map.of("dock.id", "d"), random));
    }

    @Test
    public void everyHashHasItsOwnSalt() {
        assertFalse(DevApiConfigFile.saltedHash("same", random).equals(DevApiConfigFile.saltedHash("same", random)));
    }

    /** The development API's check: SHA-256(SALT || secret) equals DIGEST. */
    private static boolean verifies(String hash, String secret) {
        String[] parts = hash.split(":");
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(HexFormat.of().parseHex(parts[1]));
            return MessageDigest.isEqual(sha256.digest(secret.getBytes(StandardCharsets.UTF_8)),
                    HexFormat.of().parseHex(parts[2]));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
