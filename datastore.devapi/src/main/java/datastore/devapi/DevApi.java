package datastore.devapi;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Locale;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Who may use the development API and how much they may send: this dock's id, the login credentials,
 * the access tokens issued, and the request size limit. Every servlet of the API shares this one
 * component. A configuration change is taken in place ({@link #modified}): the servlets stay
 * registered and the API keeps answering, on the new values from the next request on; the tokens
 * issued so far are forgotten, since they were granted under the old terms. Like every component
 * of this bundle it starts disabled and only {@link DevelopmentMode} enables it.
 */
@Component(name = DevApi.PID, service = DevApi.class, enabled = false)
@Designate(ocd = DevApiConfiguration.class)
public final class DevApi {

    /** The configuration PID, also the component name. */
    static final String PID = "datastore.devapi";

    /** Framework property naming the folder of the dock's persistent data. */
    static final String DATA_DIR = "datastore.data.dir";

    private static final long MAX_TTL_SECONDS = 604_800;
    private static final long MIN_BODY_BYTES = 1024;
    private static final long MAX_BODY_BYTES = 256L * 1024 * 1024;

    /** What one configuration decides, replaced whole when the configuration changes. */
    private record Terms(DevCredentials credentials, long maxBodyBytes, AccessTokens tokens) {
    }

    private volatile Terms terms;

    /**
     * @throws IllegalArgumentException naming the configuration property that is invalid
     * @throws IOException if the generated credentials cannot be read or kept
     */
    @Activate
    public DevApi(DevApiConfiguration config, BundleContext context) throws IOException {
        this(config, DevCredentials.resolve(config, credentialsFile(context), new SecureRandom(), System.out),
                new AccessTokens(checkTtl(config.token_ttl_seconds()), System::nanoTime, System::currentTimeMillis,
                        new SecureRandom()));
    }

    DevApi(DevApiConfiguration config, DevCredentials credentials, AccessTokens tokens) {
        this.terms = terms(config, credentials, tokens);
    }

    private static Terms terms(DevApiConfiguration config, DevCredentials credentials, AccessTokens tokens) {
        checkTtl(config.token_ttl_seconds());
        if (config.max_body_bytes() < MIN_BODY_BYTES || config.max_body_bytes() > MAX_BODY_BYTES) {
            throw new IllegalArgumentException(PID + ": max.body.bytes is " + config.max_body_bytes()
                    + "; it must be between " + MIN_BODY_BYTES + " and " + MAX_BODY_BYTES);
        }
        return new Terms(credentials, config.max_body_bytes(), tokens);
    }

    /**
     * Takes a changed configuration without restarting the API. An invalid one is refused whole:
     * the API goes on with the values it had, and the log names the property at fault. A valid one
     * replaces every value at once.
     *
     * @throws IOException if the generated credentials cannot be read or kept
     */
    @Modified
    void modified(DevApiConfiguration config, BundleContext context) throws IOException {
        checkTtl(config.token_ttl_seconds());
        DevCredentials credentials = DevCredentials.resolve(config, credentialsFile(context), new SecureRandom(),
                System.out);
        // The clocks stay those the API was made with; only the lifetime changes.
        terms = terms(config, credentials, terms.tokens().withTtl(config.token_ttl_seconds()));
    }

    private static long checkTtl(long ttlSeconds) {
        if (ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
            throw new IllegalArgumentException(PID + ": token.ttl.seconds is " + ttlSeconds
                    + "; it must be between 1 and " + MAX_TTL_SECONDS);
        }
        return ttlSeconds;
    }

    /**
     * {@value DevCredentials#FILE_NAME} in the {@value #DATA_DIR} folder, else in this bundle's data
     * area (inside the framework storage).
     */
    static Path credentialsFile(BundleContext context) {
        String dataDir = context.getProperty(DATA_DIR);
        if (dataDir != null && !dataDir.isBlank()) {
            return Path.of(dataDir.strip(), DevCredentials.FILE_NAME);
        }
        java.io.File file = context.getDataFile(DevCredentials.FILE_NAME);
        if (file == null) {
            throw new IllegalStateException(PID + ": no " + DATA_DIR + " framework property and no bundle data area "
                    + "to keep the generated credentials in; set " + DATA_DIR + " or configure the credentials");
        }
        return file.toPath();
    }

    /** The largest request body accepted, in bytes. */
    long maxBodyBytes() {
        return terms.maxBodyBytes();
    }

    String dockId() {
        return terms.credentials().dockId();
    }

    /**
     * Checks the login's credentials, all three in constant time, and issues a token.
     *
     * @throws ApiException 401 if any of them is wrong (without saying which)
     */
    AccessTokens.Issued login(String clientId, String clientSecret, String enterpriseId) throws ApiException {
        Terms current = terms;
        DevCredentials credentials = current.credentials();
        // Non-short-circuit '&': every comparison runs whatever the outcome of the others.
        boolean match = DevCredentials.same(clientId, credentials.clientId())
                & credentials.secretMatches(clientSecret)
                & DevCredentials.same(enterpriseId, credentials.enterpriseId());
        if (!match) {
            throw new ApiException(ApiException.UNAUTHORIZED, "clientId, clientSecret or enterpriseId is wrong");
        }
        return current.tokens().issue();
    }

    /**
     * Checks an {@code Authorization} header.
     *
     * @throws ApiException 401 if it is missing, not {@code Bearer <token>}, or the token is unknown or expired
     */
    void authorize(String authorization) throws ApiException {
        if (authorization == null || authorization.isBlank()) {
            throw new ApiException(ApiException.UNAUTHORIZED,
                    "Authorization: missing; log in and send \"Authorization: Bearer <accessToken>\"");
        }
        String[] parts = authorization.strip().split("\\s+");
        if (parts.length != 2 || !parts[0].toLowerCase(Locale.ROOT).equals("bearer")
                || !parts[1].matches("[A-Za-z0-9._~+/=-]+")) {
            throw new ApiException(ApiException.UNAUTHORIZED,
                    "Authorization: malformed; expected \"Bearer <accessToken>\"");
        }
        switch (terms.tokens().verify(parts[1])) {
            case VALID:
                return;
            case EXPIRED:
                throw new ApiException(ApiException.UNAUTHORIZED, "Authorization: the access token expired; log in again");
            default:
                throw new ApiException(ApiException.UNAUTHORIZED, "Authorization: unknown access token; log in again");
        }
    }

    /**
     * Checks a request's {@code dockId}.
     *
     * @throws ApiException 404 if it is not this dock's id (ignoring case)
     */
    void checkDock(String dockId) throws ApiException {
        if (!terms.credentials().dockId().equalsIgnoreCase(dockId)) {
            throw new ApiException(ApiException.NOT_FOUND, "dockId: no dock \"" + dockId + "\" here");
        }
    }
}
