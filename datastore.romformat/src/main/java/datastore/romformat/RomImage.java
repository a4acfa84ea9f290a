package datastore.romformat;

import static datastore.romformat.RomImageFormat.*;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.Partitions;

/**
 * A mounted image: its header and page table checked once, its entries found through the on-flash
 * hash table and served as slices of the memory map. Mounting reads only the header and the page
 * table; each page of the hash table, index and data is hashed against the page table the first
 * time it is touched and the verdict cached, so a damaged byte is never handed out and entries on
 * other pages stay readable. Nothing per entry lives on the heap until {@link #entries()} or
 * {@link #names} is asked for. Thread-safe.
 */
public final class RomImage {
    /** {@link #lookup} found no such entry. */
    static final int ABSENT = -1;
    /** {@link #lookup} could not tell: a page it had to read is damaged. */
    static final int DAMAGED = -2;

    private static final int UNCHECKED = 0;
    private static final int SOUND = 1;
    private static final int CORRUPTED = 2;

    private final ByteBuffer map;
    private final int base;
    private final int version;
    private final int kind;
    private final boolean signed;
    private final boolean bound;
    private final long signedGeneration;
    private final String dockId;
    private final int imageLength;
    private final long payload;
    private final byte[] digest;
    private final byte[] signature;
    private final int buckets;
    private final int bucketsAt;
    private final int bucketSize;
    private final int indexAt;
    private final int indexEnd;
    private final int pagedAt;
    private final byte[] pageHashes;
    private final AtomicIntegerArray pages;
    private final AtomicInteger verifiedPages = new AtomicInteger();
    private final Set<String> problems = ConcurrentHashMap.newKeySet();
    private volatile boolean servedFromCopy;
    private volatile List<RomEntry> entries;
    private volatile Map<Namespace, List<String>> names;

    private RomImage(ByteBuffer map, int base, Metadata metadata) {
        this.map = map;
        this.base = base;
        this.version = metadata.version();
        this.kind = metadata.kind();
        this.signed = metadata.signed();
        this.bound = metadata.bound();
        this.signedGeneration = metadata.signedGeneration();
        this.dockId = metadata.dockId();
        this.imageLength = (int) metadata.imageLength();
        this.payload = metadata.payload();
        this.digest = metadata.digest();
        this.signature = metadata.signature();
        this.buckets = (int) metadata.buckets();
        this.pagedAt = base + (int) metadata.pagedStart();
        this.bucketsAt = pagedAt;
        this.bucketSize = bucketSize(version);
        this.indexAt = bucketsAt + bucketSize * buckets;
        this.indexEnd = indexAt + (int) metadata.indexLength();
        int pageCount = (int) ((imageLength - metadata.pagedStart() + PAGE_SIZE - 1) / PAGE_SIZE);
        this.pageHashes = Arrays.copyOf(metadata.pageHashes(), HASH_SIZE * pageCount);
        this.pages = new AtomicIntegerArray(pageCount);
    }

    /** Whether the header at {@code base} was never programmed (all {@code 0xFF}): no image there. */
    public static boolean isErased(ByteBuffer map, long base) {
        return CommitRecord.isErased(map, base, HEADER_SIZE);
    }

    /**
     * Checks and opens the image of {@code kind} at {@code base} of {@code map}, which may hold at
     * most {@code maxLength} bytes. Reads the header and page table only; every other page is checked
     * when first touched.
     *
     * @throws RomImageException naming the check that failed
     */
    public static RomImage read(ByteBuffer map, long base, long maxLength, int kind) throws RomImageException {
        return read(map, base, maxLength, kind, -1, null);
    }

    /**
     * Checks and opens the image of {@code kind} at {@code base}, whose header and page table have a
     * second copy at {@code copyAt} (format 3; -1 for none): the first copy that passes every check
     * (and, when {@code expectedDigest} is given, carries that digest) is used, and a copy that fails
     * is reported in {@link #problems()}. The entries are read at {@code base} either way.
     *
     * @throws RomImageException naming the check that failed for each copy
     */
    public static RomImage read(ByteBuffer map, long base, long maxLength, int kind, long copyAt,
            byte[] expectedDigest) throws RomImageException {
        if (base < 0 || maxLength < HEADER_SIZE || base + maxLength > map.capacity()) {
            throw new RomImageException("no room for a ROM image of at least " + HEADER_SIZE + " bytes at offset "
                    + base + " (section of " + maxLength + " bytes, region of " + map.capacity() + ")");
        }
        ByteBuffer readOnly = map.isReadOnly() ? map : map.asReadOnlyBuffer();
        RomImageException primaryFailure;
        try {
            Metadata primary = Metadata.read(readOnly, base, maxLength, kind, expectedDigest);
            return new RomImage(readOnly, (int) base, primary);
        } catch (RomImageException e) {
            primaryFailure = e;
        }
        if (copyAt < 0 || primaryFailure.newerVersion() > 0) {
            throw primaryFailure;
        }
        Metadata copy;
        try {
            copy = Metadata.read(readOnly, copyAt, maxLength, kind, expectedDigest);
        } catch (RomImageException e) {
            throw new RomImageException(primaryFailure.getMessage() + "; its copy at region offset " + copyAt
                    + " fails too: " + e.getMessage(), Math.max(primaryFailure.newerVersion(), e.newerVersion()));
        }
        if (copy.version() < RomImageFormat.VERSION) {
            throw new RomImageException(primaryFailure.getMessage() + "; the copy at region offset " + copyAt
                    + " is of format " + copy.version() + ", which has no copies");
        }
        RomImage image = new RomImage(readOnly, (int) base, copy);
        image.servedFromCopy = true;
        image.problems.add("the header or page table of " + kindName(kind) + " at region offset " + base
                + " is damaged (" + primaryFailure.getMessage() + "); its copy at region offset " + copyAt
                + " is served from");
        return image;
    }

    /**
     * Checks the copy of the header and page table at {@code copyAt} that the mount did not need (it
     * read the first copy), for the background pass: a damaged copy costs nothing until the other one
     * is damaged too, so it is reported, not refused. Returns the problem, if any.
     */
    Optional<String> checkCopy(long copyAt, long maxLength) {
        if (copyAt < 0 || servedFromCopy) {
            return Optional.empty();
        }
        try {
            Metadata.read(map, copyAt, maxLength, kind, digest);
            return Optional.empty();
        } catch (RomImageException e) {
            String problem = "the copy of the header and page table of " + kindName(kind) + " at region offset "
                    + copyAt + " is damaged (" + e.getMessage() + "); the first copy is sound and served";
            problems.add(problem);
            return Optional.of(problem);
        }
    }

    /** A header and page table that passed every check. */
    private record Metadata(int base, int version, int kind, boolean signed, boolean bound, long signedGeneration,
            String dockId, long imageLength, long payload,
            byte[] digest, byte[] signature, long buckets, long indexLength, long pagedStart, byte[] pageHashes) {

        static Metadata read(ByteBuffer map, long base, long maxLength, int kind, byte[] expectedDigest)
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
                throw new RomImageException("found " + kindName(actualKind) + " where " + kindName(kind) + " belongs");
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
            return new Metadata(at, version, actualKind, (flags & FLAG_SIGNED) != 0, bound, generation, dockId,
                    imageLength,
                    h.getLong(OFF_PAYLOAD), digest, Arrays.copyOfRange(header, OFF_SIGNATURE,
                            OFF_SIGNATURE + SIGNATURE_LENGTH), bucketCount, indexLength, pagedStart, tables);
        }
    }

    static String kindName(int kind) {
        return switch (kind) {
            case KIND_APPLICATION -> "an application image";
            case KIND_UPD -> "a unique-per-dock section";
            default -> "an image of unknown kind " + kind;
        };
    }

    /** Whether the image carries a signed generation and dock id (flag bit 1); see {@link RomImageFormat#bind}. */
    public boolean bound() {
        return bound;
    }

    /** The generation the digest (and so the signature) covers; 0 for an image that is not bound. */
    public long signedGeneration() {
        return signedGeneration;
    }

    /** The dock id the digest covers; empty for an application image or an image that is not bound. */
    public String dockId() {
        return dockId;
    }

    /** Whether the image carries a signature (verified or not). */
    public boolean signed() {
        return signed;
    }

    /**
     * Whether the image's signature verifies against {@code key}.
     *
     * @return false for an unsigned image or a signature that does not verify
     */
    public boolean signatureVerifies(PublicKey key) {
        if (!signed) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(digest);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The image's SHA-256 digest (header and page table, which holds every page's hash). */
    public byte[] digest() {
        return digest.clone();
    }

    /** Lower-case hex of {@link #digest()}. */
    public String digestHex() {
        return hex(digest);
    }

    public int kind() {
        return kind;
    }

    /** The image's format version, 2 or 3. */
    public int version() {
        return version;
    }

    /** Bytes the image occupies. */
    public int length() {
        return imageLength;
    }

    /** Payload bytes: UTF-8 names plus values of every entry. */
    public long payload() {
        return payload;
    }

    /** Pages of the paged area. */
    public int pageCount() {
        return pages.length();
    }

    /** Pages hashed so far (sound or not): what reading the image has cost in checking. */
    public int verifiedPages() {
        return verifiedPages.get();
    }

    /**
     * The map offset of the index record of an entry, {@link #ABSENT}, or {@link #DAMAGED} when a
     * page of the hash table or index the search had to read fails its hash (then the answer is
     * unknown: a damaged record on the probe path could be this entry's). Allocates nothing for
     * ASCII names.
     */
    int lookup(int code, String name) {
        int hash = hash(code, name);
        int slot = firstSlot(hash, buckets);
        boolean hashed = bucketSize == BUCKET_SIZE;
        for (int probes = 0; probes < buckets; probes++) {
            int at = bucketsAt + bucketSize * slot;
            if (!sound(at, bucketSize)) {
                return scanIndex(code, name);
            }
            int record = map.getInt(at);
            if (record == 0) {
                return ABSENT;
            }
            if (hashed && map.getInt(at + 4) != hash) {
                // Another entry's slot: its record is not read, so a damaged page of it costs this lookup nothing.
                slot = slot + 1 == buckets ? 0 : slot + 1;
                continue;
            }
            int r = base + record;
            if (r < indexAt || r > indexEnd - INDEX_RECORD_FIXED || !sound(r, INDEX_RECORD_FIXED)) {
                return DAMAGED;
            }
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            if (r + INDEX_RECORD_FIXED + nameLength > indexEnd) {
                return DAMAGED;
            }
            if ((map.get(r) & 0xFF) == code) {
                if (!sound(r + INDEX_RECORD_FIXED, nameLength)) {
                    return DAMAGED;
                }
                if (nameEquals(r + INDEX_RECORD_FIXED, nameLength, name)) {
                    return r;
                }
            }
            slot = slot + 1 == buckets ? 0 : slot + 1;
        }
        return ABSENT;
    }

    /**
     * The way round a damaged hash table page: the index records one after the other from the first,
     * each page checked as for a lookup; {@link #DAMAGED} if a damaged page comes before the entry.
     */
    private int scanIndex(int code, String name) {
        int r = indexAt;
        while (r <= indexEnd - INDEX_RECORD_FIXED) {
            if (!sound(r, INDEX_RECORD_FIXED)) {
                return DAMAGED;
            }
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            if (nameLength == 0 || r + INDEX_RECORD_FIXED + nameLength > indexEnd
                    || !sound(r + INDEX_RECORD_FIXED, nameLength)) {
                return DAMAGED;
            }
            if ((map.get(r) & 0xFF) == code && nameEquals(r + INDEX_RECORD_FIXED, nameLength, name)) {
                return r;
            }
            r += INDEX_RECORD_FIXED + nameLength;
        }
        return ABSENT;
    }

    private boolean nameEquals(int at, int length, String name) {
        int p = 0;
        for (int i = 0, n = name.length(); i < n; i++) {
            char c = name.charAt(i);
            if (c >= 0x80) {
                byte[] rest = name.substring(i).getBytes(StandardCharsets.UTF_8);
                if (p + rest.length != length) {
                    return false;
                }
                for (byte b : rest) {
                    if (map.get(at + p++) != b) {
                        return false;
                    }
                }
                return true;
            }
            if (p >= length || map.get(at + p) != (byte) c) {
                return false;
            }
            p++;
        }
        return p == length;
    }

    /** The format byte of the record at map offset {@code record}. */
    int formatAt(int record) {
        return map.get(record + 1) & 0xFF;
    }

    /** The map offset of the data of the record at {@code record}, or -1 when it lies outside the data area. */
    int dataOffsetAt(int record) {
        long offset = base + (map.getInt(record + 4) & 0xFFFFFFFFL);
        long length = map.getInt(record + 8) & 0xFFFFFFFFL;
        return offset < indexEnd || offset + length > base + (long) imageLength ? -1 : (int) offset;
    }

    /** The data length of the record at {@code record}. */
    int dataLengthAt(int record) {
        return map.getInt(record + 8);
    }

    /** The record's position as its revision's low half: its offset in the image. */
    int positionOf(int record) {
        return record - base;
    }

    /** The map, for views. */
    ByteBuffer map() {
        return map;
    }

    /** Whether the data of the record at {@code record} lies in the data area and its pages are sound. */
    boolean dataSound(int record) {
        int offset = dataOffsetAt(record);
        return offset >= 0 && sound(offset, dataLengthAt(record));
    }

    /**
     * Whether every page holding map bytes [at, at + length) matches its hash, hashing those not
     * checked yet. Bytes before the paged area belong to the header and page table, checked at mount.
     */
    private boolean sound(int at, int length) {
        if (length <= 0) {
            return true;
        }
        int first = (at - pagedAt) / PAGE_SIZE;
        int last = (at + length - 1 - pagedAt) / PAGE_SIZE;
        boolean sound = true;
        for (int p = first; p <= last; p++) {
            int state = pages.get(p);
            if (state == UNCHECKED) {
                state = verifyPage(p);
            }
            sound &= state == SOUND;
        }
        return sound;
    }

    private int verifyPage(int page) {
        int from = pagedAt + page * PAGE_SIZE;
        int length = Math.min(PAGE_SIZE, base + imageLength - from);
        MessageDigest sha = sha256();
        sha.update(map.slice(from, length));
        byte[] computed = sha.digest();
        boolean sound = Arrays.equals(computed, 0, HASH_SIZE, pageHashes, page * HASH_SIZE, (page + 1) * HASH_SIZE);
        int state = sound ? SOUND : CORRUPTED;
        if (pages.compareAndSet(page, UNCHECKED, state)) {
            verifiedPages.incrementAndGet();
            if (!sound) {
                problems.add("page " + page + " (image bytes " + (from - base) + "-" + (from - base + length - 1)
                        + ") of " + kindName(kind) + " fails its SHA-256; entries whose record or bytes lie there are "
                        + "not served");
            }
        }
        return pages.get(page);
    }

    /** Records that an entry was refused because of a damaged page; returns the exception to throw. */
    CorruptedEntryException refuse(Namespace namespace, String name, String where) {
        problems.add(namespace.id() + " entry \"" + name + "\" of " + kindName(kind) + " is not served: " + where
                + " lies on a page that fails its SHA-256");
        return new CorruptedEntryException(Partitions.ROM, namespace, name, "its " + where
                + " lies on a page of " + kindName(kind) + " that fails its SHA-256");
    }

    /**
     * The entries of known namespaces whose hash table slot and index record are readable, in index
     * order (namespace code, then name); built on first call and kept. Unmodifiable.
     */
    public List<RomEntry> entries() {
        List<RomEntry> list = entries;
        if (list == null) {
            list = decodeEntries();
            entries = list;
        }
        return list;
    }

    private List<RomEntry> decodeEntries() {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<RomEntry> list = new ArrayList<>();
        // The hash table names every record; the index walked in order names them too, up to its first
        // damaged page. Both are asked, so a damaged page of either hides no entry the other can name.
        java.util.BitSet seen = new java.util.BitSet();
        List<Integer> records = new ArrayList<>();
        for (int r = indexAt; r <= indexEnd - INDEX_RECORD_FIXED && sound(r, INDEX_RECORD_FIXED);) {
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            if (nameLength == 0 || r + INDEX_RECORD_FIXED + nameLength > indexEnd) {
                break;
            }
            records.add(r - base);
            r += INDEX_RECORD_FIXED + nameLength;
        }
        for (int slot = 0; slot < buckets; slot++) {
            int at = bucketsAt + bucketSize * slot;
            if (sound(at, bucketSize) && map.getInt(at) != 0) {
                records.add(map.getInt(at));
            }
        }
        for (int record : records) {
            if (record <= 0 || seen.get(record)) {
                continue;
            }
            seen.set(record);
            int r = base + record;
            if (record == 0 || r < indexAt || r > indexEnd - INDEX_RECORD_FIXED || !sound(r, INDEX_RECORD_FIXED)) {
                continue;
            }
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            int offset = dataOffsetAt(r);
            if (nameLength == 0 || r + INDEX_RECORD_FIXED + nameLength > indexEnd || offset < 0
                    || !sound(r + INDEX_RECORD_FIXED, nameLength)) {
                continue;
            }
            Namespace namespace;
            try {
                namespace = Namespace.ofCode(map.get(r) & 0xFF);
            } catch (IllegalArgumentException newerNamespace) {
                // A namespace added after this reader: its entries are nobody's business here.
                continue;
            }
            String name;
            try {
                name = decoder.decode(map.slice(r + INDEX_RECORD_FIXED, nameLength)).toString();
            } catch (CharacterCodingException e) {
                continue;
            }
            list.add(new RomEntry(namespace, name, formatAt(r), offset - base, dataLengthAt(r), record));
        }
        list.sort(Comparator.comparingInt(RomEntry::index));
        // Two slots naming one record would list it twice; an encoder never writes that, a forger might.
        List<RomEntry> distinct = new ArrayList<>(list.size());
        for (RomEntry entry : list) {
            if (distinct.isEmpty() || distinct.get(distinct.size() - 1).index() != entry.index()) {
                distinct.add(entry);
            }
        }
        return Collections.unmodifiableList(distinct);
    }

    /**
     * The entry of that namespace and name.
     *
     * @throws CorruptedEntryException if a page the search must read fails its hash
     */
    public Optional<RomEntry> find(Namespace namespace, String name) {
        int r = lookup(namespace.code(), name);
        if (r == ABSENT) {
            return Optional.empty();
        }
        if (r == DAMAGED || dataOffsetAt(r) < 0) {
            throw refuse(namespace, name, "index record");
        }
        return Optional.of(new RomEntry(namespace, name, formatAt(r), dataOffsetAt(r) - base, dataLengthAt(r),
                positionOf(r)));
    }

    /** The names in a namespace, sorted; unmodifiable. */
    public List<String> names(Namespace namespace) {
        Map<Namespace, List<String>> all = names;
        if (all == null) {
            Map<Namespace, List<String>> sorted = new EnumMap<>(Namespace.class);
            for (Namespace n : Namespace.values()) {
                sorted.put(n, new ArrayList<>());
            }
            for (RomEntry entry : entries()) {
                sorted.get(entry.namespace()).add(entry.name());
            }
            for (Namespace n : Namespace.values()) {
                sorted.put(n, List.copyOf(sorted.get(n)));
            }
            all = sorted;
            names = all;
        }
        return all.get(namespace);
    }

    /** A read-only slice of the map holding the entry's bytes: no copy. */
    public ByteBuffer slice(RomEntry entry) {
        return map.slice(base + entry.offset(), entry.length());
    }

    /**
     * Whether the pages holding the entry's bytes match their hashes; computed once per page, then
     * cached. A mismatch is recorded in {@link #problems()}.
     */
    public boolean verify(RomEntry entry) {
        if (entry.offset() < indexEnd - base || (long) entry.offset() + entry.length() > imageLength) {
            throw new IllegalArgumentException(entry + " is not an entry of this image");
        }
        return sound(base + entry.offset(), entry.length());
    }

    /** Verifies every page not yet verified; returns the problems known afterwards. */
    public List<String> verifyAll() {
        for (int p = 0; p < pages.length(); p++) {
            if (pages.get(p) == UNCHECKED) {
                verifyPage(p);
            }
        }
        return problems();
    }

    /** The damage found so far, sorted; unmodifiable. */
    public List<String> problems() {
        List<String> list = new ArrayList<>(problems);
        Collections.sort(list);
        return Collections.unmodifiableList(list);
    }
}
