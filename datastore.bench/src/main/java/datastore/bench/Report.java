package datastore.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * Turns one run into markdown: every benchmark's median over its measurement iterations with the
 * 99.9% error of the mean, then the goals as ratios of those medians, each marked met or
 * not, then what the harnesses found.
 */
final class Report {
    /** One benchmark's figures. */
    record Row(String label, double median, double error, double min, double max, long samples, String unit) {
    }

    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final Properties harness;
    private final StringBuilder out = new StringBuilder();

    Report(Collection<RunResult> results, Properties harness) {
        this.harness = harness;
        for (RunResult result : results) {
            BenchmarkParams params = result.getParams();
            String name = params.getBenchmark().replace("datastore.bench.", "");
            StringBuilder label = new StringBuilder(name);
            for (String key : params.getParamsKeys()) {
                label.append(label.indexOf(":") < 0 ? ":" : ",").append(key).append('=').append(params.getParam(key));
            }
            Statistics s = result.getPrimaryResult().getStatistics();
            double error = s.getN() > 2 ? s.getMeanErrorAt(0.999) : Double.NaN;
            rows.put(label.toString(), new Row(label.toString(), s.getPercentile(50), error, s.getMin(), s.getMax(),
                    s.getN(), result.getPrimaryResult().getScoreUnit()));
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
        line("| benchmark | median | error (99.9%) | min | max | n | unit |");
        line("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        for (Row r : rows.values()) {
            line(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %d | %s |", r.label(), num(r.median()),
                    Double.isNaN(r.error()) ? "-" : "± " + num(r.error()), num(r.min()), num(r.max()), r.samples(), r.unit()));
        }
        line("");
        goals();
        harnesses();
        return out.toString();
    }

    private void goals() {
        line("## Goals");
        line("");
        line("| goal | figure | target | met |");
        line("| --- | ---: | ---: | --- |");
        double limit = median("SmallGet.limitConcurrentHashMap");
        double rom = median("SmallGet.dockRomHit");
        double eph = median("SmallGet.dockEphemeralHit");
        ratio("small get: ROM hit through 3 partitions / ConcurrentHashMap get", rom / limit, "<= 6x", rom / limit <= 6);
        ratio("small get: ephemeral hit / ConcurrentHashMap get", eph / limit, "<= 3x", eph / limit <= 3);
        double decoded = median("SmallGet.limitMapGetAndDecode");
        double run = median("SmallGet.dockRuntimeHit");
        double miss = median("SmallGet.dockMiss");
        line(String.format(Locale.ROOT, "| small get / map get + decode: ephemeral %s, runtime %s, ROM %s, miss %s | - | - | - |",
                times(eph / decoded), times(run / decoded), times(rom / decoded), times(miss / decoded)));
        line(String.format(Locale.ROOT, "| small get / ConcurrentHashMap get: runtime hit %s, miss %s | - | - | - |",
                times(run / limit), times(miss / limit)));
        for (String peer : Peer.ALL) {
            double p = median("SmallGet.peer:peer=" + peer);
            ratio("small get: ROM hit / " + peer + " get", rom / p, "< 1x", rom < p);
        }
        double append = median("DurablePut.limitFdatasyncAppend");
        double one = median("DurablePut.dockRuntime1Writer");
        double eight = median("DurablePut.dockRuntime8Writers");
        ratio("durable put, 1 writer: runtime / fdatasync append", one / append, ">= 0.9x", one / append >= 0.9);
        ratio("durable put: runtime 8 writers / 1 writer", eight / one, ">= 4x", eight / one >= 4);
        for (String partition : new String[] {"rom", "runtime", "ephemeral"}) {
            for (String size : new String[] {"1048576", "4194304"}) {
                String params = ":partition=" + partition + ",size=" + size;
                double view = median("ImageRead.dockTokenToView" + params, ":size=" + size + ",partition=" + partition);
                line(String.format(Locale.ROOT, "| image %s %s: token to view | %s ns | <= 1000 ns | %s |", partition,
                        mib(size), num(view), met(view, view <= 1000)));
                double copy = median("ImageRead.dockCopyingGet" + params, ":size=" + size + ",partition=" + partition);
                double array = median("ImageRead.limitNewArrayCopy:size=" + size);
                ratio("image " + partition + " " + mib(size) + ": copying get / new-array copy", copy / array, "<= 1.2x",
                        copy / array <= 1.2);
            }
        }
        for (String image : new String[] {"sample-unsigned", "sample-signed", "full-unsigned"}) {
            double us = median("Mount.rom:image=" + image);
            line(String.format(Locale.ROOT, "| mount: ROM %s | %s us | <= 1000 us | %s |", image, num(us), met(us, us <= 1000)));
        }
        double runtime = median("Mount.runtimeFull");
        line(String.format(Locale.ROOT, "| mount: full runtime partition | %s us | <= 50000 us | %s |", num(runtime),
                met(runtime, runtime <= 50_000)));
        String passes = harness.getProperty("space.runtime.passes");
        if (passes != null) {
            boolean fixed = harness.getProperty("space.runtime.fileBefore").equals(harness.getProperty("space.runtime.fileAfter"))
                    && harness.getProperty("space.runtime.failure", "").isEmpty()
                    && passes.equals(harness.getProperty("space.passesWanted"));
            line("| space: runtime after " + passes + "x its capacity overwritten | region "
                    + harness.getProperty("space.runtime.regionBytes") + " B, flash file unchanged: " + fixed
                    + " | in its fixed region | " + met(fixed) + " |");
        }
        line("");
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

    private void ratio(String goal, double value, String target, boolean met) {
        line(String.format(Locale.ROOT, "| %s | %s | %s | %s |", goal, Double.isNaN(value) ? "-" : String.format(Locale.ROOT,
                "%.2fx", value), target, Double.isNaN(value) ? "not measured" : met(met)));
    }

    private static String times(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    private static String met(double value, boolean met) {
        return Double.isNaN(value) ? "not measured" : met(met);
    }

    private static String met(boolean met) {
        return met ? "yes" : "**no**";
    }

    /** The median of the first label that was measured; NaN when none was. */
    private double median(String... labels) {
        for (String label : labels) {
            Row row = rows.get(label);
            if (row != null) {
                return row.median();
            }
        }
        return Double.NaN;
    }

    private static String mib(String size) {
        return Long.parseLong(size) / (1024 * 1024) + " MiB";
    }

    private static String num(double value) {
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
