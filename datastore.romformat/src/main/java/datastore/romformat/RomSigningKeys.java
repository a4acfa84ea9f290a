package datastore.romformat;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * The Ed25519 keys that sign ROM images, in the encodings the tools and the configuration use: a
 * public key as base64 of its X.509 SubjectPublicKeyInfo (the {@code public_key} configuration), a
 * private key as PKCS#8, PEM ({@code -----BEGIN PRIVATE KEY-----}) or DER.
 */
public final class RomSigningKeys {
    private static final String PEM_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String PEM_END = "-----END PRIVATE KEY-----";

    private RomSigningKeys() {
    }

    /** A new Ed25519 key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java platform has no Ed25519", e);
        }
    }

    /**
     * The public key of base64 X.509 text, or null for blank text (no key).
     *
     * @throws IllegalArgumentException if the text is not base64 of an X.509 Ed25519 public key
     */
    public static PublicKey publicKey(String base64) {
        if (base64 == null || base64.isBlank()) {
            return null;
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the public key is not base64: " + e.getMessage(), e);
        }
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("the public key is not an X.509 Ed25519 public key (" + der.length
                    + " bytes): " + e.getMessage(), e);
        }
    }

    /** Base64 of the key's X.509 encoding, as the configuration takes it. */
    public static String encode(PublicKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /** PEM text of the private key's PKCS#8 encoding. */
    public static String pem(PrivateKey key) {
        return PEM_BEGIN + "\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded()) + "\n" + PEM_END + "\n";
    }

    /**
     * The Ed25519 private key in {@code bytes}: PKCS#8, PEM or DER.
     *
     * @throws IllegalArgumentException if it is neither, or not an Ed25519 key
     */
    public static PrivateKey privateKey(byte[] bytes) {
        byte[] der = bytes;
        String text = new String(bytes, StandardCharsets.US_ASCII);
        int begin = text.indexOf(PEM_BEGIN);
        if (begin >= 0) {
            int end = text.indexOf(PEM_END, begin);
            if (end < 0) {
                throw new IllegalArgumentException("the private key's PEM text has no " + PEM_END + " line");
            }
            try {
                der = Base64.getMimeDecoder().decode(text.substring(begin + PEM_BEGIN.length(), end).strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the private key's PEM text is not base64: " + e.getMessage(), e);
            }
        }
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("not a PKCS#8 Ed25519 private key (PEM or DER): " + e.getMessage(), e);
        }
    }
}
