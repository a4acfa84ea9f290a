package datastore.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;

/**
 * A group of benchmarks whose ratios must decide, measured so that they do: each member runs one short
 * fork per round, in an order that rotates from round to round, so that drift of the machine (other
 * load, the page cache, the disk's own state, a slow spell of memory) hits every side of a ratio alike.
 * After each round from {@link #minRounds} on, each ratio gets its 95% interval over the per-round log
 * ratios of the per-fork means ({@link Interval#pairedRatio}); the rounds stop once every ratio of the
 * group's {@link #pairs} is within {@link #PRECISION} of its figure, or after {@link #maxRounds}, and
 * the report then says which ratios stayed undecided. A member whose fork fails runs no more, and the
 * report says why for each of its ratios; the others go on.
 *
 * <p>Two groups: the fsync-bound durable puts ({@link #durablePuts}), and the small gets whose goals
 * compare the dock's hits with the limits and with every peer ({@link #smallGets}). One fork of a small
 * get holds its figure within about 10% from one iteration to the next, but the machine's memory has
 * slow spells of seconds that doubled a {@code ConcurrentHashMap} get within one fork: a ratio of two
 * forks run minutes apart does not decide.
 */
final class Interleaved {
    /** The relative half-width of the 95% interval every ratio must reach. */
    static final double PRECISION = 0.10;

    /** One benchmark of a group: a method, with one value of its JMH parameter when it takes one. */
    record Member(String method, String param, String value) {
        static Member of(String method) {
            return new Member(method, null, null);
        }

        /** The label the report gives it, as for a benchmark of the ordinary pass. */
        String label(String prefix) {
            return prefix + method + (param == null ? "" : ":" + param + "=" + value);
        }
    }

    /** A ratio that decides a goal: numerator over denominator, as the report labels them. */
    record Pair(String numerator, String denominator) {
    }

    static final String DURABLE_PUT = "DurablePut.";
    static final String SMALL_GET = "SmallGet.";
    static final String LIMIT = "limitFdatasyncAppend";
    static final String ONE = "dockRuntime1Writer";
    static final String EIGHT = "dockRuntime8Writers";
    static final String[] HITS = {"Ephemeral", "Runtime", "Rom"};
    static final String CHM = "limitConcurrentHashMap";
    static final String DECODE = "limitMapGetAndDecode";

    /** The class's simple name and a dot, as the labels start. */
    final String prefix;
    final String unit;
    final List<Member> members;
    final List<Pair> pairs;
    final int minRounds;
    final int maxRounds;
    /** Per member label, the mean score of each fork, in round order. */
    final Map<String, List<Double>> forks = new LinkedHashMap<>();
    int rounds;
    /** Per member label, why its fork failed: it runs in no later round, and its ratios are not measured. */
    final Map<String, String> failed = new LinkedHashMap<>();
    /** Why the group could not run at all; null otherwise. */
    String failure;

    private Interleaved(String prefix, String unit, List<Member> members, List<Pair> pairs, int minRounds,
            int maxRounds) {
        this.prefix = prefix;
        this.unit = unit;
        this.members = members;
        this.pairs = pairs;
        this.minRounds = minRounds;
        this.maxRounds = maxRounds;
        members.forEach(m -> forks.put(m.label(prefix), new ArrayList<>()));
    }

    /** The fdatasync append and the dock's durable put with one writer and with eight. */
    static Interleaved durablePuts(int minRounds, int maxRounds) {
        return new Interleaved(DURABLE_PUT, "ops/s", List.of(Member.of(LIMIT), Member.of(ONE), Member.of(EIGHT)),
                List.of(new Pair(DURABLE_PUT + ONE, DURABLE_PUT + LIMIT),
                        new Pair(DURABLE_PUT + EIGHT, DURABLE_PUT + ONE)),
                minRounds, maxRounds);
    }

    /** The two limits, the dock's three hits and its miss, and every peer's get; each hit's ratios decide. */
    static Interleaved smallGets(int minRounds, int maxRounds) {
        List<Member> members = new ArrayList<>(List.of(Member.of(CHM), Member.of(DECODE)));
        for (String hit : HITS) {
            members.add(Member.of("dock" + hit + "Hit"));
        }
        members.add(Member.of("dockMiss")); // no goal: its ratios to the limits are paired all the same
        for (String peer : Peer.ALL) {
            members.add(new Member("peer", "peer", peer));
        }
        List<Pair> pairs = new ArrayList<>();
        for (String hit : HITS) {
            String dock = SMALL_GET + "dock" + hit + "Hit";
            pairs.add(new Pair(dock, SMALL_GET + CHM));
            pairs.add(new Pair(dock, SMALL_GET + DECODE));
            for (String peer : Peer.ALL) {
                pairs.add(new Pair(dock, SMALL_GET + "peer:peer=" + peer));
            }
        }
        return new Interleaved(SMALL_GET, "ns/op", members, pairs, minRounds, maxRounds);
    }

    /** Whether a benchmark regex (null for all) selects any member: the whole group then runs. */
    boolean selected(String only) {
        if (only == null) {
            return true;
        }
        Pattern pattern = Pattern.compile(only);
        return members.stream().anyMatch(m -> pattern.matcher("datastore.bench." + prefix + m.method()).find());
    }

    /** The JMH exclusion of the members' methods from the ordinary pass. */
    String exclusion() {
        return Pattern.quote("datastore.bench." + prefix) + "("
                + members.stream().map(Member::method).distinct().collect(Collectors.joining("|")) + ")$";
    }

    /** Runs rounds of one fork per member until every ratio is precise enough or the cap is reached. */
    void run(Supplier<ChainedOptionsBuilder> options) {
        while (rounds < maxRounds) {
            for (int i = 0; i < members.size(); i++) {
                Member member = members.get((rounds + i) % members.size());
                String label = member.label(prefix);
                if (failed.containsKey(label)) {
                    continue;
                }
                ChainedOptionsBuilder one = options.get()
                        .include("^" + Pattern.quote("datastore.bench." + prefix + member.method()) + "$").forks(1);
                if (member.param() != null) {
                    one.param(member.param(), member.value());
                }
                double score = Double.NaN;
                String failure = "its fork gave no result";
                try {
                    Collection<RunResult> results = new Runner(one.build()).run();
                    score = results.isEmpty() ? Double.NaN : results.iterator().next().getPrimaryResult().getScore();
                } catch (RunnerException e) {
                    failure = "its fork failed: " + e;
                }
                if (Double.isNaN(score)) {
                    // One peer that cannot run on this machine takes its own ratios, not the group's.
                    failed.put(label, failure + " (round " + (rounds + 1) + ")");
                    System.out.println("# interleaved " + label + ": " + failed.get(label));
                    continue;
                }
                forks.get(label).add(score);
            }
            rounds++;
            System.out.println(progress());
            if (rounds >= minRounds && pairs.stream().filter(p -> !failed(p)).allMatch(this::decided)) {
                return;
            }
        }
    }

    /** Whether both labels are members of this group, so that their ratio is paired by round. */
    boolean holds(String numerator, String denominator) {
        return forks.containsKey(numerator) && forks.containsKey(denominator);
    }

    /**
     * The ratio of two members with its interval: none (NaN) when either failed, since its forks then
     * cover fewer rounds than the other's.
     */
    Interval ratio(String numerator, String denominator) {
        if (failed.containsKey(numerator) || failed.containsKey(denominator)) {
            return Interval.NONE;
        }
        return Interval.pairedRatio(scores(numerator), scores(denominator));
    }

    /** Why a side of the pair failed, or null. */
    String failure(Pair pair) {
        return failed.getOrDefault(pair.numerator(), failed.get(pair.denominator()));
    }

    private boolean failed(Pair pair) {
        return failure(pair) != null;
    }

    /** Whether the rounds reached the precision for this pair. */
    boolean decided(Pair pair) {
        return ratio(pair.numerator(), pair.denominator()).within(PRECISION);
    }

    double[] scores(String label) {
        return forks.get(label).stream().mapToDouble(Double::doubleValue).toArray();
    }

    String progress() {
        StringBuilder out = new StringBuilder("# interleaved " + prefix + " round " + rounds + ":");
        for (Pair pair : pairs) {
            Interval r = ratio(pair.numerator(), pair.denominator());
            out.append(String.format(Locale.ROOT, "%n#   %s / %s = %s (±%.0f%%)", pair.numerator(), pair.denominator(),
                    r.times(), 100 * r.halfWidth()));
        }
        return out.toString();
    }
}
