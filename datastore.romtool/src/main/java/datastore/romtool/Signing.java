package datastore.romtool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;

import datastore.romformat.RomSigningKeys;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The signing options of {@code rom build} and {@code flash build}, a picocli mixin: the key and the
 * signed generation, checked as a pair in one place.
 */
final class Signing {
    @Option(names = "--sign", description = "Ed25519 private key (PKCS#8, PEM or DER) to sign the images with.")
    Path sign;

    @Option(names = "--generation", description = "The signed generation of the images (with --sign, required): a "
            + "dock refuses a signed image older than the newest it accepted, so raise it with every release.")
    Long generation;

    /**
     * Refuses a key without a generation, a generation without a key and a negative generation.
     *
     * @throws CommandLine.ParameterException naming the option
     */
    void check(CommandLine command) {
        if (sign != null && generation == null) {
            throw new CommandLine.ParameterException(command, "--sign needs --generation: the signed generation a "
                    + "dock checks against rollback (raise it with every release)");
        }
        if (sign == null && generation != null) {
            throw new CommandLine.ParameterException(command, "--generation is signed into the images, so it needs "
                    + "--sign");
        }
        if (generation != null && generation < 0) {
            throw new CommandLine.ParameterException(command, "--generation must not be negative, not " + generation);
        }
    }

    boolean signs() {
        return sign != null;
    }

    /** The private key, or null when the images are not signed. */
    PrivateKey key() throws IOException {
        return sign == null ? null : RomSigningKeys.privateKey(Files.readAllBytes(sign));
    }

    /** The signed generation, or -1 when the images are not signed. */
    long generationOrNone() {
        return generation == null ? -1 : generation;
    }
}
