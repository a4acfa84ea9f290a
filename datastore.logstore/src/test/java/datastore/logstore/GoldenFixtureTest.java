package datastore.logstore;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;

import org.junit.Test;

/**
 * Mounts the committed flash images of every runtime format version (written by
 * {@link FixtureWriter} with the code of their time) and reads every entry of their manifests, so a
 * format change cannot pass the build without keeping them readable.
 */
public class GoldenFixtureTest {

    /** A fixture: its image on a fresh in-memory flash and the entries its manifest lists. */
    record Fixture(NorFlash flash, FlashRegion region, long capacity, int maxEntries, Map<String, byte[]> entries,
            List<String> absent) {
    }

    static Fixture load(String name) {
        try {
            String manifest;
            try (InputStream in = resource(name + ".manifest")) {
                manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            byte[] image;
            try (InputStream in = new GZIPInputStream(resource(name + ".img.gz"))) {
                image = in.readAllBytes();
            }
            Map<String, byte[]> entries = new HashMap<>();
            List<String> absent = new java.util.ArrayList<>();
            long size = 0;
            int block = 0;
            int program = 0;
            long capacity = 0;
            int maxEntries = 0;
            for (String line : manifest.split("\n")) {
                String[] f = line.split(" ");
                if (line.startsWith("#") || line.isEmpty()) {
                    continue;
                } else if (f[0].equals("geometry")) {
                    size = Long.parseLong(f[1]);
                    block = Integer.parseInt(f[2]);
                    program = Integer.parseInt(f[3]);
                    capacity = Long.parseLong(f[4]);
                    maxEntries = Integer.parseInt(f[5]);
                } else if (f[0].equals("absent")) {
                    absent.add(f[1] + "/" + f[2]);
                } else {
                    entries.put(f[0] + "/" + f[1], Base64.getDecoder().decode(f[2]));
                }
            }
            assertEquals(name + ": image size", size, image.length);
            NorFlash flash = NorFlash.inMemory(size, block, program);
            FlashRegion region = flash.region("runtime", 0, size);
            region.program(0, ByteBuffer.wrap(image));
            return new Fixture(flash, region, capacity, maxEntries, entries, absent);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = GoldenFixtureTest.class.getResourceAsStream("/fixtures/" + name);
        assertNotNull("missing test resource fixtures/" + name, in);
        return in;
    }

    static Namespace namespace(String key) {
        return key.startsWith("kv/") ? Namespace.KV : Namespace.IMAGE;
    }

    static String name(String key) {
        return key.substring(key.indexOf('/') + 1);
    }

    /** Checks that the store holds exactly the fixture's entries. */
    static void assertHolds(String what, LogStore store, Fixture fixture) {
        for (Map.Entry<String, byte[]> e : fixture.entries().entrySet()) {
            byte[] value = Stores.get(store, namespace(e.getKey()), name(e.getKey()));
            assertArrayEquals(what + ": " + e.getKey(), e.getValue(), value);
        }
        for (String key : fixture.absent()) {
            assertFalse(what + ": removed " + key + " is back", store.open(namespace(key), name(key)).isPresent());
        }
        int listed = store.names(Namespace.KV).size() + store.names(Namespace.IMAGE).size();
        assertEquals(what + ": listed names", fixture.entries().size(), listed);
    }

    @Test
    public void formatVersion2IsReadMigratedAndStaysReadableThroughCollection() throws IOException {
        assertReadMigratedAndReadableThroughCollection("runtime-v2");
    }

    /** Format 3 (markers after the commit words) migrates to format 4 the same way. */
    @Test
    public void formatVersion3IsReadMigratedAndStaysReadableThroughCollection() throws IOException {
        assertReadMigratedAndReadableThroughCollection("runtime-v3");
    }

    @Test
    public void formatVersion4IsReadInFull() {
        Fixture fixture = load("runtime-v4");
        LogStore store = Stores.mount(fixture.region(), fixture.capacity());
        assertTrue("problems: " + store.problems(), store.problems().isEmpty());
        assertHolds("v4", store, fixture);
        assertTrue(fixture.entries().size() > 10);
    }

    /**
     * Mounts an older fixture (which writes nothing), writes once (which writes an anchor of this
     * build's format before its record), then writes until collection has copied every older record.
     */
    private static void assertReadMigratedAndReadableThroughCollection(String name) throws IOException {
        Fixture fixture = load(name);
        byte[] before = bytes(fixture.region());
        LogStore store = Stores.mount(fixture.region(), fixture.capacity());
        assertTrue("problems: " + store.problems(), store.problems().isEmpty());
        assertHolds(name, store, fixture);
        assertTrue(fixture.entries().size() > 10);
        assertArrayEquals(name + ": mounting wrote", before, bytes(fixture.region()));
        Map<String, byte[]> model = new HashMap<>(fixture.entries());
        Stores.apply(store, Stores.put("first", Stores.value(80000, 20)));
        model.put("kv/first", Stores.value(80000, 20));
        ByteBuffer map = fixture.region().map();
        assertEquals(name + ": the first write records the format", LogFormat.VERSION,
                map.get((int) store.newestAnchorAt() + 4));
        // Migrated: the anchor now records the format; the older records are still read.
        LogStore migrated = Stores.mount(fixture.region(), fixture.capacity());
        assertTrue("problems: " + migrated.problems(), migrated.problems().isEmpty());
        assertHolds(name + " migrated", migrated, new Fixture(null, null, 0, 0, model, fixture.absent()));
        // Writes go on in this format until collection has left every older record behind.
        for (int i = 0; i < 300; i++) {
            String key = "kv/k" + (i % 5);
            byte[] value = Stores.value(90000 + i, 40);
            migrated.apply(List.of(Stores.put(name(key), value)));
            model.put(key, value);
        }
        LogStore after = Stores.mount(fixture.region(), fixture.capacity());
        assertTrue("problems: " + after.problems(), after.problems().isEmpty());
        assertHolds(name + " after collection", after, new Fixture(null, null, 0, 0, model, List.of()));
    }

    @Test
    public void formatVersion1IsRefusedByNameAndLeftUntouched() throws IOException {
        Fixture fixture = load("runtime-v1");
        byte[] before = bytes(fixture.region());
        LogStore store = new LogStore(fixture.region(), fixture.capacity(), 100);
        RefusedRegionException e = org.junit.Assert.assertThrows(RefusedRegionException.class,
                store::mount);
        assertTrue(e.getMessage(), e.getMessage().contains("format 1 (the block-header log"));
        assertArrayEquals("the region changed", before, bytes(fixture.region()));
        assertEquals(10, fixture.entries().size());
    }

    private static byte[] bytes(FlashRegion region) throws IOException {
        ByteBuffer map = region.map();
        byte[] bytes = new byte[map.capacity()];
        map.get(0, bytes);
        return bytes;
    }

    /**
     * The migration of a format-2 log by its first writes, with the power cut at every flash
     * operation: the remounted log holds every fixture entry, every write that returned, and the
     * write in flight wholly or not at all.
     */
    @Test
    public void migratingFormat2IsPowerSafe() throws IOException {
        System.out.println("migration power cuts: v2 points=" + migrationPowerCuts("runtime-v2"));
    }

    /** The same for a format-3 log. */
    @Test
    public void migratingFormat3IsPowerSafe() throws IOException {
        System.out.println("migration power cuts: v3 points=" + migrationPowerCuts("runtime-v3"));
    }

    private static long migrationPowerCuts(String name) throws IOException {
        long points = 0;
        for (long n = 0;; n++) {
            Fixture fixture = load(name);
            datastore.device.FaultInjectingRegion faulty = new datastore.device.FaultInjectingRegion(fixture.region());
            faulty.cutPowerAfter(n);
            Map<String, byte[]> model = new HashMap<>(fixture.entries());
            Map<String, byte[]> inFlight = null;
            LogStore store = Stores.mount(faulty, fixture.capacity());
            for (int i = 0; i < 60 && inFlight == null; i++) {
                String key = "kv/k" + (i % 7);
                byte[] value = Stores.value(70000 + i, 30 + i);
                try {
                    store.apply(List.of(Stores.put(name(key), value)));
                    model.put(key, value);
                } catch (RuntimeException e) {
                    assertTrue(e.toString(), PowerLossTest.isPowerCut(e));
                    inFlight = new HashMap<>(model);
                    inFlight.put(key, value);
                }
            }
            if (inFlight == null) {
                assertTrue("the cuts must reach the migration and collection", points > 30
                        && java.util.Arrays.stream(store.eraseCounts()).sum() > 2);
                return points;
            }
            points++;
            LogStore mounted = Stores.mount(fixture.region(), fixture.capacity());
            Map<String, byte[]> got = new HashMap<>();
            for (Namespace ns : new Namespace[] {Namespace.KV, Namespace.IMAGE}) {
                for (String entry : mounted.names(ns)) {
                    got.put(ns.id() + "/" + entry, Stores.get(mounted, ns, entry));
                }
            }
            boolean before = got.keySet().equals(model.keySet());
            boolean after = got.keySet().equals(inFlight.keySet());
            for (Map.Entry<String, byte[]> e : got.entrySet()) {
                before &= java.util.Arrays.equals(e.getValue(), model.get(e.getKey()));
                after &= java.util.Arrays.equals(e.getValue(), inFlight.get(e.getKey()));
            }
            assertTrue(name + ": cut after operation " + n + ": " + mounted.problems(), before || after);
        }
    }
}
