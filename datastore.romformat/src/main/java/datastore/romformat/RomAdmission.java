package datastore.romformat;

import java.security.PublicKey;
import java.util.List;

import datastore.flash.RollbackIndex;
import datastore.spi.RomInfo.SignatureState;

/**
 * What this dock accepts of an image it mounts or installs: the signature (any of its keys, or none
 * when it has no keys), a signed generation no older than its rollback index, and a UPD section
 * bound to this dock.
 *
 * @param publicKeys the accepted public keys; empty: signatures are optional
 * @param dockId the dock a signed UPD section must be bound to; null: not checked
 * @param rollbackIndex the device's rollback index; null: signed generations are not checked
 */
record RomAdmission(List<PublicKey> publicKeys, String dockId, RollbackIndex rollbackIndex) {

    RomAdmission {
        publicKeys = List.copyOf(publicKeys);
        dockId = dockId == null || dockId.isBlank() ? null : dockId;
        rollbackIndex = publicKeys.isEmpty() ? null : rollbackIndex;
    }

    /** Whether images must be signed with one of this dock's keys. */
    boolean requiresSignature() {
        return !publicKeys.isEmpty();
    }

    SignatureState checkSignature(RomImage image) throws RomImageException {
        if (publicKeys.isEmpty()) {
            return SignatureState.UNSIGNED;
        }
        if (!image.signed()) {
            throw new RomImageException("it is not signed, but this dock requires images signed with one of its "
                    + "public keys");
        }
        for (PublicKey key : publicKeys) {
            if (image.signatureVerifies(key)) {
                return SignatureState.VERIFIED;
            }
        }
        throw new RomImageException("its signature does not verify against " + (publicKeys.size() == 1
                ? "the configured public key" : "any of the " + publicKeys.size() + " configured public keys")
                + " (a key retired from the configuration verifies nothing)");
    }

    /**
     * Refuses a signed image older than the newest this dock accepted: a rollback. An image that is not
     * bound has signed generation 0, so it is served only until a bound image has been accepted.
     */
    void checkGeneration(RomImage image, long newestAccepted) throws RomImageException {
        if (rollbackIndex != null && image.signedGeneration() < newestAccepted) {
            throw new RomImageException("its signed generation " + image.signedGeneration() + " is older than "
                    + "generation " + newestAccepted + ", the newest this dock has accepted (its rollback index): "
                    + "a rollback, refused");
        }
    }

    /** Refuses a signed UPD section that is not bound to this dock: one transplanted from another dock. */
    void checkDock(RomImage upd) throws RomImageException {
        if (publicKeys.isEmpty() || dockId == null) {
            return;
        }
        if (!upd.bound()) {
            throw new RomImageException("it carries no signed dock id, and this dock (\"" + dockId + "\") accepts only "
                    + "a section signed for it");
        }
        if (!upd.dockId().equals(dockId)) {
            throw new RomImageException("it is signed for dock \"" + upd.dockId() + "\", not for this dock \""
                    + dockId + "\": a section transplanted from another dock, refused");
        }
    }
}
