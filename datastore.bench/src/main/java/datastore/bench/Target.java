package datastore.bench;

import java.util.Locale;

/**
 * A goal's target for a ratio: at most, at least, or below a value. The goal is met only when the whole
 * 95% interval meets it, missed when none of it does, and undecided while the target lies inside it.
 */
record Target(String relation, double value) {
    static Target atMost(double value) {
        return new Target("<=", value);
    }

    static Target atLeast(double value) {
        return new Target(">=", value);
    }

    static Target below(double value) {
        return new Target("<", value);
    }

    /** "yes", "**no**" or "undecided", as {@link Interval} words them. */
    String verdict(Interval r) {
        return switch (relation) {
            case "<=" -> r.atMost(value);
            case ">=" -> r.atLeast(value);
            default -> r.below(value);
        };
    }

    /** Whether the interval lies wholly on one side of the target, so that the goal is met or missed. */
    boolean decides(Interval r) {
        String verdict = verdict(r);
        return verdict.equals(Interval.MET) || verdict.equals(Interval.MISSED);
    }

    /** {@code <= 6x}. */
    @Override
    public String toString() {
        return relation + " " + String.format(Locale.ROOT, "%s", value).replaceAll("\\.0$", "") + "x";
    }
}
