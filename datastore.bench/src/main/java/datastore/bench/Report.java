package datastore.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;

/**
 * Turns one run into markdown: every benchmark's median over its measurement iterations (over its forks,
 * for the interleaved ones), its mean and the mean's 95% interval, then the goals: each ratio of
 * means with its 95% interval ({@link Interval}; paired by round when both sides were interleaved),
 * marked met only when the whole interval meets the target, not met when none of it does, and
 * undecided otherwise; then what the harnesses found.
 */
final class Report {
    /** One benchmark's samples: per-iteration scores, or per-fork means for the interleaved ones. */
    record Row(String label, double[] samples, String unit, String note) {
        double median() {
            double[] sorted = samples.clone();
            java.util.Arrays.sort(sorted);
            int n = sorted.length;
            return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final List<Interleaved> interleaved;
    private final Properties harness;
    private final StringBuilder out = new StringBuilder();

    Report(Collection<RunResult> results, List<Interleaved> interleaved, Properties harness) {
        this.harness = harness;
        this.interleaved = interleaved;
        for (RunResult result : results) {
            BenchmarkParams params = result.getParams();
            String name = params.getBenchmark().replace("datastore.bench.", "");
            StringBuilder label = new StringBuilder(name);
            for (String key : params.getParamsKeys()) {
                label.append(label.indexOf(":") < 0 ? ":" : ",").append(key).append('=').append(params.getParam(key));
            }
            List<Double> samples = new ArrayList<>();
            for (BenchmarkResult fork : result.getBenchmarkResults()) {
                for (IterationResult iteration : fork.getIterationResults()) {
                    samples.add(iteration.getPrimaryResult().getScore());
                }
            }
            rows.put(label.toString(), new Row(label.toString(), samples.stream().mapToDouble(Double::doubleValue).toArray(),
                    result.getPrimaryResult().getScoreUnit(), "iterations"));
        }
        for (Interleaved group : interleaved) {
            for (String label : group.forks.keySet()) {
                rows.put(label, new Row(label, group.scores(label), group.unit, "forks, interleaved"));
            }
        }
    }

    String write(String mode, String only, double minutes, Map<String, String> machine) {
        line("# Benchmark run (" + mode + (only != null ? ", only " + only : "") + ")");
        line("");
        machine.forEach((k, v) -> line("- " + k + ": " + v));
        line(String.format(Locale.ROOT, "- duration: %.0f min", minutes));
        line("");
        line("## Medians");
        line("");
        line("Median and mean over the measurement iterations of one fork (of every fork, pooled, when `--jmh -f N` "
                + "asks for more; over the forks' means for the interleaved benchmarks), with the mean's 95% "
                + "t interval. Every iteration starts after a full collection.");
        line("");
        line("| benchmark | median | mean [95% interval] | min | max | n | unit |");
        line("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        for (Row r : rows.values()) {
            double[] x = r.samples();
            double min = java.util.Arrays.stream(x).min().orElse(Double.NaN);
            double max = java.util.Arrays.stream(x).max().orElse(Double.NaN);
            line(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %d %s | %s |", r.label(), num(r.median()),
                    Interval.mean(x).plain(), num(min), num(max), x.length, r.note(), r.unit()));
        }
        line("");
        goals();
        harnesses();
        return out.toString();
    }

    private void goals() {
        line("## Goals");
        line("");
        line("Each ratio is of means, with its 95% interval in brackets: for benchmarks of one fork each, by the "
                + "delta method on the log scale with Welch's degrees of freedom over their iterations; for "
                + "interleaved pairs, the t interval of the per-round log ratios of the forks' means, followed "
                + "by the interval's half-width and the rounds it was taken over; the rounds stop once each such "
                + "ratio is within " + String.format(Locale.ROOT, "±%.0f%%", 100 * Interleaved.PRECISION)
                + " and on one side of its target, or at the cap. A goal is met only when the whole interval "
                + "meets it, missed (**no**) when none of it does, and undecided otherwise.");
        line("");
        line("| goal | figure [95% interval] | target | met |");
        line("| --- | ---: | ---: | --- |");
        for (Interleaved group : interleaved) {
            for (Interleaved.Pair pair : group.pairs) {
                Interval r = group.ratio(pair.numerator(), pair.denominator());
                Target target = pair.target();
                row(pair.description(), r.times(), target == null ? "-" : target.toString(),
                        verdict(target == null ? "-" : target.verdict(r), group, pair));
            }
            if (group.prefix.equals(Interleaved.SMALL_GET)) {
                // The miss has no goal; its ratios to the limits say what asking every partition costs.
                for (String limit : new String[] {Interleaved.DECODE, Interleaved.CHM}) {
                    String miss = group.prefix + "dockMiss";
                    row("small get: miss / " + (limit.equals(Interleaved.CHM) ? "ConcurrentHashMap get"
                            : "map get + decode"), group.ratio(miss, group.prefix + limit).times(), "-",
                            "- (" + group.rounds(miss, group.prefix + limit) + " rounds)");
                }
            }
        }
        for (String partition : new String[] {"rom", "runtime", "ephemeral"}) {
            for (String size : new String[] {"1048576", "4194304"}) {
                String params = ":partition=" + partition + ",size=" + size;
                Interval view = Interval.mean(samples("ImageRead.dockTokenToView" + params,
                        "ImageRead.dockTokenToView:size=" + size + ",partition=" + partition));
                row("image " + partition + " " + mib(size) + ": token to view (ns)", view.plain(), "<= 1000 ns", view.atMost(1000));
                Interval copy = Interval.ratio(samples("ImageRead.dockCopyingGet" + params,
                        "ImageRead.dockCopyingGet:size=" + size + ",partition=" + partition),
                        samples("ImageRead.limitNewArrayCopy:size=" + size));
                row("image " + partition + " " + mib(size) + ": copying get / new-array copy", copy.times(), "<= 1.2x",
                        copy.atMost(1.2));
            }
        }
        String[] romImages = {"sample-unsigned", "sample-signed", "full-unsigned"};
        for (String image : romImages) {
            Interval us = Interval.mean(samples("Mount.rom:image=" + image));
            row("mount: ROM " + image + " (us)", us.plain(), "<= 1000 us", us.atMost(1000));
        }
        Interval bundleOnly = Interval.mean(samples("Mount.limitBundleStart"));
        row("mount: limit, the image-format bundle's start, which mounts nothing (us)", bundleOnly.plain(), "-", "-");
        for (String image : romImages) {
            Interval us = Interval.mean(samples("Mount.romEngine:image=" + image));
            row("mount: ROM engine alone, " + image + " (us)", us.plain(), "<= 1000 us", us.atMost(1000));
        }
        Interval runtime = Interval.mean(samples("Mount.runtimeFull"));
        row("mount: full runtime partition (us)", runtime.plain(), "<= 50000 us", runtime.atMost(50_000));
        Interval runtimeOneByOne = Interval.mean(samples("Mount.runtimeFullOneByOne"));
        row("mount: full runtime partition, keys written one by one (us)", runtimeOneByOne.plain(), "<= 50000 us",
                runtimeOneByOne.atMost(50_000));
        // One reading each (a heap after full collections, not a sample of a distribution): no interval.
        for (String partition : new String[] {"runtime", "ephemeral"}) {
            String perKey = harness.getProperty("memory." + partition + ".perKey");
            if (perKey != null) {
                double bytes = Double.parseDouble(perKey);
                row("heap per key: " + partition + " (one reading)", perKey + " B", "<= 48 B", met(bytes <= 48));
            }
        }
        String heapOneByOne = harness.getProperty("memory.runtimeOneByOne.perKey");
        if (heapOneByOne != null) {
            row("heap per key: runtime, keys written one by one (one reading)", heapOneByOne + " B", "<= 48 B",
                    met(Double.parseDouble(heapOneByOne) <= 48));
        }
        String heapRemounted = harness.getProperty("memory.runtimeOneByOneRemounted.perKey");
        if (heapRemounted != null) {
            row("heap per key: runtime, keys written one by one, after the runtime bundle restarts (one reading)",
                    heapRemounted + " B", "<= 48 B", met(Double.parseDouble(heapRemounted) <= 48));
        }
        String full = harness.getProperty("memory.dockFull.heap");
        if (full != null) {
            double mib = Long.parseLong(full) / (1024.0 * 1024);
            row("heap of the dock with every partition full (one reading)", String.format(Locale.ROOT, "%.1f MiB", mib),
                    "< 96 MiB", met(mib < 96));
        }
        String passes = harness.getProperty("space.runtime.passes");
        if (passes != null) {
            boolean fixed = harness.getProperty("space.runtime.fileBefore").equals(harness.getProperty("space.runtime.fileAfter"))
                    && harness.getProperty("space.runtime.failure", "").isEmpty()
                    && passes.equals(harness.getProperty("space.passesWanted"));
            row("space: runtime after " + passes + "x its capacity overwritten", "region "
                    + harness.getProperty("space.runtime.regionBytes") + " B, flash file unchanged: " + fixed,
                    "in its fixed region", met(fixed));
        }
        line("");
    }

    /**
     * A ratio's verdict, with the rounds it was taken over: whether its forks failed, and the precision it
     * reached when the rounds did not decide it (an interval wider than wanted still decides when all of
     * it lies on one side of the target).
     */
    private static String verdict(String side, Interleaved group, Interleaved.Pair pair) {
        String failure = group.failure != null ? group.failure : group.failure(pair);
        if (failure != null) {
            return "not measured: " + failure;
        }
        Interval r = group.ratio(pair.numerator(), pair.denominator());
        int rounds = group.rounds(pair);
        if (group.decided(pair)) {
            return String.format(Locale.ROOT, "%s (±%.0f%%, %d rounds)", side, 100 * r.halfWidth(), rounds);
        }
        if (r.within(Interleaved.PRECISION)) {
            return String.format(Locale.ROOT, "%s (±%.0f%% after %d rounds, the target inside it)", side,
                    100 * r.halfWidth(), rounds);
        }
        return String.format(Locale.ROOT, "%s (±%.0f%% after %d rounds, wanted ±%.0f%%)", side, 100 * r.halfWidth(),
                rounds, 100 * Interleaved.PRECISION);
    }

    /** The samples of the first label that was measured; none when none was. */
    private double[] samples(String... labels) {
        for (String label : labels) {
            Row row = rows.get(label);
            if (row != null) {
                return row.samples();
            }
        }
        return new double[0];
    }

    private void row(String goal, String figure, String target, String met) {
        line("| " + goal + " | " + figure + " | " + target + " | " + met + " |");
    }

    private void harnesses() {
        if (harness.isEmpty()) {
            return;
        }
        line("## Space (" + harness.getProperty("space.keys") + " keys of " + harness.getProperty("space.valueBytes")
                + "-byte values, " + harness.getProperty("space.payload") + " payload bytes; overwritten "
                + harness.getProperty("space.passesWanted") + " times, 1,000 keys per durable transaction)");
        line("");
        line("| store | passes done | seconds | on disk after the fill | after the overwrites | peak | note |");
        line("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        line(String.format(Locale.ROOT, "| runtime partition | %s | %s | %s (region) | %s (region) | - | flash file %s B before and %s B after; erase counts max %s, mean %s %s |",
                harness.getProperty("space.runtime.passes"), seconds("space.runtime.seconds"),
                harness.getProperty("space.runtime.regionBytes"), harness.getProperty("space.runtime.regionBytes"),
                harness.getProperty("space.runtime.fileBefore"), harness.getProperty("space.runtime.fileAfter"),
                harness.getProperty("space.runtime.maxErase"), seconds("space.runtime.meanErase"),
                harness.getProperty("space.runtime.failure", "")));
        for (String peer : Peer.DURABLE) {
            line(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |", peer,
                    harness.getProperty("space." + peer + ".passes"), seconds("space." + peer + ".seconds"),
                    harness.getProperty("space." + peer + ".afterFill"), harness.getProperty("space." + peer + ".afterOverwrites"),
                    harness.getProperty("space." + peer + ".peak"), harness.getProperty("space." + peer + ".failure", "")));
        }
        line("");
        line("## Memory (heap after full collections)");
        line("");
        line("The dock's figures are of the running product, each partition filled through the store (the ROM "
                + "through the provisioning service, then remounted as at start), taken once Event Admin has "
                + "delivered the writes' change events; the full dock's heap includes the framework and every bundle.");
        line("");
        line("| store | keys | heap bytes | per key |");
        line("| --- | ---: | ---: | ---: |");
        for (String store : new String[] {"concurrentHashMap", "ephemeral", "runtime", "rom", "mvstore", "lmdb", "mapdb",
                "xodus", "chronicle"}) {
            line("| " + store + " | " + harness.getProperty("memory." + store + ".keys") + " | "
                    + harness.getProperty("memory." + store + ".heap") + " | "
                    + harness.getProperty("memory." + store + ".perKey") + " |");
        }
        line("");
        line("Dock with all partitions full: " + harness.getProperty("memory.dockFull.heap") + " heap bytes for "
                + harness.getProperty("memory.dockFull.keys") + " keys (ROM " + harness.getProperty("memory.dockFull.romKeys")
                + ", runtime " + harness.getProperty("memory.dockFull.runtimeKeys") + ", ephemeral "
                + harness.getProperty("memory.dockFull.ephemeralKeys") + "); payload ROM "
                + harness.getProperty("memory.dockFull.romUsed") + ", runtime " + harness.getProperty("memory.dockFull.runtimeUsed")
                + ", ephemeral " + harness.getProperty("memory.dockFull.ephemeralUsed") + " bytes.");
        line("");
        line("## Start");
        line("");
        if (harness.getProperty("start.failure") != null) {
            line("Failed: " + harness.getProperty("start.failure"));
        } else {
            line("Dock launch to the HTTP port answering: median " + harness.getProperty("start.medianMs") + " ms over "
                    + harness.getProperty("start.restarts") + " restarts (min " + harness.getProperty("start.minMs")
                    + ", max " + harness.getProperty("start.maxMs") + ", all " + harness.getProperty("start.allMs")
                    + "); first launch on an empty data folder " + harness.getProperty("start.firstMs") + " ms.");
        }
        line("");
    }

    private String seconds(String key) {
        String value = harness.getProperty(key);
        return value == null ? "-" : String.format(Locale.ROOT, "%.1f", Double.parseDouble(value));
    }

    private static String met(boolean met) {
        return met ? "yes" : "**no**";
    }

    private static String mib(String size) {
        return Long.parseLong(size) / (1024 * 1024) + " MiB";
    }

    static String num(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        double a = Math.abs(value);
        return String.format(Locale.ROOT, a >= 100 ? "%,.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", value);
    }

    private void line(String text) {
        out.append(text).append('\n');
    }
}
