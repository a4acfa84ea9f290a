package datastore.romformat;

import static datastore.romformat.RomImageFormat.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The header and page table of one ROM image, read from the map and checked in full (magic, format
 * version, checksum, kind, flags, sizes, digest and, when bound, the signed generation and dock id):
 * a record exists only for metadata that passed every check. The layout is {@link RomImageFormat}'s.
 */
record RomImageHeader(int base, int version, int kind, boolean signed, boolean bound, long signedGeneration,
        String dockId, long imageLength, long payload,
        byte[] digest, byte[] signature, long buckets, long indexLength, long pagedStart, byte[] pageHashes) {

    static RomImageHeader read(ByteBuffer map, long base, long maxLength, int kind, byte[] expectedDigest)
            throws RomImageException {
        if (base < 0 || base + HEADER_SIZE > map.capacity()) {
            throw new RomImageException("no room for a ROM image header at offset " + base);
        }
        int at = (int) base;
        byte[] header = new byte[HEADER_SIZE];
        map.get(at, header);
        ByteBuffer h = ByteBuffer.wrap(header);
        if (!Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new RomImageException("no ROM image at offset " + base + ": the first bytes are "
                    + hex(Arrays.copyOf(header, MAGIC.length)) + ", not the magic " + hex(MAGIC));
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(header, 0, OFF_CRC);
        boolean crcMatches = h.getInt(OFF_CRC) == (int) crc.getValue();
        int version = h.getShort(OFF_VERSION) & 0xFFFF;
        if (version > VERSION && crcMatches) {
            throw new RomImageException("unsupported format version " + version + " of a ROM image at offset " + base
                    + ": it is newer than this dock, which reads versions " + OLDEST_READABLE + " to " + VERSION
                    + "; update the dock's software (the image is left as it is)", version);
        }
        if (version < OLDEST_READABLE || version > VERSION) {
            throw new RomImageException("unsupported format version " + version + " of a ROM image at offset "
                    + base + "; this dock reads versions " + OLDEST_READABLE + " to " + VERSION
                    + (version < OLDEST_READABLE ? " (rebuild the image with the current ROM tools)" : ""));
        }
        if (!crcMatches) {
            throw new RomImageException("ROM image header fails its checksum (stored "
                    + Integer.toHexString(h.getInt(OFF_CRC)) + ", computed " + Long.toHexString(crc.getValue()) + ")");
        }
        int actualKind = header[OFF_KIND];
        if (actualKind != kind) {
            throw new RomImageException("found " + RomImage.kindName(actualKind) + " where " + RomImage.kindName(kind) + " belongs");
        }
        int flags = header[OFF_FLAGS] & 0xFF;
        if ((flags & ~(FLAG_SIGNED | FLAG_BOUND)) != 0 || (flags & FLAG_BOUND) != 0 && version < VERSION) {
            throw new RomImageException("ROM image has unknown flags 0x" + Integer.toHexString(flags));
        }
        if (h.getInt(OFF_HEADER_LENGTH) != HEADER_SIZE || h.getInt(OFF_PAGE_SIZE) != PAGE_SIZE) {
            throw new RomImageException("ROM image header declares header length " + h.getInt(OFF_HEADER_LENGTH)
                    + " and page size " + h.getInt(OFF_PAGE_SIZE) + "; format version " + version + " has "
                    + HEADER_SIZE + " and " + PAGE_SIZE);
        }
        long count = h.getInt(OFF_ENTRY_COUNT) & 0xFFFFFFFFL;
        long indexLength = h.getInt(OFF_INDEX_LENGTH) & 0xFFFFFFFFL;
        long bucketCount = h.getInt(OFF_BUCKETS) & 0xFFFFFFFFL;
        long imageLength = h.getInt(OFF_IMAGE_LENGTH) & 0xFFFFFFFFL;
        long pageCount = h.getInt(OFF_PAGE_COUNT) & 0xFFFFFFFFL;
        long pagedStart = RomImageFormat.pagedStart(pageCount);
        if (imageLength > maxLength || imageLength % ALIGNMENT != 0 || pagedStart >= imageLength
                || pageCount != (imageLength - pagedStart + PAGE_SIZE - 1) / PAGE_SIZE
                || base + pagedStart > map.capacity()) {
            throw new RomImageException("ROM image declares " + imageLength + " bytes in " + pageCount
                    + " pages, which does not fit its section of " + maxLength + " bytes or its page count");
        }
        if (bucketCount < 1 || bucketCount < count || count * INDEX_RECORD_FIXED > indexLength
                || pagedStart + (long) bucketSize(version) * bucketCount + indexLength > imageLength) {
            throw new RomImageException("ROM image declares " + count + " entries, " + bucketCount
                    + " hash table slots and an index of " + indexLength + " bytes, which do not fit its "
                    + imageLength + " bytes");
        }
        byte[] tables = new byte[(int) (pagedStart - HEADER_SIZE)];
        map.get(at + HEADER_SIZE, tables);
        MessageDigest sha = sha256();
        sha.update(header, 0, DIGESTED_HEADER);
        boolean bound = (flags & FLAG_BOUND) != 0;
        if (bound) {
            sha.update(header, RomImageFormat.BOUND_FROM, OFF_CRC - RomImageFormat.BOUND_FROM);
        }
        sha.update(tables);
        byte[] digest = Arrays.copyOfRange(header, OFF_DIGEST, OFF_DIGEST + HASH_SIZE);
        byte[] computed = sha.digest();
        if (!MessageDigest.isEqual(digest, computed)) {
            throw new RomImageException("ROM image digest mismatch: the header says " + hex(digest)
                    + " but header and page table hash to " + hex(computed));
        }
        if (expectedDigest != null && !MessageDigest.isEqual(digest, expectedDigest)) {
            throw new RomImageException("the header at offset " + base + " is of an image of " + imageLength
                    + " bytes with digest " + hex(digest) + ", not the committed digest " + hex(expectedDigest));
        }
        long generation = 0;
        String dockId = "";
        if (bound) {
            generation = h.getLong(RomImageFormat.OFF_GENERATION);
            int idLength = header[RomImageFormat.OFF_DOCK_ID] & 0xFF;
            if (generation < 0 || idLength > RomImageFormat.MAX_DOCK_ID) {
                throw new RomImageException("ROM image header declares signed generation " + generation
                        + " and a dock id of " + idLength + " bytes; a generation is not negative and a dock id "
                        + "has at most " + RomImageFormat.MAX_DOCK_ID);
            }
            dockId = new String(header, RomImageFormat.OFF_DOCK_ID + 1, idLength, StandardCharsets.UTF_8);
        }
        return new RomImageHeader(at, version, actualKind, (flags & FLAG_SIGNED) != 0, bound, generation, dockId,
                imageLength,
                h.getLong(OFF_PAYLOAD), digest, Arrays.copyOfRange(header, OFF_SIGNATURE,
                        OFF_SIGNATURE + SIGNATURE_LENGTH), bucketCount, indexLength, pagedStart, tables);
    }
}
