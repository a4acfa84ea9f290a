package datastore.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;

/**
 * The fsync-bound pairs, measured so that the ratio decides: the fdatasync append, the dock's durable put
 * with one writer and with eight run one fork each per round, in an order that rotates from round to
 * round, so that drift of the machine (page cache, other load, the disk's own state) hits every side of
 * a ratio alike. After each round from {@link #minRounds} on, each ratio gets its 95% interval over the
 * per-round log ratios of the per-fork means ({@link Interval#pairedRatio}); the rounds stop once every
 * interval is within {@link #PRECISION} of its ratio, or after {@link #maxRounds}, and the report then
 * says which ratios stayed undecided.
 */
final class Interleaved {
    static final String CLASS = "datastore.bench.DurablePut.";
    static final String LIMIT = "limitFdatasyncAppend";
    static final String ONE = "dockRuntime1Writer";
    static final String EIGHT = "dockRuntime8Writers";
    static final List<String> METHODS = List.of(LIMIT, ONE, EIGHT);
    /** The relative half-width of the 95% interval every ratio must reach. */
    static final double PRECISION = 0.10;

    /** A ratio of two of the methods: numerator over denominator, throughput. */
    record Pair(String label, String numerator, String denominator) {
    }

    static final List<Pair> PAIRS = List.of(
            new Pair("durable put, 1 writer: runtime / fdatasync append", ONE, LIMIT),
            new Pair("durable put: runtime 8 writers / 1 writer", EIGHT, ONE));

    final int minRounds;
    final int maxRounds;
    /** Per method, the mean score of each fork, in round order. */
    final Map<String, List<Double>> forks = new LinkedHashMap<>();
    int rounds;
    /** Why the rounds stopped early, if a fork failed; null otherwise. */
    String failure;

    Interleaved(int minRounds, int maxRounds) {
        this.minRounds = minRounds;
        this.maxRounds = maxRounds;
        METHODS.forEach(m -> forks.put(m, new ArrayList<>()));
    }

    /** Whether a benchmark regex (null for all) selects any of the interleaved methods. */
    static boolean selected(String only) {
        return only == null || METHODS.stream().anyMatch(m -> Pattern.compile(only).matcher(CLASS + m).find());
    }

    /** The JMH exclusion of the interleaved methods from the ordinary pass. */
    static String exclusion() {
        return Pattern.quote(CLASS) + "(" + String.join("|", METHODS) + ")$";
    }

    /** Runs rounds of one fork per method until every ratio is precise enough or the cap is reached. */
    void run(Supplier<ChainedOptionsBuilder> options) throws RunnerException {
        while (rounds < maxRounds) {
            for (int i = 0; i < METHODS.size(); i++) {
                String method = METHODS.get((rounds + i) % METHODS.size());
                Collection<RunResult> results = new Runner(options.get().include("^" + Pattern.quote(CLASS + method) + "$")
                        .forks(1).build()).run();
                double score = results.isEmpty() ? Double.NaN : results.iterator().next().getPrimaryResult().getScore();
                if (Double.isNaN(score)) {
                    throw new IllegalStateException("the interleaved fork of " + method + " gave no result");
                }
                forks.get(method).add(score);
            }
            rounds++;
            System.out.println(progress());
            if (rounds >= minRounds && PAIRS.stream().allMatch(p -> ratio(p).within(PRECISION))) {
                return;
            }
        }
    }

    Interval ratio(Pair pair) {
        return Interval.pairedRatio(scores(pair.numerator()), scores(pair.denominator()));
    }

    /** Whether the rounds reached the precision for this pair. */
    boolean decided(Pair pair) {
        return ratio(pair).within(PRECISION);
    }

    double[] scores(String method) {
        return forks.get(method).stream().mapToDouble(Double::doubleValue).toArray();
    }

    String progress() {
        StringBuilder out = new StringBuilder("# interleaved round " + rounds + ":");
        for (Pair pair : PAIRS) {
            Interval r = ratio(pair);
            out.append(String.format(Locale.ROOT, " %s / %s = %s (±%.0f%%)", pair.numerator(), pair.denominator(), r.times(),
                    100 * r.halfWidth()));
        }
        return out.toString();
    }
}
