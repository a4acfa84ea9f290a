package datastore.rom;

import static datastore.rom.RomImageFormat.*;

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
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import datastore.Namespace;

/**
 * A mounted image: its header and index checked and decoded once, its entries served as slices of
 * the memory map. Each entry's bytes are hashed against the index the first time they are asked for
 * (or by {@link #verifyAll()}), and the verdict is cached, so a corrupted entry is never handed out
 * and the rest of the image stays readable. Thread-safe.
 */
public final class RomImage {
    private static final int UNCHECKED = 0;
    private static final int SOUND = 1;
    private static final int CORRUPTED = 2;

    private final ByteBuffer map;
    private final int base;
    private final int kind;
    private final boolean signed;
    private final int imageLength;
    private final long payload;
    private final byte[] digest;
    private final byte[] signature;
    private final RomEntry[] entries;
    private final byte[][] hashes;
    private final Map<Namespace, Map<String, RomEntry>> byName;
    private final Map<Namespace, List<String>> names;
    private final AtomicIntegerArray states;
    private final Set<String> problems = ConcurrentHashMap.newKeySet();

    private RomImage(ByteBuffer map, int base, int kind, boolean signed, int imageLength, long payload, byte[] digest,
            byte[] signature, RomEntry[] entries, byte[][] hashes) {
        this.map = map;
        this.base = base;
        this.kind = kind;
        this.signed = signed;
        this.imageLength = imageLength;
        this.payload = payload;
        this.digest = digest;
        this.signature = signature;
        this.entries = entries;
        this.hashes = hashes;
        this.states = new AtomicIntegerArray(entries.length);
        Map<Namespace, Map<String, RomEntry>> lookup = new EnumMap<>(Namespace.class);
        Map<Namespace, List<String>> sorted = new EnumMap<>(Namespace.class);
        for (Namespace namespace : Namespace.values()) {
            lookup.put(namespace, new HashMap<>());
        }
        for (RomEntry entry : entries) {
            lookup.get(entry.namespace()).put(entry.name(), entry);
        }
        for (Namespace namespace : Namespace.values()) {
            List<String> list = new ArrayList<>(lookup.get(namespace).keySet());
            Collections.sort(list);
            sorted.put(namespace, Collections.unmodifiableList(list));
        }
        this.byName = lookup;
        this.names = sorted;
    }

    /** Whether the header at {@code base} was never programmed (all {@code 0xFF}): no image there. */
    public static boolean isErased(ByteBuffer map, long base) {
        return CommitRecord.isErased(map, base, HEADER_SIZE);
    }

    /**
     * Checks and decodes the image of {@code kind} at {@code base} of {@code map}, which may hold at
     * most {@code maxLength} bytes. Reads the header and index only; entry data is checked later.
     *
     * @throws RomImageException naming the check that failed
     */
    public static RomImage read(ByteBuffer map, long base, long maxLength, int kind) throws RomImageException {
        if (base < 0 || maxLength < HEADER_SIZE || base + maxLength > map.capacity()) {
            throw new RomImageException("no room for a ROM image of at least " + HEADER_SIZE + " bytes at offset "
                    + base + " (section of " + maxLength + " bytes, region of " + map.capacity() + ")");
        }
        int at = (int) base;
        byte[] header = new byte[HEADER_SIZE];
        map.get(at, header);
        ByteBuffer h = ByteBuffer.wrap(header);
        if (!Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new RomImageException("no ROM image at offset " + base + ": the first bytes are "
                    + hex(Arrays.copyOf(header, MAGIC.length)) + ", not the magic " + hex(MAGIC));
        }
        int version = h.getShort(OFF_VERSION) & 0xFFFF;
        if (version != VERSION) {
            throw new RomImageException("ROM image format version " + version + " is not supported; this dock reads version "
                    + VERSION);
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(header, 0, OFF_CRC);
        if (h.getInt(OFF_CRC) != (int) crc.getValue()) {
            throw new RomImageException("ROM image header fails its checksum (stored " + Integer.toHexString(h.getInt(OFF_CRC))
                    + ", computed " + Long.toHexString(crc.getValue()) + ")");
        }
        int actualKind = header[OFF_KIND];
        if (actualKind != kind) {
            throw new RomImageException("found " + kindName(actualKind) + " where " + kindName(kind) + " belongs");
        }
        int flags = header[OFF_FLAGS] & 0xFF;
        if ((flags & ~FLAG_SIGNED) != 0) {
            throw new RomImageException("ROM image has unknown flags 0x" + Integer.toHexString(flags));
        }
        if (h.getInt(OFF_HEADER_LENGTH) != HEADER_SIZE || h.getInt(OFF_INDEX_OFFSET) != HEADER_SIZE
                || h.getInt(OFF_ALIGNMENT) != ALIGNMENT) {
            throw new RomImageException("ROM image header declares header length " + h.getInt(OFF_HEADER_LENGTH)
                    + ", index offset " + h.getInt(OFF_INDEX_OFFSET) + " and alignment " + h.getInt(OFF_ALIGNMENT)
                    + "; format version 1 has " + HEADER_SIZE + ", " + HEADER_SIZE + " and " + ALIGNMENT);
        }
        long count = h.getInt(OFF_ENTRY_COUNT) & 0xFFFFFFFFL;
        long indexLength = h.getInt(OFF_INDEX_LENGTH) & 0xFFFFFFFFL;
        long imageLength = h.getInt(OFF_IMAGE_LENGTH) & 0xFFFFFFFFL;
        long dataStart = align(HEADER_SIZE + indexLength);
        if (imageLength > maxLength || imageLength % ALIGNMENT != 0 || dataStart > imageLength
                || count * INDEX_RECORD_FIXED > indexLength) {
            throw new RomImageException("ROM image declares " + imageLength + " bytes with an index of " + indexLength
                    + " bytes for " + count + " entries, which does not fit its section of " + maxLength + " bytes");
        }
        MessageDigest sha = sha256();
        sha.update(header, 0, DIGESTED_HEADER);
        sha.update(map.slice(at + HEADER_SIZE, (int) indexLength));
        byte[] digest = Arrays.copyOfRange(header, OFF_DIGEST, OFF_DIGEST + 32);
        byte[] computed = sha.digest();
        if (!MessageDigest.isEqual(digest, computed)) {
            throw new RomImageException("ROM image digest mismatch: the header says " + hex(digest)
                    + " but header and index hash to " + hex(computed));
        }
        return decodeIndex(map, at, actualKind, (flags & FLAG_SIGNED) != 0, (int) count, (int) indexLength,
                (int) imageLength, h.getLong(OFF_PAYLOAD), digest,
                Arrays.copyOfRange(header, OFF_SIGNATURE, OFF_SIGNATURE + SIGNATURE_LENGTH));
    }

    private static RomImage decodeIndex(ByteBuffer map, int base, int kind, boolean signed, int count, int indexLength,
            int imageLength, long payload, byte[] digest, byte[] signature) throws RomImageException {
        byte[] index = new byte[indexLength];
        map.get(base + HEADER_SIZE, index);
        ByteBuffer in = ByteBuffer.wrap(index);
        long dataStart = align(HEADER_SIZE + (long) indexLength);
        List<RomEntry> entries = new ArrayList<>(count);
        List<byte[]> hashes = new ArrayList<>(count);
        Map<Namespace, Set<String>> seen = new EnumMap<>(Namespace.class);
        long counted = 0;
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < count; i++) {
            int pos = in.position();
            if (pos + INDEX_RECORD_FIXED > indexLength) {
                throw new RomImageException("ROM index record " + i + " runs past the index end " + indexLength);
            }
            int code = in.get() & 0xFF;
            int format = in.get() & 0xFF;
            int nameLength = in.getShort() & 0xFFFF;
            long offset = in.getInt() & 0xFFFFFFFFL;
            long length = in.getInt() & 0xFFFFFFFFL;
            byte[] hash = new byte[32];
            in.get(hash);
            if (nameLength == 0 || nameLength > datastore.Limits.MAX_NAME_BYTES || in.remaining() < nameLength) {
                throw new RomImageException("ROM index record " + i + " has a name of " + nameLength
                        + " bytes, outside 1-" + datastore.Limits.MAX_NAME_BYTES + " or past the index end");
            }
            String name;
            try {
                name = decoder.decode(in.slice(in.position(), nameLength)).toString();
            } catch (CharacterCodingException e) {
                throw new RomImageException("ROM index record " + i + " has a name that is not UTF-8");
            }
            in.position(in.position() + nameLength);
            if (offset < dataStart || offset % ALIGNMENT != 0 || offset + length > imageLength) {
                throw new RomImageException("ROM index record " + i + " (\"" + name + "\") places " + length
                        + " bytes at offset " + offset + ", outside the data area [" + dataStart + ", " + imageLength
                        + ") or not aligned to " + ALIGNMENT);
            }
            counted += nameLength + length;
            Namespace namespace;
            try {
                namespace = Namespace.ofCode(code);
            } catch (IllegalArgumentException newerNamespace) {
                // A namespace added after this reader: its entries are nobody's business here.
                continue;
            }
            if (!seen.computeIfAbsent(namespace, n -> new java.util.HashSet<>()).add(name)) {
                throw new RomImageException("ROM index holds two " + namespace.id() + " entries named \"" + name + "\"");
            }
            entries.add(new RomEntry(namespace, name, format, (int) offset, (int) length, entries.size()));
            hashes.add(hash);
        }
        if (in.position() != indexLength) {
            throw new RomImageException("ROM index of " + count + " records ends at byte " + in.position()
                    + ", not at its declared length " + indexLength);
        }
        if (counted != payload) {
            throw new RomImageException("ROM image header counts " + payload + " payload bytes, its index " + counted);
        }
        return new RomImage(map, base, kind, signed, imageLength, payload, digest, signature,
                entries.toArray(new RomEntry[0]), hashes.toArray(new byte[0][]));
    }

    static String kindName(int kind) {
        return switch (kind) {
            case KIND_APPLICATION -> "an application image";
            case KIND_UPD -> "a unique-per-dock section";
            default -> "an image of unknown kind " + kind;
        };
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

    /** The image's SHA-256 digest (header and index, which holds every entry's hash). */
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

    /** Bytes the image occupies. */
    public int length() {
        return imageLength;
    }

    /** Payload bytes: UTF-8 names plus values of every entry. */
    public long payload() {
        return payload;
    }

    /** The entries of known namespaces, in index order; unmodifiable. */
    public List<RomEntry> entries() {
        return List.of(entries);
    }

    public Optional<RomEntry> find(Namespace namespace, String name) {
        return Optional.ofNullable(byName.get(namespace).get(name));
    }

    /** The names in a namespace, sorted; unmodifiable. */
    public List<String> names(Namespace namespace) {
        return names.get(namespace);
    }

    /** A read-only slice of the map holding the entry's bytes: no copy. */
    public ByteBuffer slice(RomEntry entry) {
        return map.slice(base + entry.offset(), entry.length()).asReadOnlyBuffer();
    }

    /**
     * Whether the entry's bytes match their hash; computed once, then cached. A mismatch is recorded
     * in {@link #problems()}.
     */
    public boolean verify(RomEntry entry) {
        int state = states.get(position(entry));
        if (state != UNCHECKED) {
            return state == SOUND;
        }
        MessageDigest sha = sha256();
        sha.update(map.slice(base + entry.offset(), entry.length()));
        boolean sound = MessageDigest.isEqual(sha.digest(), hashes[position(entry)]);
        states.set(position(entry), sound ? SOUND : CORRUPTED);
        if (!sound) {
            problems.add(entry.namespace().id() + " entry \"" + entry.name() + "\" of " + kindName(kind)
                    + " fails its SHA-256");
        }
        return sound;
    }

    /** Verifies every entry not yet verified; returns the problems known afterwards. */
    public List<String> verifyAll() {
        for (RomEntry entry : entries) {
            verify(entry);
        }
        return problems();
    }

    /** The corrupted entries found so far, sorted; unmodifiable. */
    public List<String> problems() {
        List<String> list = new ArrayList<>(problems);
        Collections.sort(list);
        return Collections.unmodifiableList(list);
    }

    private int position(RomEntry entry) {
        int i = entry.index();
        if (i < 0 || i >= entries.length || !entries[i].equals(entry)) {
            throw new IllegalArgumentException(entry + " is not an entry of this image");
        }
        return i;
    }
}
