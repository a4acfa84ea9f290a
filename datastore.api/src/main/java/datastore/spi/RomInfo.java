package datastore.spi;

import java.util.Optional;

/**
 * What the ROM partition is serving.
 *
 * @param slot the slot holding the current application image (0 or 1)
 * @param generation the commit counter of the current image, increasing with every replace
 * @param sha256 lower-case hex SHA-256 of the current application image
 * @param signature whether the image is signed and verified
 * @param payloadBytes payload bytes (names plus values) of the application image and UPD data
 * @param capacity payload capacity in bytes
 * @param problem what is wrong, if the ROM detected corruption or tampering at mount; empty when sound
 */
public record RomInfo(int slot, long generation, String sha256, SignatureState signature, long payloadBytes,
        long capacity, Optional<String> problem) {

    /** The state of an image's signature. */
    public enum SignatureState {
        /** The image carries no signature and none is required. */
        UNSIGNED,
        /** The image's Ed25519 signature verified against the configured public key. */
        VERIFIED
    }
}
