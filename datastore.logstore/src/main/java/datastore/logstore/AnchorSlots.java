package datastore.logstore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The two anchor blocks: reading the newest anchor at mount (refusing a region written for another
 * geometry or identity, or in a newer format) and writing the next one into the next slot, erasing the
 * other block when this one is full, so the older block always keeps the previous anchors. The slot
 * layout is in FORMAT.md, "Anchor slots".
 */
final class AnchorSlots {
    private final RingLayout layout;
    private final RingSpace space;
    private long anchorSeq = 1;
    private int anchorBlock;
    private int anchorSlot;
    /** Records of format 2 may lie before this virtual position (a migrated log); 0 when none. */
    long legacyEnd;
    /** The anchor must be (re)written before the next record: a fresh, migrated or anchorless region. */
    boolean pending;

    AnchorSlots(RingLayout layout, RingSpace space) {
        this.layout = layout;
        this.space = space;
    }

    /** Where a freshly formatted region writes its first anchor. */
    void fresh() {
        anchorBlock = 0;
        anchorSlot = 0;
    }

    /**
     * The newest anchor (of format 4 or 3, else of format 2), or null; positions the next slot.
     *
     * @throws RefusedRegionException if an anchor names a newer format, or the newest one another
     *         geometry or identity
     */
    AnchorCodec.Anchor read(List<String> problems) throws RefusedRegionException {
        ByteBuffer map = space.map;
        int blockSize = layout.blockSize;
        String name = layout.region.name();
        AnchorCodec.Anchor best = null;
        int bestBlock = 0;
        AnchorCodec.Anchor legacy = null;
        int legacyBlock = 0;
        byte[] both = new byte[2 * LogFormat.ANCHOR];
        byte[] old = new byte[2 * LogFormat.LEGACY_ANCHOR];
        for (int block = 0; block < RingLayout.ANCHOR_BLOCKS; block++) {
            for (int slot = 0; slot < layout.anchorSlots; slot++) {
                map.get(block * blockSize + slot * layout.anchorStride, both);
                int newer = AnchorCodec.newerVersion(both);
                if (newer != 0) {
                    throw new RefusedRegionException("region \"" + name + "\" holds the runtime partition's format "
                            + newer + ", newer than this build's " + LogFormat.VERSION
                            + "; it is left untouched (use a build that reads it, or format the region)");
                }
                AnchorCodec.Anchor anchor = AnchorCodec.parseAnchor(both);
                if (anchor != null && (best == null || anchor.anchorSeq() > best.anchorSeq())) {
                    best = anchor;
                    bestBlock = block;
                }
            }
            for (int slot = 0; slot < blockSize / layout.legacyAnchorStride; slot++) {
                map.get(block * blockSize + slot * layout.legacyAnchorStride, old);
                AnchorCodec.Anchor anchor = AnchorCodec.parseLegacyAnchor(old);
                if (anchor != null && (legacy == null || anchor.anchorSeq() > legacy.anchorSeq())) {
                    legacy = anchor;
                    legacyBlock = block;
                }
            }
        }
        if (best != null) {
            if (!best.partition().equals(LogFormat.PARTITION_ID) || best.deviceOffset() != layout.region.deviceOffset()
                    || best.regionSize() != layout.region.geometry().size() || best.blockSize() != blockSize
                    || best.programSize() != layout.programSize) {
                throw new RefusedRegionException("region \"" + name + "\" is configured as " + layout.describe()
                        + ", but its anchor was written for " + best.describe()
                        + " (a changed partition table?); it is left untouched (restore the table, or format the region)");
            }
        } else if (legacy != null) {
            // A format-2 log: the next anchor (the migration's) goes to a freshly erased block.
            if (legacy.copyDamaged()) {
                problems.add("one copy of the newest anchor is damaged; the other copy is used");
            }
            anchorBlock = legacyBlock;
            anchorSlot = layout.anchorSlots;
            anchorSeq = legacy.anchorSeq() + 1;
            return legacy;
        }
        if (best == null) {
            if (space.isErased(0, blockSize) && space.isErased(blockSize, blockSize)) {
                anchorBlock = 0;
                anchorSlot = 0;
            } else {
                anchorBlock = 1;
                anchorSlot = layout.anchorSlots;
            }
            return null;
        }
        if (best.copyDamaged()) {
            problems.add("one copy of the newest anchor is damaged; the other copy is used");
        }
        anchorBlock = bestBlock;
        anchorSlot = 0;
        for (int slot = layout.anchorSlots - 1; slot >= 0; slot--) {
            if (!space.isErased((long) bestBlock * blockSize + (long) slot * layout.anchorStride, layout.anchorStride)) {
                anchorSlot = slot + 1;
                break;
            }
        }
        anchorSeq = best.anchorSeq() + 1;
        return best;
    }

    /** Programs the next anchor: the ring's tail, the revision floor and where format-2 records end. */
    void write() throws IOException {
        if (anchorSlot >= layout.anchorSlots) {
            int other = anchorBlock ^ 1;
            space.eraseBlock(other);
            anchorBlock = other;
            anchorSlot = 0;
        }
        long tail = space.tail();
        if (legacyEnd != 0 && tail >= legacyEnd) {
            legacyEnd = 0;
        }
        byte[] entry = AnchorCodec.anchor(anchorSeq++, tail, space.nextSeq, legacyEnd, layout.region.deviceOffset(),
                layout.region.geometry().size(), layout.blockSize, layout.programSize);
        layout.region.program((long) anchorBlock * layout.blockSize + (long) anchorSlot * layout.anchorStride,
                ByteBuffer.wrap(entry));
        anchorSlot++;
        space.unsynced = true;
    }

    /** For tests: the region offset of the newest anchor slot, or -1 if none was written. */
    long newestAt() {
        return anchorSlot == 0 ? -1 : (long) anchorBlock * layout.blockSize + (long) (anchorSlot - 1) * layout.anchorStride;
    }
}
