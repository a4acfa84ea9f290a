package datastore.device;

import datastore.flashtable.DefaultFlashLayout;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the flash device and its partition table (PID {@code datastore.device.FlashPartitionTable}). */
@ObjectClassDefinition(name = "Dock Datastore flash",
        description = "The flash device and its partition table. Offsets and sizes are in bytes and must be "
                + "multiples of the erase block size; a partition of size 0 is not registered. Changing the "
                + "flash size or erase block size of an existing flash file is refused.")
public @interface FlashConfiguration {
    @AttributeDefinition(name = "Flash file",
            description = "The file holding the flash image. Empty: flash.img in the folder named by the "
                    + "datastore.data.dir framework property, else in the framework storage folder.")
    String path() default "";

    @AttributeDefinition(name = "Flash size", description = "The size of the whole flash device in bytes "
            + "(default 128 MiB, a 1 Gbit NOR chip). Partitions need not fill it.")
    long size() default DefaultFlashLayout.CHIP_SIZE;

    @AttributeDefinition(name = "Erase block size",
            description = "The size of one erase block in bytes, a power of two.")
    int erase_block_size() default DefaultFlashLayout.ERASE_BLOCK_SIZE;

    @AttributeDefinition(name = "Program size", description = "The program granularity in bytes: a power of "
            + "two no larger than the erase block; programs are aligned to it.")
    int program_size() default DefaultFlashLayout.PROGRAM_SIZE;

    @AttributeDefinition(name = "ROM offset", description = "Where the ROM (factory) partition starts.")
    long rom_offset() default DefaultFlashLayout.ROM_OFFSET;

    @AttributeDefinition(name = "ROM size", description = "The ROM partition's size in bytes (default 28 MiB: "
            + "two slots of 13 MiB payload, their indexes and a commit record).")
    long rom_size() default DefaultFlashLayout.ROM_SIZE;

    @AttributeDefinition(name = "Runtime offset", description = "Where the runtime partition starts (default "
            + "32 MiB, leaving 4 MiB after the ROM that it can grow into without moving the runtime partition).")
    long runtime_offset() default DefaultFlashLayout.RUNTIME_OFFSET;

    @AttributeDefinition(name = "Runtime size", description = "The runtime partition's size in bytes (default "
            + "80 MiB: a 13 MiB capacity in any mix of entries, each counting its name, value and a 40-byte charge, "
            + "with their record overhead, room for the largest single write and for garbage collection to move "
            + "the largest record while values stay contiguous; the runtime partition needs 1196 blocks of 64 KiB "
            + "for its default configuration).")
    long runtime_size() default DefaultFlashLayout.RUNTIME_SIZE;

    @AttributeDefinition(name = "Accept a changed partition table", description = "Off (the default): a region "
            + "whose place on the flash's own partition table differs from this configuration (resized, moved, "
            + "swapped, or a table of another geometry or a newer format) is not registered; a refused partition "
            + "service names both sides and formats it on request. On: at activation every such region is ERASED "
            + "and the configured table written to the flash. Turn it on for one activation, then off again.")
    boolean accept_table_change() default false;
}
