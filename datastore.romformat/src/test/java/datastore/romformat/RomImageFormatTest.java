package datastore.romformat;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.Test;

import datastore.Namespace;
import datastore.romformat.RomImageFormat.Source;

public class RomImageFormatTest {

    private static Source kv(String name, String value) {
        return new Source(Namespace.KV, name, 0, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    }

    private static final List<Source> SOURCES = List.of(kv("zeta", "last"), kv("alpha", "first"),
            new Source(Namespace.IMAGE, "logo", 2, ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5})),
            new Source(Namespace.CODE, "main", 0, ByteBuffer.wrap("print()".getBytes(StandardCharsets.UTF_8))),
            kv("empty", ""), kv("ünïcödé", "välue"));

    private static RomImage read(byte[] image) throws RomImageException {
        return RomImage.read(ByteBuffer.wrap(image).asReadOnlyBuffer(), 0, image.length, RomImageFormat.KIND_APPLICATION);
    }

    @Test
    public void roundTripKeepsImagesAlignedAndEntriesSorted() throws Exception {
        byte[] image = RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, SOURCES);
        assertEquals(RomImageFormat.encodedLength(SOURCES), image.length);
        assertEquals(0, image.length % RomImageFormat.ALIGNMENT);
        RomImage read = read(image);
        assertEquals("mounting hashes no page", 0, read.verifiedPages());
        assertEquals(6, read.entries().size());
        assertEquals(List.of("alpha", "empty", "zeta", "ünïcödé"), read.names(Namespace.KV));
        long payload = 0;
        for (Source source : SOURCES) {
            RomEntry entry = read.find(source.namespace(), source.name()).orElseThrow();
            if (source.namespace() == Namespace.IMAGE) {
                assertEquals(0, entry.offset() % RomImageFormat.ALIGNMENT);
            }
            assertEquals(source.format(), entry.format());
            assertEquals(source.data(), read.slice(entry));
            assertTrue(read.verify(entry));
            payload += source.name().getBytes(StandardCharsets.UTF_8).length + source.data().remaining();
        }
        assertEquals(payload, read.payload());
        assertFalse(read.signed());
        assertArrayEquals(RomImageFormat.digestOf(image), read.digest());
        assertTrue(read.verifyAll().isEmpty());
    }

    @Test
    public void encodingIsDeterministicWhateverTheOrder() {
        List<Source> reversed = new java.util.ArrayList<>(SOURCES);
        java.util.Collections.reverse(reversed);
        assertArrayEquals(RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, SOURCES),
                RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, reversed));
    }

    @Test
    public void duplicateNamesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, List.of(kv("a", "1"), kv("a", "2"))));
    }

    @Test
    public void everyHeaderAndPageTableByteIsCheckedAtMount() throws Exception {
        byte[] image = RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, SOURCES);
        int pagedStart = (int) RomImageFormat.pagedStart(ByteBuffer.wrap(image).getInt(RomImageFormat.OFF_PAGE_COUNT));
        for (int at = 0; at < pagedStart; at++) {
            byte[] damaged = image.clone();
            damaged[at] ^= 0x10;
            int offset = at;
            RomImageException e = assertThrows("byte " + offset, RomImageException.class, () -> read(damaged));
            assertFalse(e.getMessage().isEmpty());
        }
    }

    @Test
    public void pageDamageIsCaughtWhenThePageIsFirstTouched() throws Exception {
        byte[] image = RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, SOURCES);
        RomImage clean = read(image);
        RomEntry logo = clean.find(Namespace.IMAGE, "logo").orElseThrow();
        byte[] damaged = image.clone();
        damaged[logo.offset() + 2] ^= 1;
        RomImage read = read(damaged);
        assertTrue("the mount does not see it", read.problems().isEmpty());
        assertEquals(0, read.verifiedPages());
        assertFalse(read.verify(logo));
        assertEquals(1, read.problems().size());
        assertTrue(read.problems().get(0), read.problems().get(0).contains("page 0"));
        assertEquals("a small image is one page", 1, read.verifiedPages());
        // Its hash table and index share the page, so nothing of it can be found any more.
        assertThrows(datastore.CorruptedEntryException.class, () -> read.find(Namespace.KV, "alpha"));
        assertTrue(read.entries().isEmpty());
    }

    @Test
    public void wrongKindVersionAndSizeAreNamed() throws Exception {
        byte[] image = RomImageFormat.encode(RomImageFormat.KIND_UPD, SOURCES);
        RomImageException kind = assertThrows(RomImageException.class, () -> read(image));
        assertTrue(kind.getMessage(), kind.getMessage().contains("unique-per-dock"));
        for (int v : new int[] {1, 4}) {
            byte[] other = image.clone();
            other[9] = (byte) v;
            RomImageException version = assertThrows(RomImageException.class, () -> RomImage.read(
                    ByteBuffer.wrap(other), 0, other.length, RomImageFormat.KIND_UPD));
            assertTrue(version.getMessage(), version.getMessage().contains("unsupported format version " + v));
            assertEquals("a version changed without its checksum is damage, not a newer image", 0,
                    version.newerVersion());
        }
        // A newer version with a sound checksum is a newer image: refused as such, not as damage.
        byte[] newer = image.clone();
        newer[9] = 4;
        RomImageFormatTest.reseal(newer);
        RomImageException version = assertThrows(RomImageException.class, () -> RomImage.read(
                ByteBuffer.wrap(newer), 0, newer.length, RomImageFormat.KIND_UPD));
        assertEquals(4, version.newerVersion());
        assertTrue(version.getMessage(), version.getMessage().contains("newer than this dock"));
        RomImageException small = assertThrows(RomImageException.class, () -> RomImage.read(
                ByteBuffer.wrap(image), 0, image.length - 16, RomImageFormat.KIND_UPD));
        assertTrue(small.getMessage(), small.getMessage().contains("does not fit"));
    }

    @Test
    public void entriesOfUnknownNamespacesAreSkipped() throws Exception {
        byte[] image = RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, List.of(kv("a", "1")));
        // Rewrite the namespace code to one this reader does not know, rehash the page, reseal the header.
        ByteBuffer in = ByteBuffer.wrap(image);
        int paged = (int) RomImageFormat.pagedStart(in.getInt(RomImageFormat.OFF_PAGE_COUNT));
        int record = in.getInt(paged + RomImageFormat.BUCKET_SIZE * firstNonEmpty(image, paged));
        image[record] = (byte) 200;
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(image, paged, image.length - paged);
        System.arraycopy(sha.digest(), 0, image, RomImageFormat.HEADER_SIZE, 32);
        byte[] resealed = reseal(image);
        RomImage read = read(resealed);
        assertTrue(read.entries().isEmpty());
        assertEquals(2, read.payload());
    }

    private static int firstNonEmpty(byte[] image, int paged) {
        for (int slot = 0;; slot++) {
            if (ByteBuffer.wrap(image).getInt(paged + RomImageFormat.BUCKET_SIZE * slot) != 0) {
                return slot;
            }
        }
    }

    /** Recomputes the digest over header and page table and the header CRC, as a forger would. */
    static byte[] reseal(byte[] image) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(image);
        int paged = (int) RomImageFormat.pagedStart(in.getInt(RomImageFormat.OFF_PAGE_COUNT));
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(image, 0, 48);
        sha.update(image, RomImageFormat.HEADER_SIZE, paged - RomImageFormat.HEADER_SIZE);
        System.arraycopy(sha.digest(), 0, image, 48, 32);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(image, 0, 252);
        in.putInt(252, (int) crc.getValue());
        return image;
    }

    /**
     * The signed generation and dock id of a bound image are inside what the signature covers: changed and
     * resealed (digest and CRC recomputed, as anyone can), the image reads but its signature fails.
     */
    @Test
    public void aBoundImagesGenerationAndDockIdAreSigned() throws Exception {
        java.security.KeyPair keys = RomSigningKeys.generate();
        byte[] unsigned = RomImageFormat.encode(RomImageFormat.KIND_UPD, java.util.List.of(new RomImageFormat.Source(
                datastore.Namespace.KV, "token", 0, java.nio.ByteBuffer.wrap("t".getBytes()))));
        byte[] signed = RomImageFormat.sign(RomImageFormat.bind(unsigned, 3, "DOCK-A"), keys.getPrivate());
        RomImage image = RomImage.read(java.nio.ByteBuffer.wrap(signed), 0, signed.length, RomImageFormat.KIND_UPD);
        assertEquals(3, image.signedGeneration());
        assertEquals("DOCK-A", image.dockId());
        assertTrue(image.signatureVerifies(keys.getPublic()));
        for (int[] change : new int[][] {{RomImageFormat.OFF_GENERATION + 7, 0x0C}, {RomImageFormat.OFF_DOCK_ID + 6, 0x02},
            {RomImageFormat.OFF_DOCK_ID + 40, 0x01}}) {
            byte[] forged = signed.clone();
            forged[change[0]] ^= (byte) change[1];
            RomImageFormat.seal(forged);
            RomImage read = RomImage.read(java.nio.ByteBuffer.wrap(forged), 0, forged.length, RomImageFormat.KIND_UPD);
            assertFalse("changed byte " + change[0], read.signatureVerifies(keys.getPublic()));
        }
        org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> RomImageFormat.bind(unsigned, 1,
                "x".repeat(64)));
        org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> RomImageFormat.bind(unsigned, -1, ""));
    }
}
