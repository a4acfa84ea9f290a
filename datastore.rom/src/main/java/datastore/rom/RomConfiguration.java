package datastore.rom;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import datastore.flashtable.DefaultFlashLayout;

/** Configuration of the ROM partition (PID {@value RomPartition#PID}). */
@ObjectClassDefinition(
        name = "Dock Datastore ROM partition",
        description = "The factory image on the rom flash region: two application slots with commit records, and "
                + "the unique-per-dock section written at manufacture.")
public @interface RomConfiguration {

    @AttributeDefinition(
            name = "Capacity",
            description = "Payload bytes (UTF-8 names plus values) of the application image and the unique-per-dock "
                    + "data together. It must fit one slot of the rom region: the default 28 MiB region's slots take "
                    + "13893632-byte images, header and tables included.",
            min = "1")
    long capacity() default DefaultFlashLayout.ROM_PAYLOAD;

    @AttributeDefinition(
            name = "Public key",
            description = "Base64 of the X.509 encoding of the Ed25519 public key that ROM images must be signed "
                    + "with. Empty: signatures are optional. When set, unsigned images and images whose signature "
                    + "does not verify are refused, and development replaces (which cannot sign) are refused.")
    String public_key() default "";

    @AttributeDefinition(
            name = "Public keys",
            description = "More accepted Ed25519 public keys, each as public_key takes it: an image signed with any "
                    + "of them, or with public_key, verifies. To rotate, add the new key, sign with it, then remove "
                    + "the old one, which from then on verifies nothing. Any key set: images must be signed, a signed "
                    + "image older than the device's rollback index is refused, and so is a unique-per-dock section "
                    + "signed for another dock id.")
    String[] public_keys() default {};

    @AttributeDefinition(
            name = "Dock id",
            description = "This dock's id, which a signed unique-per-dock section must carry (dock rom build "
                    + "--dock-id, or the dock_id column of dock flash build). Empty: the framework property "
                    + "datastore.dock.id; if that is absent too, the section's dock id is not checked.")
    String dock_id() default "";

    @AttributeDefinition(
            name = "Replace wait",
            description = "Milliseconds a development replace waits for open views of the slot it overwrites "
                    + "(views of the generation before the current one) to close before it fails.",
            min = "0")
    long replace_wait_ms() default 2000L;

    @AttributeDefinition(
            name = "Format a refused region",
            description = "When the rom region holds something the partition must not mount or write (a ROM "
                    + "written for another partition table, a newer format, foreign bytes), erase it at activation "
                    + "and start empty, destroying what it held. Off: the partition is refused, the region left as "
                    + "it is, and formatting is an explicit act (RefusedPartition.format).")
    boolean format_refused() default false;
}
