package datastore.logstore;

import java.nio.ByteBuffer;

/**
 * Why the mount refuses a region that holds no anchor and no record of this log: the block-header
 * format (version 1), or bytes that are not erased and not this partition's. Reads only; the region
 * is left untouched (FORMAT.md, "Mount").
 */
final class RegionRefusals {

    private RegionRefusals() {
    }

    /** Refuses a region written by the block-header format (version 1), naming it. */
    static void refuseBlockFormat(RingLayout layout, ByteBuffer map) throws RefusedRegionException {
        for (int b = 0; b < layout.blocks; b++) {
            if (AnchorCodec.blockFormatHeader(map, b * layout.blockSize)) {
                throw new RefusedRegionException("region \"" + layout.region.name()
                        + "\" holds the runtime partition's format " + LogFormat.BLOCK_FORMAT_VERSION
                        + " (the block-header log; block " + b + " starts with its header), which this build does not "
                        + "read (it reads formats " + LogFormat.LEGACY_VERSION + " and " + LogFormat.VERSION
                        + "); the region is left untouched (format it to use it)");
            }
        }
    }

    /** Why a region that is neither erased nor this partition's log is refused, with what it holds. */
    static String foreign(RingLayout layout, RingSpace space) {
        ByteBuffer map = space.map;
        int blockSize = layout.blockSize;
        int used = 0;
        int first = -1;
        for (int b = 0; b < layout.blocks; b++) {
            if (!space.isErased((long) b * blockSize, blockSize)) {
                used++;
                if (first < 0) {
                    first = b;
                }
            }
        }
        int at = first * blockSize;
        while (map.get(at) == (byte) 0xFF) {
            at++;
        }
        StringBuilder hex = new StringBuilder();
        for (int i = at; i < Math.min(at + 16, map.capacity()); i++) {
            hex.append(String.format("%02x", map.get(i) & 0xFF));
        }
        String other = "";
        byte[] both = new byte[2 * LogFormat.ANCHOR];
        for (int q = 0; q + both.length <= map.capacity(); q += layout.programSize) {
            if (map.getInt(q) == LogFormat.ANCHOR_MAGIC) {
                map.get(q, both);
                AnchorCodec.Anchor a = AnchorCodec.parseAnchor(both);
                if (a != null) {
                    other = "; at region offset " + q + " it holds a runtime anchor written for " + a.describe();
                    break;
                }
            }
        }
        return "region \"" + layout.region.name() + "\" (" + layout.describe() + ") is neither erased nor a runtime log "
                + "of this geometry: " + used + " of " + layout.blocks + " blocks hold other bytes, the first at region "
                + "offset " + at + " (" + hex + ")" + other + "; it is left untouched (format it to use it)";
    }
}
