package datastore.romformat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

import datastore.Namespace;

/**
 * The ROM image format, version 3 (and 2, which it reads): one self-contained, immutable image of
 * entries (an application image in a slot, or the unique-per-dock section), laid out so that mounting
 * reads a few kilobytes, a lookup goes through an on-flash hash table, and every served byte is
 * checked page by page. All numbers are big-endian; offsets are from the image's first byte. Version 3
 * differs from version 2 in its version field and its hash table slots, which also hold each entry's
 * hash; version 3 images are written with a second copy of their header and page table in other erase
 * blocks ({@link RomLayout}). See FORMAT.md in this module for the full description.
 *
 * <pre>
 * header, 256 bytes
 *   0   8  magic 89 44 52 4F 4D 0D 0A 1A ("\x89DROM\r\n\x1a": catches text-mode and 7-bit mangling)
 *   8   2  format version, 3 (or 2)
 *  10   1  kind: 1 application image, 2 unique-per-dock (UPD) section
 *  11   1  flags: bit 0 signed, bit 1 bound (format 3 only); other bits 0
 *  12   4  header length, 256
 *  16   4  entry count
 *  20   4  page size, 4096
 *  24   4  index length in bytes
 *  28   4  bucket count of the hash table, at least 1 and at least the entry count
 *  32   4  image length in bytes, a multiple of 16
 *  36   4  page count P
 *  40   8  payload bytes: UTF-8 names plus values of every entry
 *  48  32  image digest: SHA-256 of header bytes 0-47 followed by the page table
 *  80  64  Ed25519 signature of the 32 digest bytes when flag bit 0 is set, else zeros
 * 144 108  reserved, 0, unless flag bit 1 (bound) is set:
 *   144   8  signed generation: a dock refuses an image older than its rollback index
 *   152   1  dock id length n, 0-63 (0: an application image, which any dock serves)
 *   153  63  dock id, UTF-8, zero padded: a UPD section is refused by any other dock
 *   216  36  reserved, 0
 *   and the digest is the SHA-256 of header bytes 0-47, then 144-251, then the page table
 * 252   4  CRC-32C of header bytes 0-251
 * page table at 256: P SHA-256 hashes, one per page (4096 bytes, the last one shorter) of the paged area
 * paged area, from 256 + 32 P ("paged start") to the image end, P = ceil(its length / 4096):
 *   hash table: bucket count slots of 8 bytes (format 2: 4), each 0 (empty) or the image offset of
 *     an index record, followed (format 3) by the entry's hash h, so a lookup reads only the records
 *     whose hash matches; an entry sits at the first free slot from floor(h * buckets / 2^32) on,
 *     wrapping, where h is the unsigned 32-bit FNV-1a hash of its namespace code byte followed by its
 *     UTF-8 name
 *   index: entry count records, sorted by namespace code then name, each
 *     0   1  namespace code ({@link Namespace#code()}); readers skip codes they do not know
 *     1   1  format byte (image type code for images, 0 otherwise)
 *     2   2  name length n in UTF-8 bytes, 1-255
 *     4   4  data offset
 *     8   4  data length
 *    12   n  name, UTF-8
 *   data: right after the index, values packed in index order; an image, or a value of at least
 *     256 bytes, starts on a 16-byte boundary (zero padding before it); zero padding to the end
 * </pre>
 *
 * <p>The digest covers the page table, and each page's hash covers its bytes, so the digest (and the
 * signature over it) commits to every byte that can be served, while mounting hashes only the page
 * table. Pages are checked on first touch.
 */
public final class RomImageFormat {
    /** The format version this code writes. */
    public static final int VERSION = 3;
    /** The oldest format version this code reads. */
    public static final int OLDEST_READABLE = 2;
    static final byte[] MAGIC = {(byte) 0x89, 'D', 'R', 'O', 'M', 0x0D, 0x0A, 0x1A};
    public static final int KIND_APPLICATION = 1;
    public static final int KIND_UPD = 2;
    static final int FLAG_SIGNED = 1;
    /** Flag bit 1: the header carries a signed generation and dock id, and the digest covers them. */
    static final int FLAG_BOUND = 2;
    /** The longest dock id a bound image carries, in UTF-8 bytes. */
    public static final int MAX_DOCK_ID = 63;
    public static final int HEADER_SIZE = 256;
    /** The alignment of images and large values, and of the image length. */
    public static final int ALIGNMENT = 16;
    /** Values of at least this many bytes are aligned like images. */
    public static final int ALIGNED_FROM = 256;
    /** The unit of integrity checking. */
    public static final int PAGE_SIZE = 4096;
    /** The fixed part of an index record; the name follows. */
    public static final int INDEX_RECORD_FIXED = 12;
    static final int HASH_SIZE = 32;
    /** A format 2 hash table slot: the record offset. */
    static final int BUCKET_SIZE_V2 = 4;
    /** A format 3 hash table slot: the record offset, then the entry's hash. */
    static final int BUCKET_SIZE = 8;

    static final int OFF_VERSION = 8;
    static final int OFF_KIND = 10;
    static final int OFF_FLAGS = 11;
    static final int OFF_HEADER_LENGTH = 12;
    static final int OFF_ENTRY_COUNT = 16;
    static final int OFF_PAGE_SIZE = 20;
    static final int OFF_INDEX_LENGTH = 24;
    static final int OFF_BUCKETS = 28;
    static final int OFF_IMAGE_LENGTH = 32;
    static final int OFF_PAGE_COUNT = 36;
    static final int OFF_PAYLOAD = 40;
    static final int OFF_DIGEST = 48;
    static final int OFF_SIGNATURE = 80;
    static final int SIGNATURE_LENGTH = 64;
    static final int OFF_CRC = 252;
    /** Bound images: the signed generation. */
    static final int OFF_GENERATION = 144;
    /** Bound images: the dock id's length in UTF-8 bytes, then the id, zero padded to 63 bytes. */
    static final int OFF_DOCK_ID = 152;
    /** Bound images: the header bytes the digest also covers, from the signed generation to the CRC. */
    static final int BOUND_FROM = OFF_GENERATION;
    /** Header bytes covered by the digest: everything before the digest itself. */
    static final int DIGESTED_HEADER = OFF_DIGEST;

    private RomImageFormat() {
    }

    /**
     * One entry to encode.
     *
     * @param namespace its namespace
     * @param name its name, already valid per {@link datastore.Limits}
     * @param format its format byte
     * @param data its value, from position to limit (not consumed)
     */
    public record Source(Namespace namespace, String name, int format, ByteBuffer data) {
    }

    /** Where everything of an image goes; offsets in the paged area are relative to its start. */
    private record Plan(List<Source> sorted, byte[][] names, int buckets, int indexLength, int[] dataAt, long bodyLength,
            int pageCount, long pagedStart, long payload) {
        long length() {
            return pagedStart + bodyLength;
        }
    }

    /** The size of a hash table slot in an image of format {@code version}. */
    static int bucketSize(int version) {
        return version == OLDEST_READABLE ? BUCKET_SIZE_V2 : BUCKET_SIZE;
    }

    private static Plan plan(List<Source> entries, int version) {
        List<Source> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingInt((Source s) -> s.namespace().code()).thenComparing(Source::name));
        int n = sorted.size();
        byte[][] names = new byte[n][];
        long indexLength = 0;
        long payload = 0;
        for (int i = 0; i < n; i++) {
            names[i] = sorted.get(i).name().getBytes(StandardCharsets.UTF_8);
            indexLength += INDEX_RECORD_FIXED + names[i].length;
            payload += names[i].length + sorted.get(i).data().remaining();
        }
        int buckets = bucketsFor(n);
        long at = (long) bucketSize(version) * buckets + indexLength;
        int[] dataAt = new int[n];
        for (int i = 0; i < n; i++) {
            Source entry = sorted.get(i);
            int size = entry.data().remaining();
            if (entry.namespace() == Namespace.IMAGE || size >= ALIGNED_FROM) {
                at = align(at);
            }
            dataAt[i] = (int) Math.min(at, Integer.MAX_VALUE);
            at += size;
        }
        long body = align(at);
        int pageCount = (int) ((body + PAGE_SIZE - 1) / PAGE_SIZE);
        long pagedStart = pagedStart(pageCount);
        return new Plan(sorted, names, buckets, (int) Math.min(indexLength, Integer.MAX_VALUE), dataAt, body, pageCount,
                pagedStart, payload);
    }

    /** Hash table slots for {@code count} entries: a load of at most two thirds. */
    static int bucketsFor(int count) {
        return count + count / 2 + 1;
    }

    /** Where the paged area of an image with {@code pageCount} pages starts. */
    static long pagedStart(long pageCount) {
        // Right after the table: a multiple of 16, so alignment inside the paged area is alignment in
        // the image; not rounded to a page, which would cost up to 4 KiB of a small region's slot.
        return HEADER_SIZE + HASH_SIZE * pageCount;
    }

    /**
     * The most payload one entry can have in a section of {@code sectionSize} bytes: what remains
     * after the header, the largest page table, one bucket pair, one index record and alignment.
     */
    public static long roomFor(long sectionSize) {
        long pages = (sectionSize + PAGE_SIZE - 1) / PAGE_SIZE;
        return sectionSize - pagedStart(pages) - (long) BUCKET_SIZE * bucketsFor(1) - INDEX_RECORD_FIXED - 2L * ALIGNMENT;
    }

    /**
     * The bytes an image of these entries needs: header, page table, hash table, index and data, so
     * a caller can check the fit before encoding.
     */
    public static long encodedLength(List<Source> entries) {
        return plan(entries, VERSION).length();
    }

    /**
     * Encodes an unsigned image of {@code kind} holding {@code entries}.
     *
     * @throws IllegalArgumentException if two entries share namespace and name, or the image would
     *         exceed 2 GiB
     */
    public static byte[] encode(int kind, List<Source> entries) {
        return encode(kind, entries, VERSION);
    }

    /**
     * Encodes an unsigned image of {@code kind} and format {@code version} (2 for a format 2 region,
     * which has no room for copies) holding {@code entries}.
     *
     * @throws IllegalArgumentException as {@link #encode(int, List)}, or for a version not written here
     */
    public static byte[] encode(int kind, List<Source> entries, int version) {
        if (version != VERSION && version != OLDEST_READABLE) {
            throw new IllegalArgumentException("ROM image format " + version + " is not written by this code");
        }
        Plan plan = plan(entries, version);
        int bucketSize = bucketSize(version);
        List<Source> sorted = plan.sorted();
        for (int i = 1; i < sorted.size(); i++) {
            Source a = sorted.get(i - 1);
            Source b = sorted.get(i);
            if (a.namespace() == b.namespace() && a.name().equals(b.name())) {
                throw new IllegalArgumentException("two " + a.namespace().id() + " entries named \"" + a.name() + "\"");
            }
        }
        long length = plan.length();
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an image of " + length + " bytes exceeds 2 GiB");
        }
        byte[] image = new byte[(int) length];
        ByteBuffer out = ByteBuffer.wrap(image);
        int paged = (int) plan.pagedStart();
        int buckets = plan.buckets();
        int index = paged + bucketSize * buckets;
        for (int i = 0; i < sorted.size(); i++) {
            Source entry = sorted.get(i);
            byte[] name = plan.names()[i];
            ByteBuffer value = entry.data().duplicate();
            int size = value.remaining();
            int data = paged + plan.dataAt()[i];
            out.put(data, value, value.position(), size);
            int hash = hash(entry.namespace().code(), name);
            int slot = firstSlot(hash, buckets);
            while (out.getInt(paged + bucketSize * slot) != 0) {
                slot = slot + 1 == buckets ? 0 : slot + 1;
            }
            out.putInt(paged + bucketSize * slot, index);
            if (bucketSize == BUCKET_SIZE) {
                out.putInt(paged + bucketSize * slot + 4, hash);
            }
            out.position(index);
            out.put((byte) entry.namespace().code()).put((byte) entry.format()).putShort((short) name.length)
                    .putInt(data).putInt(size).put(name);
            index = out.position();
        }
        MessageDigest sha = sha256();
        for (int p = 0; p < plan.pageCount(); p++) {
            int from = paged + p * PAGE_SIZE;
            sha.update(image, from, Math.min(PAGE_SIZE, image.length - from));
            System.arraycopy(sha.digest(), 0, image, HEADER_SIZE + HASH_SIZE * p, HASH_SIZE);
        }
        out.position(0);
        out.put(MAGIC).putShort((short) version).put((byte) kind).put((byte) 0).putInt(HEADER_SIZE)
                .putInt(sorted.size()).putInt(PAGE_SIZE).putInt(plan.indexLength()).putInt(buckets)
                .putInt(image.length).putInt(plan.pageCount()).putLong(plan.payload());
        seal(image);
        return image;
    }

    /** The hash table's hash of an entry: 32-bit FNV-1a of its namespace code, then its UTF-8 name. */
    static int hash(int code, byte[] name) {
        int h = fnv(FNV_BASIS, (byte) code);
        for (byte b : name) {
            h = fnv(h, b);
        }
        return h;
    }

    /** {@link #hash(int, byte[])} of a name not yet encoded, without encoding ASCII names. */
    static int hash(int code, String name) {
        int h = fnv(FNV_BASIS, (byte) code);
        for (int i = 0, n = name.length(); i < n; i++) {
            char c = name.charAt(i);
            if (c >= 0x80) {
                for (byte b : name.substring(i).getBytes(StandardCharsets.UTF_8)) {
                    h = fnv(h, b);
                }
                return h;
            }
            h = fnv(h, (byte) c);
        }
        return h;
    }

    static final int FNV_BASIS = 0x811C9DC5;

    private static int fnv(int h, byte b) {
        return (h ^ (b & 0xFF)) * 0x01000193;
    }

    /** The slot a hash probes first in a table of {@code buckets} slots. */
    static int firstSlot(int hash, int buckets) {
        return (int) (((hash & 0xFFFFFFFFL) * buckets) >>> 32);
    }

    /**
     * A copy of {@code image} signed with an Ed25519 {@code key}: the signed flag set, the digest
     * recomputed over it, the signature of the digest and the header CRC written.
     *
     * @throws IllegalArgumentException if the key is not an Ed25519 private key
     */
    public static byte[] sign(byte[] image, PrivateKey key) {
        byte[] signed = image.clone();
        signed[OFF_FLAGS] |= FLAG_SIGNED;
        seal(signed);
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key);
            signer.update(signed, OFF_DIGEST, 32);
            byte[] signature = signer.sign();
            System.arraycopy(signature, 0, signed, OFF_SIGNATURE, SIGNATURE_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign a ROM image with a " + key.getAlgorithm()
                    + " key; an Ed25519 private key is needed: " + e.getMessage(), e);
        }
        writeCrc(signed);
        return signed;
    }

    /**
     * A copy of {@code image} (format 3, not yet signed) bound to {@code generation} and, for a
     * unique-per-dock section, to {@code dockId}: flag bit 1 set, both written to the header and the
     * digest recomputed over them, so a signature made afterwards covers them. A dock refuses a signed
     * image whose generation is older than its rollback index, and a UPD section bound to another dock.
     *
     * @param dockId the dock the image belongs to, or empty for an application image (which any dock serves)
     * @throws IllegalArgumentException for a negative generation, a dock id over 63 UTF-8 bytes or holding
     *         a control character, or an image of format 2
     */
    public static byte[] bind(byte[] image, long generation, String dockId) {
        if (generation < 0) {
            throw new IllegalArgumentException("a signed generation is not negative: " + generation);
        }
        dockIdProblem(dockId).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        ByteBuffer out = ByteBuffer.wrap(image.clone());
        if ((out.getShort(OFF_VERSION) & 0xFFFF) < VERSION) {
            throw new IllegalArgumentException("a format 2 image has no room for a signed generation or dock id");
        }
        byte[] id = dockId.getBytes(StandardCharsets.UTF_8);
        out.put(OFF_FLAGS, (byte) (out.get(OFF_FLAGS) | FLAG_BOUND));
        out.putLong(OFF_GENERATION, generation);
        out.put(OFF_DOCK_ID, (byte) id.length);
        out.put(OFF_DOCK_ID + 1, id);
        seal(out.array());
        return out.array();
    }

    /** Why {@code dockId} cannot be bound into an image, if it cannot. */
    public static java.util.Optional<String> dockIdProblem(String dockId) {
        if (dockId == null) {
            return java.util.Optional.of("a dock id is needed (empty for an application image)");
        }
        if (dockId.getBytes(StandardCharsets.UTF_8).length > MAX_DOCK_ID) {
            return java.util.Optional.of("the dock id \"" + dockId + "\" has more than " + MAX_DOCK_ID + " UTF-8 bytes");
        }
        // Bidi overrides and zero-width characters (format characters) would make an error naming both ids lie.
        if (dockId.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT)) {
            return java.util.Optional.of("the dock id holds a control or invisible formatting character (" + dockId
                    .codePoints().filter(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT)
                    .mapToObj(c -> String.format("U+%04X", c)).findFirst().orElseThrow() + ")");
        }
        return java.util.Optional.empty();
    }

    /** Writes the digest over header and page table, then the header CRC. */
    static void seal(byte[] image) {
        ByteBuffer in = ByteBuffer.wrap(image);
        int paged = (int) pagedStart(in.getInt(OFF_PAGE_COUNT));
        MessageDigest sha = sha256();
        sha.update(image, 0, DIGESTED_HEADER);
        if ((image[OFF_FLAGS] & FLAG_BOUND) != 0) {
            sha.update(image, BOUND_FROM, OFF_CRC - BOUND_FROM);
        }
        sha.update(image, HEADER_SIZE, paged - HEADER_SIZE);
        System.arraycopy(sha.digest(), 0, image, OFF_DIGEST, 32);
        writeCrc(image);
    }

    private static void writeCrc(byte[] image) {
        CRC32C crc = new CRC32C();
        crc.update(image, 0, OFF_CRC);
        ByteBuffer.wrap(image).putInt(OFF_CRC, (int) crc.getValue());
    }

    /** The length of an encoded image's header and page table: what its copy holds. */
    public static int metadataLength(byte[] image) {
        return (int) pagedStart(ByteBuffer.wrap(image).getInt(OFF_PAGE_COUNT));
    }

    /** The digest stored in an encoded image's header. */
    public static byte[] digestOf(byte[] image) {
        return Arrays.copyOfRange(image, OFF_DIGEST, OFF_DIGEST + 32);
    }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) & -ALIGNMENT;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Lower-case hex. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
