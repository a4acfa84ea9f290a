package datastore.logstore;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;

/**
 * Writes a golden fixture with the code of the build it runs in: a small flash image (gzip) after
 * mixed writes, overwrites, removals, batches and several garbage collections, and a manifest of
 * every entry it must hold. Run by hand when a format version is introduced:
 * {@code java -cp <test and main classes, api, device> datastore.logstore.FixtureWriter <dir> <name>};
 * {@link GoldenFixtureTest} mounts every committed fixture. {@code runtime-v1} predates this class: it
 * was written by the code of commit 30e1ba2^ (its tree compiled on its own, 300 single puts and
 * removals over 12 names), as its manifest says.
 */
final class FixtureWriter {
    static final int BLOCK = 4096;
    static final int PROGRAM = 16;
    static final long CAPACITY = 3 * 1024;
    static final int MAX_ENTRIES = 24;

    private FixtureWriter() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        String name = args[1];
        FlashGeometry probe = new FlashGeometry(BLOCK * 1024L, BLOCK, PROGRAM);
        int blocks = (int) LogStore.requiredBlocks(CAPACITY, probe);
        long size = (long) blocks * BLOCK;
        NorFlash flash = NorFlash.inMemory(size, BLOCK, PROGRAM);
        FlashRegion region = flash.region("runtime", 0, size);
        LogStore store = Stores.mount(region, CAPACITY);
        Random random = new Random(2026);
        Map<String, byte[]> model = new TreeMap<>();
        int writes = 0;
        while (writes < 1500) {
            int kind = random.nextInt(10);
            List<Change> batch = new ArrayList<>();
            int changes = kind < 7 ? 1 : 2 + random.nextInt(3);
            Map<String, byte[]> after = new TreeMap<>(model);
            for (int c = 0; c < changes; c++) {
                Namespace ns = random.nextInt(6) == 0 ? Namespace.IMAGE : Namespace.KV;
                String key = ns.id() + "/k" + random.nextInt(12);
                String entryName = "k" + key.substring(key.indexOf('/') + 2);
                if (random.nextInt(5) == 0) {
                    batch.add(Change.remove(ns, entryName));
                    after.remove(key);
                } else {
                    byte[] value = Stores.value(writes * 7L + c, 1 + random.nextInt(200));
                    batch.add(Change.put(ns, entryName, 0, ByteBuffer.wrap(value)));
                    after.put(key, value);
                }
            }
            long payload = 0;
            for (Map.Entry<String, byte[]> e : after.entrySet()) {
                payload += e.getKey().length() - e.getKey().indexOf('/') - 1 + e.getValue().length
                        + LogFormat.ENTRY_CHARGE;
            }
            if (payload > CAPACITY) {
                continue;
            }
            store.apply(batch);
            model = after;
            writes++;
        }
        long[] erases = store.eraseCounts();
        long total = 0;
        for (long e : erases) {
            total += e;
        }
        if (total < 2 * blocks) {
            throw new IllegalStateException("the workload collected too little: " + total + " erases");
        }
        byte[] image = new byte[(int) size];
        region.map().get(0, image);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".img.gz")))) {
            out.write(image);
        }
        StringBuilder manifest = new StringBuilder();
        manifest.append("# golden fixture of the runtime partition: geometry, then namespace, name, base64 value\n");
        manifest.append("geometry ").append(size).append(' ').append(BLOCK).append(' ').append(PROGRAM).append(' ')
                .append(CAPACITY).append(' ').append(MAX_ENTRIES).append('\n');
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            String key = e.getKey();
            Namespace ns = key.startsWith("kv/") ? Namespace.KV : Namespace.IMAGE;
            String entryName = key.substring(key.indexOf('/') + 1);
            Optional<EntryView> view = store.open(ns, entryName);
            if (view.isEmpty()) {
                throw new IllegalStateException(key + " is missing from the store that wrote it");
            }
            view.get().close();
            manifest.append(ns.id()).append(' ').append(entryName).append(' ')
                    .append(Base64.getEncoder().encodeToString(e.getValue())).append('\n');
        }
        for (int k = 0; k < 12; k++) {
            for (Namespace ns : new Namespace[] {Namespace.KV, Namespace.IMAGE}) {
                if (!model.containsKey(ns.id() + "/k" + k)) {
                    manifest.append("absent ").append(ns.id()).append(" k").append(k).append('\n');
                }
            }
        }
        Files.writeString(dir.resolve(name + ".manifest"), manifest.toString(), StandardCharsets.UTF_8);
        System.out.println(name + ": " + blocks + " blocks, " + model.size() + " entries, " + total + " erases");
    }
}
