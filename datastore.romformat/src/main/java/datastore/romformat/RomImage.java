package datastore.romformat;

import static datastore.romformat.RomImageFormat.*;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    private final RomPages pages;
    private final RomHashTable table;
    private volatile boolean servedFromCopy;
    private volatile List<RomEntry> entries;
    private volatile Map<Namespace, List<String>> names;

    private RomImage(ByteBuffer map, int base, RomImageHeader metadata) {
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
        this.pages = new RomPages(map, base, metadata.pagedStart(), imageLength, metadata.pageHashes(),
                kindName(kind));
        this.bucketsAt = pages.pagedAt();
        this.bucketSize = bucketSize(version);
        this.indexAt = bucketsAt + bucketSize * buckets;
        this.indexEnd = indexAt + (int) metadata.indexLength();
        this.table = new RomHashTable(map, base, buckets, bucketsAt, bucketSize, indexAt, indexEnd, pages);
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
            RomImageHeader primary = RomImageHeader.read(readOnly, base, maxLength, kind, expectedDigest);
            return new RomImage(readOnly, (int) base, primary);
        } catch (RomImageException e) {
            primaryFailure = e;
        }
        if (copyAt < 0 || primaryFailure.newerVersion() > 0) {
            throw primaryFailure;
        }
        RomImageHeader copy;
        try {
            copy = RomImageHeader.read(readOnly, copyAt, maxLength, kind, expectedDigest);
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
        image.pages.report("the header or page table of " + kindName(kind) + " at region offset " + base
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
            RomImageHeader.read(map, copyAt, maxLength, kind, digest);
            return Optional.empty();
        } catch (RomImageException e) {
            String problem = "the copy of the header and page table of " + kindName(kind) + " at region offset "
                    + copyAt + " is damaged (" + e.getMessage() + "); the first copy is sound and served";
            pages.report(problem);
            return Optional.of(problem);
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
        return pages.count();
    }

    /** Pages hashed so far (sound or not): what reading the image has cost in checking. */
    public int verifiedPages() {
        return pages.verified();
    }

    /**
     * The map offset of the index record of an entry, {@link #ABSENT}, or {@link #DAMAGED} when a
     * page the search had to read fails its hash; see {@link RomHashTable#lookup}.
     */
    int lookup(int code, String name) {
        return table.lookup(code, name);
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
        return offset >= 0 && pages.sound(offset, dataLengthAt(record));
    }

    /** Records that an entry was refused because of a damaged page; returns the exception to throw. */
    CorruptedEntryException refuse(Namespace namespace, String name, String where) {
        pages.report(namespace.id() + " entry \"" + name + "\" of " + kindName(kind) + " is not served: " + where
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
        for (int r = indexAt; r <= indexEnd - INDEX_RECORD_FIXED && pages.sound(r, INDEX_RECORD_FIXED);) {
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            if (nameLength == 0 || r + INDEX_RECORD_FIXED + nameLength > indexEnd) {
                break;
            }
            records.add(r - base);
            r += INDEX_RECORD_FIXED + nameLength;
        }
        for (int slot = 0; slot < buckets; slot++) {
            int at = bucketsAt + bucketSize * slot;
            if (pages.sound(at, bucketSize) && map.getInt(at) != 0) {
                records.add(map.getInt(at));
            }
        }
        for (int record : records) {
            if (record <= 0 || seen.get(record)) {
                continue;
            }
            seen.set(record);
            int r = base + record;
            if (record == 0 || r < indexAt || r > indexEnd - INDEX_RECORD_FIXED || !pages.sound(r, INDEX_RECORD_FIXED)) {
                continue;
            }
            int nameLength = map.getShort(r + 2) & 0xFFFF;
            int offset = dataOffsetAt(r);
            if (nameLength == 0 || r + INDEX_RECORD_FIXED + nameLength > indexEnd || offset < 0
                    || !pages.sound(r + INDEX_RECORD_FIXED, nameLength)) {
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
        return pages.sound(base + entry.offset(), entry.length());
    }

    /** Verifies every page not yet verified; returns the problems known afterwards. */
    public List<String> verifyAll() {
        pages.verifyAll();
        return problems();
    }

    /** The damage found so far, sorted; unmodifiable. */
    public List<String> problems() {
        return pages.problems();
    }
}
