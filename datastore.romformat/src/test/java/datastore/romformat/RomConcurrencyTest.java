package datastore.romformat;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;

import datastore.Namespace;
import datastore.device.NorFlash;
import datastore.flash.FlashRegion;
import datastore.spi.EntryView;

/**
 * Lock-free reads racing replaces: a view's bytes always belong to the generation its revision names,
 * because a replace never erases a slot while a view of it is open.
 */
public class RomConcurrencyTest {

    @Test
    public void viewsOpenedDuringReplacesAlwaysShowTheirOwnGeneration() throws Exception {
        NorFlash flash = RomFixtures.smallFlash();
        FlashRegion region = RomFixtures.romRegion(flash);
        RomStore store = RomFixtures.mount(region, null, Duration.ofSeconds(10));
        store.replace(RomFixtures.content("g1"), RomFixtures.FORMATS);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        Runnable reader = () -> {
            while (!stop.get()) {
                try (EntryView view = store.open(Namespace.KV, "dock_name").orElseThrow()) {
                    String before = RomStoreTest.utf8(view.data());
                    Thread.yield();
                    String after = RomStoreTest.utf8(view.data());
                    String expected = "RW02-g" + (view.revision() >>> 32);
                    if (!expected.equals(before) || !expected.equals(after)) {
                        failures.add("revision " + view.revision() + " showed " + before + " then " + after);
                    }
                    reads.incrementAndGet();
                } catch (RuntimeException e) {
                    failures.add(e.toString());
                }
            }
        };
        Runnable decoder = () -> {
            while (!stop.get()) {
                try {
                    // The decoder sees the bytes of one generation; which one is not known here, so check the form.
                    String value = store.read(Namespace.KV, "dock_name", RomStoreTest::utf8).orElseThrow();
                    if (!value.matches("RW02-g[0-9]+")) {
                        failures.add("read showed " + value);
                    }
                    reads.incrementAndGet();
                } catch (RuntimeException e) {
                    failures.add(e.toString());
                }
            }
        };
        List<Thread> threads = List.of(new Thread(reader), new Thread(reader), new Thread(decoder));
        threads.forEach(Thread::start);
        try {
            for (int generation = 2; generation <= 40; generation++) {
                assertEquals(generation, store.replace(RomFixtures.content("g" + generation), RomFixtures.FORMATS)
                        .generation());
            }
        } finally {
            stop.set(true);
            for (Thread thread : threads) {
                thread.join();
            }
        }
        assertTrue(failures.toString(), failures.isEmpty());
        assertTrue(reads.get() > 0);
        assertEquals("RW02-g40", RomStoreTest.read(store, "dock_name"));
    }
}
