package datastore.bench;

import java.util.Arrays;
import java.util.Locale;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * A figure with its 95% confidence interval. Ratios are ratios of means, with the interval taken on
 * the log scale (so it is the same whichever way round the ratio is written): for two independent
 * samples (per-iteration scores of one fork each) by the delta method with Welch's degrees of freedom;
 * for paired samples (per-fork means of forks run in alternation, paired by round) by the t interval
 * of the per-round log ratios, so that drift which hits both sides of a round cancels.
 */
record Interval(double value, double low, double high) {
    static final double CONFIDENCE = 0.95;
    static final Interval NONE = new Interval(Double.NaN, Double.NaN, Double.NaN);
    /** The verdicts of a goal whose whole interval meets its target, and of one that none of it meets. */
    static final String MET = "yes";
    static final String MISSED = "**no**";

    /** The mean of {@code a} with its t interval. */
    static Interval mean(double[] a) {
        if (a.length == 0) {
            return NONE;
        }
        double m = mean0(a);
        if (a.length < 2) {
            return new Interval(m, Double.NaN, Double.NaN);
        }
        double half = t(a.length - 1) * Math.sqrt(variance(a, m) / a.length);
        return new Interval(m, m - half, m + half);
    }

    /** mean(a) / mean(b) for independent samples. */
    static Interval ratio(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            return NONE;
        }
        double ma = mean0(a);
        double mb = mean0(b);
        double r = ma / mb;
        if (a.length < 2 || b.length < 2) {
            return new Interval(r, Double.NaN, Double.NaN);
        }
        double ua = variance(a, ma) / (a.length * ma * ma);
        double ub = variance(b, mb) / (b.length * mb * mb);
        double v = ua + ub;
        if (v == 0) {
            return new Interval(r, r, r);
        }
        double df = v * v / (ua * ua / (a.length - 1) + ub * ub / (b.length - 1));
        double half = t(df) * Math.sqrt(v);
        return new Interval(r, r * Math.exp(-half), r * Math.exp(half));
    }

    /** mean(a) / mean(b) for samples paired by index (a[i] and b[i] from the same round). */
    static Interval pairedRatio(double[] a, double[] b) {
        int n = Math.min(a.length, b.length);
        if (n == 0) {
            return NONE;
        }
        double r = mean0(Arrays.copyOf(a, n)) / mean0(Arrays.copyOf(b, n));
        if (n < 2) {
            return new Interval(r, Double.NaN, Double.NaN);
        }
        double[] logs = new double[n];
        for (int i = 0; i < n; i++) {
            logs[i] = Math.log(a[i] / b[i]);
        }
        double m = mean0(logs);
        double half = t(n - 1) * Math.sqrt(variance(logs, m) / n);
        return new Interval(r, r * Math.exp(-half), r * Math.exp(half));
    }

    /** Whether the interval lies within {@code ±fraction} of the figure. */
    boolean within(double fraction) {
        return !Double.isNaN(low) && low >= value * (1 - fraction) && high <= value * (1 + fraction);
    }

    /** The larger distance of an end from the figure, as a fraction of it. */
    double halfWidth() {
        return Math.max(value - low, high - value) / value;
    }

    /** "yes" when the whole interval is at least {@code target}, "**no**" when all of it is below, else "undecided". */
    String atLeast(double target) {
        return verdict(low >= target, high < target);
    }

    /** "yes" when the whole interval is at most {@code target}, "**no**" when all of it is above, else "undecided". */
    String atMost(double target) {
        return verdict(high <= target, low > target);
    }

    /** "yes" when the whole interval is below {@code target}, "**no**" when none of it is, else "undecided". */
    String below(double target) {
        return verdict(high < target, low >= target);
    }

    private String verdict(boolean met, boolean missed) {
        if (Double.isNaN(value)) {
            return "not measured";
        }
        if (Double.isNaN(low)) {
            return "undecided (no interval)";
        }
        return met ? MET : missed ? MISSED : "undecided";
    }

    /** {@code 2.13x [1.95, 2.33]}. */
    String times() {
        if (Double.isNaN(value)) {
            return "-";
        }
        if (Double.isNaN(low)) {
            return String.format(Locale.ROOT, "%.2fx [-]", value);
        }
        return String.format(Locale.ROOT, "%.2fx [%.2f, %.2f]", value, low, high);
    }

    /** The figure and its interval as plain numbers: {@code 812 [790, 834]}. */
    String plain() {
        if (Double.isNaN(value)) {
            return "-";
        }
        return Report.num(value) + (Double.isNaN(low) ? " [-]" : " [" + Report.num(low) + ", " + Report.num(high) + "]");
    }

    private static double t(double df) {
        return new TDistribution(df).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
    }

    private static double mean0(double[] a) {
        double sum = 0;
        for (double x : a) {
            sum += x;
        }
        return sum / a.length;
    }

    private static double variance(double[] a, double mean) {
        double sum = 0;
        for (double x : a) {
            sum += (x - mean) * (x - mean);
        }
        return sum / (a.length - 1);
    }
}
