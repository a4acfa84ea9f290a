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
 * ratios of the per-fork means ({@link Interval#pairedRatio}). A ratio is decided once its interval is
 * within {@link #PRECISION} of its figure and, when it has a goal, on one side of the goal's target; a
 * member whose every ratio is decided retires (it runs in no later round, and its ratios keep the rounds
 * they had), and the rounds stop once every ratio of the group's {@link #pairs} is decided, or after
 * {@link #maxRounds}; the report then says which ratios stayed undecided. A member whose fork fails runs
 * no more, and the report says why for each of its ratios; the others go on.
 *
 * <p>Two groups: the fsync-bound durable puts ({@link #durablePuts}), and the small gets whose goals
 * compare the dock's hits with the limits and with every peer ({@link #smallGets}). One fork of a small
 * get holds its figure within about 10% from one iteration to the next, but the machine's memory has
 * slow spells of seconds that doubled a {@code ConcurrentHashMap} get within one fork: a ratio of two
 * forks run minutes apart does not decide. A durable put's forks differ more from each other than its
 * iterations within a fork do (the fdatasync append's iterations by 2%, its forks' means by 21%, up to
 * 2x: 3,946 ops/s in one fork and 7,523 in another a minute later; the dock's by 9% and 15%): what
 * decides its ratios is the number of forks, so its forks are short and its rounds many.
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

    /**
     * A ratio the rounds must decide: numerator over denominator, as the report labels them, what the
     * report calls it, and its goal's target (null when it has none: it only has to be precise).
     */
    record Pair(String numerator, String denominator, String description, Target target) {
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
    /** The warm-up and the measured iterations of one fork, of one second each, unless JMH options say otherwise. */
    final int warmups;
    final int measurements;
    /** Per member label, the mean score of each fork, in round order from the first round on. */
    final Map<String, List<Double>> forks = new LinkedHashMap<>();
    int rounds;
    /** Per member label, why its fork failed: it runs in no later round, and its ratios are not measured. */
    final Map<String, String> failed = new LinkedHashMap<>();
    /** Per member label, the round after which it retired, every ratio of it being decided. */
    final Map<String, Integer> retired = new LinkedHashMap<>();
    /** Why the group could not run at all; null otherwise. */
    String failure;

    private Interleaved(String prefix, String unit, List<Member> members, List<Pair> pairs, int[] rounds,
            int warmups, int measurements) {
        if (rounds[0] < 2 || rounds[1] < rounds[0]) {
            throw new IllegalArgumentException(
                    "rounds MIN:MAX need 2 <= MIN <= MAX, not " + rounds[0] + ":" + rounds[1]);
        }
        this.prefix = prefix;
        this.unit = unit;
        this.members = members;
        this.pairs = pairs;
        this.minRounds = rounds[0];
        this.maxRounds = rounds[1];
        this.warmups = warmups;
        this.measurements = measurements;
        members.forEach(m -> forks.put(m.label(prefix), new ArrayList<>()));
    }

    /**
     * The fdatasync append and the dock's durable put with one writer and with eight: forks of one
     * warm-up and two measured iterations, {@code rounds} (MIN:MAX) of them; null for the mode's own.
     */
    static Interleaved durablePuts(boolean full, int[] rounds) {
        return new Interleaved(DURABLE_PUT, "ops/s", List.of(Member.of(LIMIT), Member.of(ONE), Member.of(EIGHT)),
                List.of(new Pair(DURABLE_PUT + ONE, DURABLE_PUT + LIMIT,
                                "durable put, 1 writer: runtime / fdatasync append", Target.atLeast(0.9)),
                        new Pair(DURABLE_PUT + EIGHT, DURABLE_PUT + ONE, "durable put: runtime 8 writers / 1 writer",
                                Target.atLeast(4))),
                rounds != null ? rounds : full ? new int[] {4, 48} : new int[] {3, 12}, 1, 2);
    }

    /**
     * The two limits, the dock's three hits and its miss, and every peer's get; each hit's ratios decide.
     * Forks of two warm-up and five measured iterations (three when quick), {@code rounds} (MIN:MAX) of
     * them; null for the mode's own.
     */
    static Interleaved smallGets(boolean full, int[] rounds) {
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
            Target target = hit.equals("Ephemeral") ? Target.atMost(3) : hit.equals("Rom") ? Target.atMost(6) : null;
            pairs.add(new Pair(SMALL_GET + "dock" + hit + "Hit", SMALL_GET + CHM, "small get: " + name(hit)
                    + " hit / ConcurrentHashMap get", target));
        }
        for (String hit : HITS) {
            pairs.add(new Pair(SMALL_GET + "dock" + hit + "Hit", SMALL_GET + DECODE, "small get: " + name(hit)
                    + " hit / map get + decode", null));
        }
        for (String peer : Peer.ALL) {
            for (String hit : HITS) {
                pairs.add(new Pair(SMALL_GET + "dock" + hit + "Hit", SMALL_GET + "peer:peer=" + peer, "small get: "
                        + name(hit) + " hit / " + peer + " get", Target.below(1)));
            }
        }
        return new Interleaved(SMALL_GET, "ns/op", members, pairs,
                rounds != null ? rounds : full ? new int[] {4, 8} : new int[] {3, 6}, 2, full ? 5 : 3);
    }

    private static String name(String hit) {
        return hit.equals("Rom") ? "ROM" : hit.toLowerCase(Locale.ROOT);
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

    /** Runs rounds of one fork per member until every ratio is {@link #decided} or the cap is reached. */
    void run(Supplier<ChainedOptionsBuilder> options) {
        while (rounds < maxRounds) {
            for (int i = 0; i < members.size(); i++) {
                Member member = members.get((rounds + i) % members.size());
                String label = member.label(prefix);
                if (failed.containsKey(label) || retired.containsKey(label)) {
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
            if (rounds >= minRounds) {
                retire();
            }
            System.out.println(progress());
            if (rounds >= minRounds && pairs.stream().filter(p -> !failed(p)).allMatch(this::decided)) {
                return;
            }
        }
    }

    /**
     * Retires each running member whose every ratio with a member that has not failed is {@link #decided}:
     * more of its forks would decide nothing, and the rounds of the others get shorter. A ratio with a
     * member that retired earlier stays as it was, since that member has no forks to pair with.
     */
    private void retire() {
        for (Member member : members) {
            String label = member.label(prefix);
            if (failed.containsKey(label) || retired.containsKey(label)) {
                continue;
            }
            List<Pair> own = pairs.stream().filter(p -> !failed(p))
                    .filter(p -> p.numerator().equals(label) || p.denominator().equals(label)).toList();
            // A member without a ratio of its own (the miss) runs to the end, for the ratios shown beside the goals.
            if (!own.isEmpty() && own.stream().allMatch(p -> decided(p) || retired.containsKey(other(p, label)))) {
                retired.put(label, rounds);
                System.out.println("# interleaved " + label + ": every ratio decided after round " + rounds
                        + ", it runs no more");
            }
        }
    }

    private static String other(Pair pair, String label) {
        return pair.numerator().equals(label) ? pair.denominator() : pair.numerator();
    }

    /** The rounds a pair's ratio is taken over: those in which both of its members ran. */
    int rounds(Pair pair) {
        return rounds(pair.numerator(), pair.denominator());
    }

    int rounds(String numerator, String denominator) {
        return Math.min(forks.get(numerator).size(), forks.get(denominator).size());
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

    /**
     * Whether the rounds decided this pair: its interval is within the precision and, when it has a
     * target, lies on one side of it. A ratio close to its target thus takes more rounds, up to the cap.
     */
    boolean decided(Pair pair) {
        Interval r = ratio(pair.numerator(), pair.denominator());
        return r.within(PRECISION) && (pair.target() == null || pair.target().decides(r));
    }

    double[] scores(String label) {
        return forks.get(label).stream().mapToDouble(Double::doubleValue).toArray();
    }

    String progress() {
        StringBuilder out = new StringBuilder("# interleaved " + prefix + " round " + rounds + ":");
        for (Pair pair : pairs) {
            Interval r = ratio(pair.numerator(), pair.denominator());
            out.append(String.format(Locale.ROOT, "%n#   %s / %s = %s (±%.0f%%, %d rounds)", pair.numerator(),
                    pair.denominator(), r.times(), 100 * r.halfWidth(), rounds(pair)));
        }
        return out.toString();
    }
}
