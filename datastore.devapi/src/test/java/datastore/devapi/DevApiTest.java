package datastore.devapi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

import datastore.testsupport.Configurations;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Credentials, tokens and configuration checks of {@link DevApi}, without HTTP. */
public class DevApiTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream console = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private DevCredentials resolve(Map<String, Object> config, Path file) throws Exception {
        return DevCredentials.resolve(Configurations.of(DevApiConfiguration.class, config), file, new SecureRandom(), console);
    }

    @Test
    public void missingCredentialsAreGeneratedKeptPrivateAndPrintedOnce() throws Exception {
        Path file = folder.getRoot().toPath().resolve("data/" + DevCredentials.FILE_NAME);
        DevCredentials first = resolve(Map.of(), file);
        String output = printed.toString(StandardCharsets.UTF_8);
        assertTrue(output, output.contains("clientSecret: " + first.clientSecret()));
        assertTrue(output, output.contains("dockId:       " + first.dockId()));
        assertTrue(output, output.contains(file.toAbsolutePath().toString()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(first.clientSecret().length() >= 43);
        assertEquals(1, Files.list(file.getParent()).count());

        printed.reset();
        DevCredentials second = resolve(Map.of(), file);
        assertEquals(first, second);
        assertEquals("later starts are silent", "", printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void generatedCredentialsDifferPerDock() throws Exception {
        DevCredentials one = resolve(Map.of(), folder.getRoot().toPath().resolve("a/" + DevCredentials.FILE_NAME));
        DevCredentials two = resolve(Map.of(), folder.getRoot().toPath().resolve("b/" + DevCredentials.FILE_NAME));
        assertNotEquals(one.clientSecret(), two.clientSecret());
        assertNotEquals(one.dockId(), two.dockId());
    }

    @Test
    public void configuredCredentialsWinAndNeedNoFile() throws Exception {
        Path file = folder.getRoot().toPath().resolve(DevCredentials.FILE_NAME);
        DevCredentials credentials = resolve(Map.of("dock.id", "D1", "client.id", "c", "client.secret", "s",
                "enterprise.id", "e"), file);
        assertEquals(new DevCredentials("D1", "c", "s", "e"), credentials);
        assertTrue(Files.notExists(file));
        assertEquals("", printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void aConfiguredDockIdIsKeptWithGeneratedCredentials() throws Exception {
        Path file = folder.getRoot().toPath().resolve(DevCredentials.FILE_NAME);
        DevCredentials credentials = resolve(Map.of("dock.id", "MyDock"), file);
        assertEquals("MyDock", credentials.dockId());
        // The console shows the dock id in effect, not the generated one kept in the file for later.
        Properties kept = new Properties();
        try (var in = Files.newInputStream(file)) {
            kept.load(in);
        }
        String shown = printed.toString(StandardCharsets.UTF_8);
        assertTrue(shown, shown.contains("dockId:       MyDock (configured)"));
        assertFalse(shown, shown.contains(kept.getProperty("dock.id")));
        assertTrue(shown, shown.contains(credentials.clientSecret()));
    }

    /** The form ./dock writes: sha256:SALT:DIGEST, DIGEST = SHA-256(SALT || secret). */
    static String saltedHash(String salt, String secret) {
        byte[] saltBytes = java.util.HexFormat.of().parseHex(salt);
        byte[] secretBytes = secret.getBytes(StandardCharsets.UTF_8);
        byte[] both = new byte[saltBytes.length + secretBytes.length];
        System.arraycopy(saltBytes, 0, both, 0, saltBytes.length);
        System.arraycopy(secretBytes, 0, both, saltBytes.length, secretBytes.length);
        return "sha256:" + salt + ":" + java.util.HexFormat.of().formatHex(AccessTokens.sha256(both));
    }

    @Test
    public void aConfiguredSecretHashLogsInWithTheSecretOnly() throws Exception {
        String hash = saltedHash("00112233445566778899aabbccddeeff", "the real secret");
        DevCredentials credentials = resolve(Map.of("dock.id", "D1", "client.id", "c", "client.secret.hash", hash,
                "enterprise.id", "e"), folder.getRoot().toPath().resolve("x"));
        assertTrue(credentials.secretHashed());
        DevApi api = new DevApi(Configurations.defaults(DevApiConfiguration.class), credentials,
                new AccessTokens(60, System::nanoTime, System::currentTimeMillis, new SecureRandom()));
        assertTrue(api.login("c", "the real secret", "e").token().length() > 40);
        for (String wrong : new String[] {hash, "the real secreT", "", "00112233445566778899aabbccddeeffthe real secret"}) {
            assertEquals(401, assertThrows(ApiException.class, () -> api.login("c", wrong, "e")).status());
        }
    }

    @Test
    public void aMalformedSecretHashOrBothFormsAreRefusedWithoutEchoingThem() {
        for (String bad : new String[] {"sha256:0011:" + "ab".repeat(32), "md5:" + "00".repeat(16) + ":" + "ab".repeat(32),
                "sha256:" + "00".repeat(16) + ":" + "ab".repeat(31), "plain-secret"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(Map.of(
                    "client.id", "c", "client.secret.hash", bad, "enterprise.id", "e"), folder.getRoot().toPath().resolve("x")));
            assertTrue(e.getMessage(), e.getMessage().contains("client.secret.hash must be"));
            assertFalse(e.getMessage(), e.getMessage().contains(bad));
        }
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> resolve(Map.of("client.id", "c",
                "client.secret", "s", "client.secret.hash", saltedHash("00".repeat(16), "s"), "enterprise.id", "e"),
                folder.getRoot().toPath().resolve("x")));
        assertTrue(both.getMessage(), both.getMessage().contains("are both set"));
    }

    @Test
    public void partlyConfiguredCredentialsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(
                Map.of("client.id", "c", "client.secret", "s"), folder.getRoot().toPath().resolve("x")));
        assertTrue(e.getMessage(), e.getMessage().contains("must be configured together"));
        assertTrue(e.getMessage(), e.getMessage().contains("only 2 of 3"));
    }

    @Test
    public void anIncompleteCredentialsFileIsRefusedNamingTheKey() throws Exception {
        Path file = folder.getRoot().toPath().resolve(DevCredentials.FILE_NAME);
        Properties properties = new Properties();
        properties.setProperty("dock.id", "d");
        properties.setProperty("client.id", "c");
        try (var out = Files.newOutputStream(file)) {
            properties.store(out, null);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(Map.of(), file));
        assertTrue(e.getMessage(), e.getMessage().contains("has no client.secret"));
    }

    @Test
    public void theSecretNeverShowsInToString() {
        assertTrue(!new DevCredentials("d", "c", "very-secret", "e").toString().contains("very-secret"));
    }

    @Test
    public void invalidLimitsFailActivationNamingTheProperty() {
        DevCredentials credentials = new DevCredentials("d", "c", "s", "e");
        AccessTokens tokens = new AccessTokens(1, System::nanoTime, System::currentTimeMillis, new SecureRandom());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DevApi(Configurations.of(DevApiConfiguration.class, Map.of("token.ttl.seconds", 0L)), credentials, tokens));
        assertTrue(e.getMessage(), e.getMessage().contains("token.ttl.seconds is 0"));
        e = assertThrows(IllegalArgumentException.class,
                () -> new DevApi(Configurations.of(DevApiConfiguration.class, Map.of("max.body.bytes", 10L)), credentials, tokens));
        assertTrue(e.getMessage(), e.getMessage().contains("max.body.bytes is 10"));
    }

    @Test
    public void theDefaultBodyLimitHoldsAFullRomStoreInBase64() {
        long payload = 13L * 1024 * 1024;
        long base64 = (payload + 2) / 3 * 4;
        assertTrue(DevApiConfiguration.DEFAULT_MAX_BODY_BYTES > base64 + 64 * 1024);
        assertEquals(DevApiConfiguration.DEFAULT_MAX_BODY_BYTES,
                new DevApi(Configurations.defaults(DevApiConfiguration.class), new DevCredentials("d", "c", "s", "e"),
                        new AccessTokens(1, System::nanoTime, System::currentTimeMillis, new SecureRandom())).maxBodyBytes());
    }

    @Test
    public void tokensExpireAfterTheirLifetimeAndAreBounded() {
        AtomicLong nanos = new AtomicLong(-5_000_000_000L);
        AccessTokens tokens = new AccessTokens(10, nanos::get, () -> 42L, new SecureRandom());
        AccessTokens.Issued issued = tokens.issue();
        assertEquals(42L, issued.createdMillis());
        assertEquals(AccessTokens.Verdict.VALID, tokens.verify(issued.token()));
        assertEquals(AccessTokens.Verdict.UNKNOWN, tokens.verify(issued.token() + "A"));
        nanos.addAndGet(9_999_999_999L);
        assertEquals(AccessTokens.Verdict.VALID, tokens.verify(issued.token()));
        nanos.incrementAndGet();
        assertEquals(AccessTokens.Verdict.EXPIRED, tokens.verify(issued.token()));
        for (int i = 0; i < AccessTokens.MAX_LIVE_TOKENS + 10; i++) {
            tokens.issue();
        }
        assertEquals(AccessTokens.MAX_LIVE_TOKENS, tokens.live());
        assertTrue(!issued.toString().contains(issued.token()));
    }

    @Test
    public void theDockIdMatchesIgnoringCaseOnly() throws Exception {
        DevApi api = new DevApi(Configurations.defaults(DevApiConfiguration.class), new DevCredentials("AbC-12", "c", "s", "e"),
                new AccessTokens(1, System::nanoTime, System::currentTimeMillis, new SecureRandom()));
        api.checkDock("abc-12");
        api.checkDock("ABC-12");
        for (String other : new String[] {"abc-13", "abc-12 ", "", "AbC"}) {
            ApiException e = assertThrows(ApiException.class, () -> api.checkDock(other));
            assertEquals(404, e.status());
        }
    }
}
