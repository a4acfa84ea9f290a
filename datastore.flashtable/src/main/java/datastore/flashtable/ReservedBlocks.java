package datastore.flashtable;

/**
 * The erase blocks at the end of every flash that no partition may use: the last two keep the two copies
 * of the partition table, the two before them the rollback index. The device places both areas by these
 * numbers and the manufacturing tools leave room for them by the same numbers, so the two cannot disagree.
 */
public final class ReservedBlocks {
    /** The partition table's erase blocks, the flash's last: one per copy of the table. */
    public static final int PARTITION_TABLE = 2;
    /** The rollback index's erase blocks, right before the partition table's. */
    public static final int ROLLBACK_INDEX = 2;
    /** All reserved erase blocks at the end of the flash. */
    public static final int TOTAL = PARTITION_TABLE + ROLLBACK_INDEX;

    private ReservedBlocks() {
    }
}
