package datastore.devapi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The access tokens that logins issued, each valid for a fixed time. Tokens are kept by their SHA-256
 * digest, so looking one up reveals nothing about the tokens held through timing, and a heap dump
 * holds no usable token. The number of live tokens is bounded: a script that logs in in a loop
 * pushes out its oldest tokens instead of filling the memory.
 */
final class AccessTokens {

    /** Why a presented token is not accepted. */
    enum Verdict {
        VALID, UNKNOWN, EXPIRED
    }

    /** A token just issued. */
    record Issued(String id, String token, long createdMillis, long ttlSeconds) {
        @Override
        public String toString() {
            return "Issued[id=" + id + "]";
        }
    }

    private record Grant(String id, long expiresNanos) {
    }

    static final int MAX_LIVE_TOKENS = 256;

    private final long ttlNanos;
    private final LongSupplier nanoClock;
    private final LongSupplier wallClock;
    private final SecureRandom random;
    private final Map<String, Grant> grants = new LinkedHashMap<>();

    AccessTokens(long ttlSeconds, LongSupplier nanoClock, LongSupplier wallClock, SecureRandom random) {
        this.ttlNanos = ttlSeconds * 1_000_000_000L;
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.random = random;
    }

    /**
     * Tokens of another lifetime on the same clocks and random source, holding none of the tokens
     * issued here: what a changed configuration starts with.
     */
    AccessTokens withTtl(long ttlSeconds) {
        return new AccessTokens(ttlSeconds, nanoClock, wallClock, random);
    }

    /** Issues a new token valid for the configured lifetime. */
    synchronized Issued issue() {
        long now = nanoClock.getAsLong();
        purge(now);
        while (grants.size() >= MAX_LIVE_TOKENS) {
            Iterator<?> oldest = grants.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(12));
        grants.put(digest(token), new Grant(id, now + ttlNanos));
        return new Issued(id, token, wallClock.getAsLong(), ttlNanos / 1_000_000_000L);
    }

    /** Whether {@code token} was issued here and has not expired. */
    synchronized Verdict verify(String token) {
        long now = nanoClock.getAsLong();
        String key = digest(token);
        Grant grant = grants.get(key);
        if (grant == null) {
            return Verdict.UNKNOWN;
        }
        if (now - grant.expiresNanos >= 0) {
            grants.remove(key);
            return Verdict.EXPIRED;
        }
        return Verdict.VALID;
    }

    synchronized int live() {
        purge(nanoClock.getAsLong());
        return grants.size();
    }

    private void purge(long now) {
        grants.values().removeIf(grant -> now - grant.expiresNanos >= 0);
    }

    private byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }

    static String digest(String value) {
        return Base64.getEncoder().encodeToString(sha256(value.getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] sha256(byte[] value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
