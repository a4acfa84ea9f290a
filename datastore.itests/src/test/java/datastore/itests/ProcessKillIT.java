package datastore.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import aQute.bnd.osgi.Builder;
import aQute.bnd.osgi.Constants;
import aQute.bnd.osgi.Jar;
import datastore.itests.stressapp.StressApp;

/**
 * {@code kill -9} of the exported {@code dock} product at random moments, restarted on the same
 * data folder each time. In each round an application bundle ({@link StressApp}) writes the runtime
 * partition through the application API (puts, batches, removals, images, and ephemeral load) while
 * this test replaces the ROM store and deploys code over HTTP; the JVM is killed just after the
 * application began a randomly chosen write, or, in one round in five, at a random moment of its
 * start (mount and recovery included). After every restart the store must hold every acknowledged
 * write with its value; a write in flight at the kill may have landed or not, but whole (a batch all
 * or nothing, a ROM store entirely old or entirely new, its code and image with it); no value that
 * was never written may appear.
 *
 * <p>The choices (rounds killed during start, their moment, the write after which the kill comes,
 * what is written) follow one seed, printed first: {@code -Dprocesskill.seed=S} replays them, though
 * the exact instant of a kill depends on timing. {@code -Dprocesskill.rounds=N} changes the number of
 * kills (200 in CI, the issue's bar). Each round costs about one dock start, so the rest of a round is
 * kept short (the kill comes within the first 40 writes, about 0.2 s) and the child JVMs run with the
 * C1 compiler only and the serial collector, which cut a start's CPU time by a third on a small
 * machine without changing what the dock does. The product is {@code dock}, the smallest with what
 * the test needs: the runtime partition on flash, ROM provisioning (development mode only) and the
 * development API; {@code production} has no provisioning and {@code minimal} no flash.
 */
public class ProcessKillIT {

    private static final int ROUNDS = Integer.getInteger("processkill.rounds", 200);
    private static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-XX:-UsePerfData");
    private static final String ROMSTORE = "/api/docks/application/romstore";
    private static final String CODE = "/api/docks/application/code";
    private static final Pattern EVENT = Pattern.compile("@@([abf]) (\\d+)(?: (.*?))?@@");

    private final Model model = new Model();
    private final List<String> problems = new ArrayList<>();
    private int lost;
    private int phantom;
    private int failedStarts;
    private String lastOutput = "";

    @Test
    public void killNineAtAnyMomentLosesNoAcknowledgedWriteAndShowsNothingHalfApplied() throws Exception {
        long seed = Long.getLong("processkill.seed", System.nanoTime());
        System.out.println("process-kill: seed=" + seed + " rounds=" + ROUNDS + " (replay with -Dprocesskill.seed=" + seed + ")");
        Random random = new Random(seed);
        Path data = ExportedDock.newDataFolder("process-kill");
        String app = buildApplication(data).toUri().toString();
        Properties credentials = null;
        long begin = System.nanoTime();
        long startMillis = 2_000;
        int kills = 0;
        int killsDuringStart = 0;
        int acked = 0;
        int inFlight = 0;
        int romAcked = 0;
        long startTotal = 0;
        int starts = 0;
        long prepareNanos = 0;
        long workNanos = 0;
        long killNanos = 0;
        for (int round = 0; round < ROUNDS; round++) {
            ExportedDock dock = ExportedDock.launch("dock", data, Map.of(), JVM_OPTIONS);
            try {
                if (round > 0 && random.nextInt(5) == 0) {
                    // Mount, recovery and the framework's own start are killed too.
                    long at = random.nextInt((int) startMillis);
                    long wait = at - dock.millisSinceStart();
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                    dock.killHard();
                    kills++;
                    killsDuringStart++;
                    continue;
                }
                try {
                    dock.awaitShell();
                } catch (AssertionError e) {
                    failedStart(round, "the shell did not answer: " + e.getMessage());
                    continue;
                }
                startMillis = dock.millisSinceStart();
                startTotal += startMillis;
                starts++;
                long phase = System.nanoTime();
                install(dock, app);
                String dump = dock.shell("stressapp:dump");
                int problemsBefore = problems.size();
                boolean started = check(round, dump);
                if (problems.size() > problemsBefore) {
                    // What the dock printed in the round that the check blames, for the report.
                    java.nio.file.Files.writeString(data.resolve("round-" + (round - 1) + ".log"), lastOutput);
                    java.nio.file.Files.writeString(data.resolve("round-" + round + ".log"), dock.output());
                    problems.add("round " + round + ": outputs kept in " + data);
                }
                if (!started) {
                    continue;
                }
                DevApiClient client = new DevApiClient(dock.port());
                dock.awaitHttpPort();
                if (credentials == null) {
                    credentials = DevApiClient.generatedCredentials(data);
                }
                client.login(credentials);
                prepareNanos += System.nanoTime() - phase;
                phase = System.nanoTime();
                HttpWork http = new HttpWork(client, credentials.getProperty("dock.id"), new Random(random.nextLong()), round);
                http.start();
                int from = dock.outputLength();
                int killAfter = random.nextInt(40);
                long extraNanos = random.nextInt(3_000_000);
                dock.shell("stressapp:work " + random.nextLong() + " " + round);
                dock.awaitOutput(from, 60_000, "@@b " + killAfter + " ", "@@f ");
                LockSupport.parkNanos(extraNanos);
                workNanos += System.nanoTime() - phase;
                phase = System.nanoTime();
                dock.killHard();
                kills++;
                http.join(TimeUnit.SECONDS.toMillis(90));
                killNanos += System.nanoTime() - phase;
                lastOutput = dock.output();
                Tally tally = applyEvents(round, lastOutput.substring(from));
                acked += tally.acked;
                inFlight += tally.inFlight;
                romAcked += http.acked;
            } finally {
                dock.kill();
            }
        }
        // A last start checks what the last kill left.
        try (ExportedDock dock = ExportedDock.launch("dock", data, Map.of(), JVM_OPTIONS)) {
            dock.awaitShell();
            install(dock, app);
            check(ROUNDS, dock.shell("stressapp:dump"));
            dock.stop();
        } catch (AssertionError e) {
            failedStart(ROUNDS, e.getMessage());
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin);
        System.out.println("process-kill: seed=" + seed + " kills-during-start=" + killsDuringStart + " acked-writes=" + acked
                + " in-flight-at-kill=" + inFlight + " rom-replaces-acked=" + romAcked + " rom-replaces-refused=" + model.romRefused.size()
                + " rom-replace-cut=" + model.romCutInFlight + " (landed " + model.romCutLanded + ") seconds=" + seconds);
        System.out.println("process-kill: mean ms per work round: start to shell " + startTotal / Math.max(1, starts)
                + ", install+check+login " + TimeUnit.NANOSECONDS.toMillis(prepareNanos) / Math.max(1, starts)
                + ", work until kill " + TimeUnit.NANOSECONDS.toMillis(workNanos) / Math.max(1, starts)
                + ", kill and exit " + TimeUnit.NANOSECONDS.toMillis(killNanos) / Math.max(1, starts));
        System.out.println("process-kill: kills=" + kills + " lost=" + lost + " phantom=" + phantom + " failed-starts="
                + failedStarts);
        assertTrue("problems (seed " + seed + "):\n" + String.join("\n", problems.subList(0, Math.min(40, problems.size()))),
                problems.isEmpty());
        assertTrue("kills: " + kills, kills >= ROUNDS);
    }

    /** Installs and starts the application bundle (Gogo's {@code install -s} leaves it installed only). */
    static void install(ExportedDock dock, String app) throws Exception {
        String installed = dock.shell("install " + app);
        Matcher id = Pattern.compile("Bundle ID: (\\d+)").matcher(installed);
        assertTrue(installed, id.find());
        String started = dock.shell("start " + id.group(1));
        assertTrue(started, started.isEmpty());
    }

    private void failedStart(int round, String why) {
        failedStarts++;
        problems.add("round " + round + ": failed start: " + why);
    }

    /** Compares what the dock shows after a restart with the model; then takes it as the new state. */
    private boolean check(int round, String dump) {
        int from = dump.indexOf("@@dump");
        int to = dump.indexOf("@@end");
        if (from < 0 || to < 0) {
            failedStart(round, "no dump: " + dump);
            return false;
        }
        Map<String, String> kv = new HashMap<>();
        Map<String, String> images = new HashMap<>();
        Map<String, String> romKv = new LinkedHashMap<>();
        String romImage = null;
        String code = null;
        for (String line : dump.substring(from + 6, to).strip().split("\n")) {
            String[] parts = line.strip().split(" ", 3);
            switch (parts[0]) {
                case "kv" -> kv.put(parts[1], value(parts[2]));
                case "image" -> images.put(parts[1], value(parts[2]));
                case "romkv" -> romKv.put(parts[1], value(parts[2]));
                case "romimage" -> romImage = value(parts[1]);
                case "code" -> code = line.strip().substring(5);
                case "error" -> {
                    failedStart(round, line);
                    return false;
                }
                default -> throw new AssertionError("dump line " + line);
            }
        }
        for (int k = 0; k < StressApp.KEYS; k++) {
            model.kv.check(round, StressApp.key(k), kv.get(StressApp.key(k)));
        }
        for (int t = 0; t < StressApp.TAGS; t++) {
            model.images.check(round, StressApp.tag(t), images.get(StressApp.tag(t)));
        }
        model.checkBatch(round, kv);
        model.checkRom(round, romKv, romImage, code);
        model.kv.settle(kv);
        model.images.settle(images);
        return true;
    }

    private static String value(String text) {
        return text.equals("-") ? null : text;
    }

    record Tally(int acked, int inFlight) {
    }

    /** Replays the application's announcements of one round onto the model. */
    private Tally applyEvents(int round, String output) {
        Map<Integer, String> begun = new LinkedHashMap<>();
        int acked = 0;
        Matcher event = EVENT.matcher(output);
        while (event.find()) {
            int op = Integer.parseInt(event.group(2));
            switch (event.group(1)) {
                case "b" -> {
                    begun.put(op, event.group(3));
                    model.begin(event.group(3));
                }
                case "a" -> {
                    model.ack(begun.remove(op));
                    acked++;
                }
                default -> problems.add("round " + round + ": write " + op + " failed: " + event.group(3));
            }
        }
        assertTrue("more than one write in flight: " + begun, begun.size() <= 1);
        return new Tally(acked, begun.size());
    }

    /** What the store must show: per name, the acknowledged value and the values of writes in flight. */
    private final class Model {
        final Names kv = new Names("key");
        final Names images = new Names("image");
        /** The in-flight batch of the last round: key to value (null: removal). */
        Map<String, String> batch = Map.of();
        final Map<Integer, String> romCode = new HashMap<>();
        final Map<Integer, String> romImages = new HashMap<>();
        int romAcked;
        /** Restarts that found a ROM replace in flight at the kill, and how many of those show it landed. */
        int romCutInFlight;
        int romCutLanded;
        final List<Integer> romInFlight = new ArrayList<>();
        final List<Integer> romRefused = new ArrayList<>();

        synchronized void begin(String description) {
            String[] parts = description.split(" ");
            switch (parts[0]) {
                case "put", "ephemeral" -> {
                    if (parts[0].equals("put")) {
                        kv.begin(parts[1], parts[2]);
                    }
                }
                case "remove" -> kv.begin(parts[1], null);
                case "image" -> images.begin(parts[1], parts[2]);
                case "batch" -> {
                    Map<String, String> changes = new LinkedHashMap<>();
                    for (int i = 1; i < parts.length; i += 2) {
                        changes.put(parts[i], value(parts[i + 1]));
                        kv.begin(parts[i], value(parts[i + 1]));
                    }
                    batch = changes;
                }
                default -> throw new AssertionError(description);
            }
        }

        synchronized void ack(String description) {
            String[] parts = description.split(" ");
            switch (parts[0]) {
                case "put" -> kv.ack(parts[1], parts[2]);
                case "ephemeral" -> {
                }
                case "remove" -> kv.ack(parts[1], null);
                case "image" -> images.ack(parts[1], parts[2]);
                case "batch" -> {
                    for (int i = 1; i < parts.length; i += 2) {
                        kv.ack(parts[i], value(parts[i + 1]));
                    }
                    batch = Map.of();
                }
                default -> throw new AssertionError(description);
            }
        }

        /** A batch in flight at the kill shows entirely or not at all. */
        void checkBatch(int round, Map<String, String> observed) {
            boolean landed = false;
            boolean missing = false;
            for (Map.Entry<String, String> change : batch.entrySet()) {
                String seen = observed.get(change.getKey());
                String before = kv.acked.get(change.getKey());
                if (java.util.Objects.equals(change.getValue(), before)) {
                    continue;
                }
                if (java.util.Objects.equals(seen, change.getValue())) {
                    landed = true;
                } else {
                    missing = true;
                }
            }
            if (landed && missing) {
                phantom++;
                problems.add("round " + round + ": batch half applied: " + batch + ", seen " + observed);
            }
            batch = Map.of();
        }

        synchronized void checkRom(int round, Map<String, String> romKv, String romImage, String code) {
            List<Integer> allowed = new ArrayList<>(romInFlight);
            allowed.add(romAcked);
            Integer seen = null;
            for (int gen : allowed) {
                if (romMatches(gen, romKv, romImage, code)) {
                    seen = gen;
                }
            }
            if (seen == null) {
                boolean older = false;
                for (int gen = 0; gen < romAcked; gen++) {
                    older |= romMatches(gen, romKv, romImage, code);
                }
                if (older) {
                    lost++;
                } else {
                    phantom++;
                }
                problems.add("round " + round + ": ROM shows " + romKv + " image " + romImage + " code " + code
                        + "; acknowledged generation " + romAcked + ", in flight " + romInFlight + ", refused " + romRefused);
                return;
            }
            if (!romInFlight.isEmpty()) {
                romCutInFlight++;
                if (seen != romAcked) {
                    romCutLanded++;
                }
            }
            romAcked = seen;
            romInFlight.clear();
        }

        private boolean romMatches(int gen, Map<String, String> romKv, String romImage, String code) {
            if (gen == 0) {
                return romKv.values().stream().allMatch(java.util.Objects::isNull) && romImage == null && code.equals("- -");
            }
            for (Map.Entry<String, String> entry : romKv.entrySet()) {
                if (!romValue(gen, entry.getKey()).equals(entry.getValue())) {
                    return false;
                }
            }
            return romImages.get(gen).equals(romImage) && code.equals("rom " + romCode.get(gen));
        }

        synchronized void romBegin(int gen, String image, String code) {
            romImages.put(gen, image);
            romCode.put(gen, code);
            romInFlight.add(gen);
        }

        synchronized void romAnswered(int gen, int status) {
            romInFlight.remove(Integer.valueOf(gen));
            if (status == 200) {
                romAcked = gen;
            } else {
                romRefused.add(gen);
            }
        }
    }

    static String romValue(int gen, String key) {
        return "g" + gen + "." + key;
    }

    /** Per name: the acknowledged value (null: absent), values in flight, and every value ever begun. */
    private final class Names {
        final String what;
        final Map<String, String> acked = new HashMap<>();
        final Map<String, List<String>> inFlight = new HashMap<>();
        final Map<String, List<String>> history = new HashMap<>();

        Names(String what) {
            this.what = what;
        }

        void begin(String name, String value) {
            inFlight.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
            history.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }

        void ack(String name, String value) {
            acked.put(name, value);
            inFlight.getOrDefault(name, new ArrayList<>()).remove(value);
        }

        void check(int round, String name, String seen) {
            String expected = acked.get(name);
            if (java.util.Objects.equals(seen, expected) || inFlight.getOrDefault(name, List.of()).contains(seen)) {
                return;
            }
            boolean older = seen == null || history.getOrDefault(name, List.of()).contains(seen);
            if (older) {
                lost++;
            } else {
                phantom++;
            }
            problems.add("round " + round + ": " + what + " " + name + " shows " + abbreviate(seen) + " instead of "
                    + abbreviate(expected) + (inFlight.containsKey(name) ? " or in flight " + abbreviate(String.valueOf(inFlight.get(name))) : ""));
        }

        /** The restart resolved every write in flight: what shows is the state from now on. */
        void settle(Map<String, String> seen) {
            acked.clear();
            seen.forEach((name, value) -> {
                if (value != null) {
                    acked.put(name, value);
                }
            });
            inFlight.clear();
        }
    }

    private static String abbreviate(String value) {
        return value == null ? "(absent)" : value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }

    /**
     * ROM store replaces and code deploys over HTTP, one after the other, until the dock dies under
     * them. Each ROM store is a new generation: its keys, image and code all name it.
     */
    private final class HttpWork extends Thread {
        private final DevApiClient client;
        private final String dockId;
        private final Random random;
        int acked;

        HttpWork(DevApiClient client, String dockId, Random random, int round) {
            super("http-work-" + round);
            this.client = client;
            this.dockId = dockId;
            this.random = random;
        }

        @Override
        public void run() {
            try {
                for (int request = 0; ; request++) {
                    if (random.nextInt(3) > 0) {
                        replaceRom();
                    } else {
                        byte[] code = ("print('deploy " + getName() + "." + request + "')").getBytes(StandardCharsets.UTF_8);
                        client.post(CODE, DevApiClient.document("applicationCode", DevApiClient.object()
                                .put("dockId", dockId).put("code", SampleRomStore.base64(code))));
                    }
                }
            } catch (IOException dockKilled) {
                // The end of the round.
            } catch (Exception e) {
                synchronized (problems) {
                    problems.add(getName() + ": " + e);
                }
            }
        }

        private void replaceRom() throws Exception {
            int gen;
            synchronized (model) {
                gen = model.romCode.size() + 1;
            }
            byte[] image = StressApp.png(-gen, 1 + random.nextInt(2_000));
            byte[] code = ("print('rom generation " + gen + "')").getBytes(StandardCharsets.UTF_8);
            ObjectNode attributes = DevApiClient.object().put("dockId", dockId);
            attributes.putObject("code").put("code", SampleRomStore.base64(code));
            ObjectNode kv = attributes.putObject("kvStore");
            for (int k = 0; k < StressApp.ROM_KEYS; k++) {
                kv.put(StressApp.romKey(k), romValue(gen, StressApp.romKey(k)));
            }
            attributes.putObject("images").putObject("splash").put("type", "PNG").put("data", SampleRomStore.base64(image));
            model.romBegin(gen, StressApp.sha(image), StressApp.sha(code));
            DevApiClient.Answer answer = client.post(ROMSTORE, DevApiClient.document("applicationRomStore", attributes));
            model.romAnswered(gen, answer.status());
            if (answer.status() == 200) {
                acked++;
            }
        }
    }

    /** The application bundle, made with bnd from this module's test classes. */
    static Path buildApplication(Path folder) throws Exception {
        Path jar = folder.resolve("stressapp.jar");
        File classes = new File(StressApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (Builder builder = new Builder()) {
            builder.setProperty(Constants.BUNDLE_SYMBOLICNAME, "datastore.itests.stressapp");
            builder.setProperty(Constants.BUNDLE_VERSION, "1.0.0");
            builder.setProperty(Constants.BUNDLE_ACTIVATOR, StressApp.class.getName());
            builder.setProperty(Constants.PRIVATEPACKAGE, StressApp.class.getPackageName());
            builder.setProperty(Constants.NOEXTRAHEADERS, "true");
            builder.setProperty(Constants.NOIMPORTJAVA, "true");
            builder.addClasspath(classes);
            try (Jar built = builder.build()) {
                assertEquals("bnd errors: " + builder.getErrors(), 0, builder.getErrors().size());
                built.write(jar.toFile());
            }
        }
        return jar;
    }
}
