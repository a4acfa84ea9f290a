package datastore.logstore;

import static org.junit.Assert.assertEquals;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import datastore.DatastoreException;
import datastore.Namespace;
import datastore.PartitionFullException;
import datastore.device.FaultInjectingRegion;
import datastore.device.NorFlash;
import datastore.device.PowerCutException;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.spi.Change;
import datastore.spi.EntryView;

import org.junit.Test;

/**
 * Replays a deterministic workload with the power cut at every program and erase (and, separately,
 * with every program torn halfway), remounts the flash as it was left, and checks that every write
 * that returned is there, the write in flight is wholly there or wholly absent, and nothing else
 * changed. Each test prints one summary line.
 */
public class PowerLossTest {
    static final int BLOCK = 4096;

    /**
     * One workload: its geometry and its writes (an empty write stands for {@link LogStore#clear()});
     * with {@code views}, the replay keeps views open on large values across writes, so collection
     * meets pinned records and the head pads over blocks it may not erase.
     */
    record Workload(int blocks, int programSize, long capacity, List<List<Change>> writes,
            boolean views) {
        FlashGeometry geometry() {
            return new FlashGeometry((long) blocks * BLOCK, BLOCK, programSize);
        }
    }

    record Outcome(long points, long lost, long phantom, long unmountable) {
    }

    @Test
    public void powerCutAtEveryOperation() {
        report("cut", run(workload(1, 16, 700), false));
    }

    @Test
    public void tornProgramAtEveryProgram() {
        report("torn", run(workload(2, 16, 700), true));
    }

    @Test
    public void powerCutAtEveryOperationWithLargeProgramUnits() {
        report("cut, 256-byte program unit", run(workload(3, 256, 2000), false));
    }

    @Test
    public void tornProgramWithByteProgramUnits() {
        report("torn, 1-byte program unit", run(workload(4, 1, 700), true));
    }

    @Test
    public void powerCutAtEveryOperationWithLargeValuesClearsAndOpenViews() {
        report("cut, large values", run(largeValues(7, 16, 380), false));
    }

    @Test
    public void tornProgramWithLargeValuesClearsAndOpenViews() {
        report("torn, large values", run(largeValues(8, 16, 380), true));
    }

    @Test
    public void powerCutAtEveryOperationSecondWorkload() {
        report("cut, second workload", run(workload(5, 16, 700), false));
    }

    @Test
    public void tornProgramAtEveryProgramSecondWorkload() {
        report("torn, second workload", run(workload(6, 16, 700), true));
    }

    private static void report(String what, Outcome o) {
        System.out.println("power-cut: points=" + o.points() + " lost=" + o.lost() + " phantom=" + o.phantom()
                + " unmountable=" + o.unmountable());
        assertEquals(what + ": lost writes", 0, o.lost());
        assertEquals(what + ": phantom writes", 0, o.phantom());
        assertEquals(what + ": unmountable images", 0, o.unmountable());
    }

    /**
     * A mixed workload over a small set of names (so there is plenty of garbage): single puts and
     * overwrites, removals, batches, values spanning blocks and values large enough for blocks of
     * their own; what they count (names, values, the entry charge) stays within the capacity.
     */
    static Workload workload(long seed, int programSize, int writes) {
        Random random = new Random(seed);
        long capacity = 24 * 1024;
        FlashGeometry probe = new FlashGeometry(BLOCK * 1024L, BLOCK, programSize);
        int blocks = (int) LogStore.requiredBlocks(capacity, probe);
        Map<String, Integer> sizes = new HashMap<>();
        List<List<Change>> all = new ArrayList<>();
        int serial = 0;
        while (all.size() < writes) {
            int kind = random.nextInt(20);
            int changes = kind < 14 ? 1 : 2 + random.nextInt(3);
            List<Change> batch = new ArrayList<>();
            Map<String, Integer> after = new HashMap<>(sizes);
            for (int c = 0; c < changes; c++) {
                String name = "k" + random.nextInt(14);
                if (kind >= 12 && kind < 14 && after.containsKey(name)) {
                    batch.add(Change.remove(Namespace.KV, name));
                    after.remove(name);
                    continue;
                }
                int length;
                int shape = random.nextInt(30);
                if (shape == 0) {
                    length = 9000 + random.nextInt(4000); // more than the large-record threshold
                } else if (shape < 3) {
                    length = 3000 + random.nextInt(3000); // spans a block boundary
                } else {
                    length = random.nextInt(300);
                }
                byte[] value = Stores.value(++serial + seed * 100000, length);
                batch.add(Stores.put(name, value));
                after.put(name, name.length() + length + RuntimePromise.ENTRY_CHARGE);
            }
            if (after.values().stream().mapToLong(Integer::longValue).sum() > capacity) {
                continue;
            }
            sizes = after;
            all.add(batch);
        }
        return new Workload(blocks, programSize, capacity, all, false);
    }

    /**
     * Values of one to four blocks (contiguous in the ring, copied whole by collection) among small
     * ones, batches mixing both, removals, an occasional clear, and views held on large values.
     */
    static Workload largeValues(long seed, int programSize, int writes) {
        Random random = new Random(seed);
        long capacity = 32 * 1024;
        FlashGeometry probe = new FlashGeometry(BLOCK * 1024L, BLOCK, programSize);
        int blocks = (int) LogStore.requiredBlocks(capacity, probe) + 12;
        Map<String, Integer> sizes = new HashMap<>();
        List<List<Change>> all = new ArrayList<>();
        int serial = 0;
        int sinceClear = 0;
        while (all.size() < writes) {
            int kind = random.nextInt(100);
            if (kind == 0 && sinceClear > 150) {
                all.add(List.of());
                sizes = new HashMap<>();
                sinceClear = 0;
                continue;
            }
            int changes = kind < 60 ? 1 : 2 + random.nextInt(3);
            List<Change> batch = new ArrayList<>();
            Map<String, Integer> after = new HashMap<>(sizes);
            for (int c = 0; c < changes; c++) {
                boolean big = random.nextInt(10) < 3;
                String name = big ? "big" + random.nextInt(3) : "k" + random.nextInt(10);
                if (kind >= 60 && kind < 70 && after.containsKey(name)) {
                    batch.add(Change.remove(Namespace.KV, name));
                    after.remove(name);
                    continue;
                }
                int length = big ? BLOCK + 1 + random.nextInt(3 * BLOCK) : random.nextInt(300);
                batch.add(Stores.put(name, Stores.value(++serial + seed * 100000, length)));
                after.put(name, name.length() + length + RuntimePromise.ENTRY_CHARGE);
            }
            if (after.values().stream().mapToLong(Integer::longValue).sum() > capacity) {
                continue;
            }
            sizes = after;
            all.add(batch);
            sinceClear++;
        }
        return new Workload(blocks, programSize, capacity, all, true);
    }

    /**
     * Applies the writes in order, opening a view on a large value before every ninth write and
     * keeping the last two open; returns the write a power cut interrupted, or null.
     */
    static List<Change> replay(LogStore store, Workload w, Map<String, byte[]> model) {
        ArrayDeque<EntryView> views = new ArrayDeque<>();
        try {
            for (int j = 0; j < w.writes().size(); j++) {
                List<Change> write = w.writes().get(j);
                if (w.views() && j % 9 == 4) {
                    model.keySet().stream().filter(name -> name.startsWith("big")).sorted().findFirst()
                            .ifPresent(name -> views.add(store.open(Namespace.KV, name).orElseThrow()));
                    while (views.size() > 2) {
                        views.poll().close();
                    }
                }
                try {
                    if (write.isEmpty()) {
                        store.clear();
                    } else {
                        store.apply(write);
                    }
                } catch (PartitionFullException e) {
                    throw new AssertionError("the workload must fit", e);
                } catch (DatastoreException e) {
                    if (!isPowerCut(e)) {
                        throw e;
                    }
                    return write;
                }
                applyTo(model, write);
            }
            return null;
        } finally {
            views.forEach(EntryView::close);
        }
    }

    static Outcome run(Workload w, boolean tear) {
        long total = countOperations(w);
        long points = 0;
        long lost = 0;
        long phantom = 0;
        long unmountable = 0;
        for (long n = 0; n <= total; n++) {
            if (tear && n == 0) {
                continue;
            }
            NorFlash flash = NorFlash.inMemory(w.geometry().size(), BLOCK, w.programSize());
            FlashRegion base = flash.region("runtime", 0, w.geometry().size());
            FaultInjectingRegion faulty = new FaultInjectingRegion(base);
            if (tear) {
                faulty.tearProgramAt(n);
            } else {
                faulty.cutPowerAfter(n);
            }
            Map<String, byte[]> model = new HashMap<>();
            LogStore store = Stores.mount(faulty, w.capacity());
            List<Change> inFlight = replay(store, w, model);
            if (tear && !faulty.powerCut()) {
                continue; // operation n was an erase, already covered by the plain cuts
            }
            points++;
            LogStore mounted;
            try {
                mounted = Stores.mount(base, w.capacity());
            } catch (RuntimeException e) {
                unmountable++;
                continue;
            }
            Map<String, byte[]> withInFlight = new HashMap<>(model);
            if (inFlight != null) {
                applyTo(withInFlight, inFlight);
            }
            long[] diff = compare(mounted, model, withInFlight);
            lost += diff[0];
            phantom += diff[1];
            if (diff[0] + diff[1] > 0) {
                System.out.println("mismatch after operation " + n + (tear ? " torn" : " cut") + ": " + mounted.problems());
                continue;
            }
            // The engine must also keep working on the image: one more write, another remount.
            Map<String, byte[]> state = snapshot(mounted);
            if (state.isEmpty()) {
                byte[] extra = Stores.value(n, 10);
                mounted.apply(List.of(Stores.put("k0", extra)));
                state.put("k0", extra);
            } else {
                String name = state.keySet().iterator().next();
                mounted.apply(List.of(Stores.remove(name)));
                state.remove(name);
            }
            LogStore again;
            try {
                again = Stores.mount(base, w.capacity());
            } catch (RuntimeException e) {
                unmountable++;
                continue;
            }
            long[] after = compare(again, state, state);
            lost += after[0];
            phantom += after[1];
        }
        return new Outcome(points, lost, phantom, unmountable);
    }

    private static long countOperations(Workload w) {
        NorFlash flash = NorFlash.inMemory(w.geometry().size(), BLOCK, w.programSize());
        FaultInjectingRegion counting = new FaultInjectingRegion(flash.region("runtime", 0, w.geometry().size()));
        LogStore store = Stores.mount(counting, w.capacity());
        if (replay(store, w, new HashMap<>()) != null) {
            throw new AssertionError("no power cut was asked for");
        }
        // The workload must reach garbage collection many times over, or the cuts prove little.
        long erases = Arrays.stream(store.eraseCounts()).sum();
        if (erases < 3L * w.blocks()) {
            throw new AssertionError("the workload erased only " + erases + " blocks of " + w.blocks());
        }
        return counting.operations();
    }

    static boolean isPowerCut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PowerCutException) {
                return true;
            }
        }
        return false;
    }

    static void applyTo(Map<String, byte[]> model, List<Change> write) {
        if (write.isEmpty()) {
            model.clear();
        }
        for (Change change : write) {
            if (change.isRemoval()) {
                model.remove(change.name());
            } else {
                byte[] bytes = new byte[change.data().remaining()];
                change.data().duplicate().get(bytes);
                model.put(change.name(), bytes);
            }
        }
    }

    static Map<String, byte[]> snapshot(LogStore store) {
        Map<String, byte[]> state = new HashMap<>();
        for (String name : store.names(Namespace.KV)) {
            state.put(name, Stores.get(store, name));
        }
        return state;
    }

    /**
     * Compares the mounted state with the state before and after the write in flight; returns
     * {lost, phantom}: zero if it equals either wholly.
     */
    static long[] compare(LogStore mounted, Map<String, byte[]> before, Map<String, byte[]> after) {
        Map<String, byte[]> actual = snapshot(mounted);
        if (same(actual, before) || same(actual, after)) {
            return new long[] {0, 0};
        }
        long lost = 0;
        long phantom = 0;
        Set<String> names = new HashSet<>(actual.keySet());
        names.addAll(before.keySet());
        names.addAll(after.keySet());
        for (String name : names) {
            byte[] a = actual.get(name);
            if (Arrays.equals(a, before.get(name)) || Arrays.equals(a, after.get(name))) {
                continue;
            }
            if (a == null || before.containsKey(name) && after.containsKey(name)) {
                lost++;
            } else {
                phantom++;
            }
        }
        // A batch seen in part is a phantom even when every single name matches one side.
        return lost + phantom == 0 ? new long[] {0, 1} : new long[] {lost, phantom};
    }

    private static boolean same(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
