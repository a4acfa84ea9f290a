package datastore.flashtable;

/**
 * The dock's default flash: a 128 MiB NOR chip of 64 KiB erase blocks and 16-byte programs, with the ROM
 * region {@code [0, 28 MiB)} and the runtime region {@code [32 MiB, 112 MiB)}, each keeping a promise of
 * 13 MiB of payload. The device's configuration defaults, the ROM partition's capacity default and the
 * manufacturing tools' defaults are these constants, so they cannot drift apart. The 4 MiB after the ROM
 * region are left for it to grow into without moving the runtime region; the runtime region's 1280
 * blocks hold what its 13 MiB promise needs (1196 blocks, see datastore.logstore/FORMAT.md); the flash's
 * last four erase blocks keep the rollback index and the partition table.
 */
public final class DefaultFlashLayout {
    private static final long MIB = 1024 * 1024;

    /** The whole flash, in bytes: 128 MiB, a 1 Gbit chip. */
    public static final long CHIP_SIZE = 128 * MIB;
    /** The erase block size in bytes. */
    public static final int ERASE_BLOCK_SIZE = 65536;
    /** The program granularity in bytes. */
    public static final int PROGRAM_SIZE = 16;

    /** Where the ROM region starts. */
    public static final long ROM_OFFSET = 0;
    /** The ROM region's size: two slots for a 13 MiB image each, their metadata and the commit records. */
    public static final long ROM_SIZE = 28 * MIB;
    /** The ROM's payload promise (its capacity): application and unique-per-dock data together. */
    public static final long ROM_PAYLOAD = 13 * MIB;

    /** Where the runtime region starts. */
    public static final long RUNTIME_OFFSET = 32 * MIB;
    /** The runtime region's size. */
    public static final long RUNTIME_SIZE = 80 * MIB;
    /** The runtime partition's payload promise. */
    public static final long RUNTIME_PAYLOAD = 13 * MIB;

    private DefaultFlashLayout() {
    }
}
