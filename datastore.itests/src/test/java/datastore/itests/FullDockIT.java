package datastore.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;

import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.KvStore;
import datastore.Partitions;
import datastore.StaleTokenException;
import datastore.image.ImageType;
import datastore.spi.PartitionStore;
import datastore.spi.RomContent;
import datastore.spi.RomContent.RomImage;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;
import datastore.system.ApplicationCodeStore;
import datastore.system.FactoryReset;

/**
 * The full dock with its three partitions on real files: ROM data overridden by runtime and then
 * ephemeral values, removal uncovering lower values, ROM replace under concurrent reads, factory
 * reset, and hot deploy of the ephemeral bundle through the deploy folder.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FullDockIT extends DockTestSupport {

    private KvStore kv;
    private ImageStore images;
    private RomProvisioning rom;
    private final byte[] romSplash = TestImages.encode("png", 120, 90);

    @Override
    protected String product() {
        return "dock";
    }

    @Before
    public void provisionRom() {
        service(PartitionStore.class, "(&(datastore.partition=rom)(service.ranking=100))");
        service(PartitionStore.class, "(&(datastore.partition=runtime)(service.ranking=200))");
        service(PartitionStore.class, "(&(datastore.partition=ephemeral)(service.ranking=300))");
        kv = service(KvStore.class);
        images = service(ImageStore.class);
        rom = service(RomProvisioning.class);
        service(FactoryReset.class).reset();
        rom.replace(romContent("factory", 1));
    }

    private RomContent romContent(String origin, int generation) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("dock_name", "RW02-0005");
        settings.put("content_url", "https://content.example.com/" + origin);
        for (int i = 0; i < 50; i++) {
            settings.put("setting-" + i, origin + "-" + generation + "-" + i);
        }
        return new RomContent(("print('" + origin + "')").getBytes(), settings,
                Map.of("splash", new RomImage(ImageType.PNG, romSplash)));
    }

    @Test
    public void romValuesAreOverriddenByRuntimeThenEphemeralAndUncoveredOnRemoval() {
        assertEquals("https://content.example.com/factory", kv.get("content_url"));
        assertEquals(Partitions.ROM, kv.lookup("content_url").orElseThrow().partition());
        assertEquals(Partitions.ROM, images.lookup("splash").orElseThrow().partition());

        kv.put("content_url", "https://runtime.example.com", Partitions.RUNTIME);
        assertEquals("https://runtime.example.com", kv.get("content_url"));
        kv.put("content_url", "https://ephemeral.example.com", Partitions.EPHEMERAL);
        assertEquals("https://ephemeral.example.com", kv.get("content_url"));
        assertEquals(Partitions.EPHEMERAL, kv.lookup("content_url").orElseThrow().partition());

        assertTrue(kv.remove("content_url", Partitions.EPHEMERAL));
        assertEquals(Partitions.RUNTIME, kv.lookup("content_url").orElseThrow().partition());
        assertTrue(kv.remove("content_url", Partitions.RUNTIME));
        assertEquals("https://content.example.com/factory", kv.get("content_url"));

        byte[] runtimeSplash = TestImages.encode("bmp", 20, 10);
        images.put("splash", runtimeSplash, ImageType.BMP, Partitions.RUNTIME);
        assertEquals(ImageType.BMP, images.get("splash").type());
        assertTrue(images.remove("splash", Partitions.RUNTIME));
        assertEquals(ImageType.PNG, images.get("splash").type());
        assertArrayEquals(romSplash, bytes(images.get("splash").data()));
    }

    @Test
    public void theDefaultPartitionIsRuntimeAndCodeComesFromTheHighestPartition() {
        kv.put("network", "wifi");
        assertEquals(Partitions.RUNTIME, kv.lookup("network").orElseThrow().partition());
        ApplicationCodeStore code = service(ApplicationCodeStore.class);
        assertEquals(Partitions.ROM, code.current().orElseThrow().partition());
        code.deploy("print('dev')".getBytes(), Partitions.EPHEMERAL);
        assertEquals(Partitions.EPHEMERAL, code.current().orElseThrow().partition());
        assertEquals("print('dev')", new String(bytes(code.current().orElseThrow().source())));
    }

    @Test
    public void factoryResetEmptiesRuntimeAndEphemeralAndKeepsTheRom() {
        Map<String, String> firstBoot = visibleSettings();
        kv.put("dock_name", "renamed", Partitions.RUNTIME);
        kv.put("token", "abc", Partitions.RUNTIME);
        kv.put("session", "xyz", Partitions.EPHEMERAL);
        images.put("photo", TestImages.encode("jpeg", 16, 16), ImageType.JPEG, Partitions.EPHEMERAL);

        List<String> emptied = service(FactoryReset.class).reset();
        assertEquals(Set.of(Partitions.RUNTIME, Partitions.EPHEMERAL), Set.copyOf(emptied));
        assertEquals(firstBoot, visibleSettings());
        assertEquals(List.of("splash"), images.list());
        assertEquals("RW02-0005", kv.get("dock_name"));
    }

    private Map<String, String> visibleSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String key : kv.list()) {
            settings.put(key, kv.get(key) + "@" + kv.lookup(key).orElseThrow().partition());
        }
        return settings;
    }

    @Test
    public void aRomReplaceUnderConcurrentReadsIsSeenWholeAndOldTokensNeverYieldNewBytes() throws Exception {
        ImageToken before = images.getToken("splash");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            readers.add(new Thread(() -> {
                while (running.get()) {
                    for (int i = 0; i < 50 && running.get(); i++) {
                        String value = kv.get("setting-" + i);
                        if (!value.matches("(factory-1|update-[2-5])-" + i)) {
                            failures.add("setting-" + i + " read as '" + value + "'");
                        }
                        reads.incrementAndGet();
                    }
                }
            }));
        }
        readers.forEach(Thread::start);
        try {
            for (int generation = 2; generation <= 5; generation++) {
                RomInfo info = rom.replace(romContent("update", generation));
                assertTrue(info.problem().isEmpty());
                assertEquals("update-" + generation + "-7", kv.get("setting-7"));
            }
        } finally {
            running.set(false);
            for (Thread reader : readers) {
                reader.join(10_000);
            }
        }
        assertEquals("bad reads: " + failures.stream().limit(5).toList(), 0, failures.size());
        assertTrue(reads.get() > 0);
        try (ImageView view = images.open(before)) {
            // Still resolvable only if it yields exactly the bytes it was issued for.
            assertArrayEquals(romSplash, bytes(view.bytes()));
            throw new AssertionError("a token issued before a replace must be stale after it");
        } catch (StaleTokenException expected) {
            // the documented answer
        }
        ImageToken after = images.getToken("splash");
        try (ImageView view = images.open(after)) {
            assertArrayEquals(romSplash, bytes(view.bytes()));
            assertTrue("a ROM view is not a heap copy", view.bytes().isDirect());
        }
    }

    @Test
    public void aJarCopiedIntoTheDeployFolderReplacesTheEphemeralBundleKeepingItsData() throws Exception {
        kv.put("survivor", "still here", Partitions.EPHEMERAL);
        Bundle ephemeral = bundle("datastore.ephemeral");
        long before = ephemeral.getLastModified();
        Path deploy = Paths.get(context.getProperty("felix.fileinstall.dir"));
        Path jar = Paths.get(System.getProperty("itest.ephemeral.jar"));
        CountDownLatch updated = new CountDownLatch(1);
        BundleListener listener = event -> {
            if (event.getBundle().equals(ephemeral) && event.getType() == BundleEvent.UPDATED) {
                updated.countDown();
            }
        };
        context.addBundleListener(listener);
        try {
            Files.copy(jar, deploy.resolve("datastore.ephemeral.jar"), StandardCopyOption.REPLACE_EXISTING);
            assertTrue("FileInstall updated the bundle within 20 s", updated.await(20, TimeUnit.SECONDS));
        } finally {
            context.removeBundleListener(listener);
        }
        assertTrue("the bundle was replaced", ephemeral.getLastModified() > before);
        service(PartitionStore.class, "(datastore.partition=ephemeral)");
        assertEquals("still here", kv.get("survivor"));
        assertEquals(Partitions.EPHEMERAL, kv.lookup("survivor").orElseThrow().partition());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
