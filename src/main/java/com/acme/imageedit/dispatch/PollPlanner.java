package com.acme.imageedit.dispatch;

import java.util.Arrays;

/**
 * Plans polls from observed run times. Calls per job are roughly the integral of S(t)/h(t) (S: share of jobs still
 * running, h: poll gap), while a job finishing inside a gap of length h waits uniformly up to h. Minimising the former
 * under bounds on the median and 90th-percentile lag gives three gap sizes, chosen by the inverse hazard S(t)/f(t):
 * where few of the running jobs are about to finish, gaps as long as allowed (those jobs make up the lag quantiles'
 * slack); elsewhere gaps just short enough for the p90 target; where jobs finish most densely, gaps short enough for
 * the median target. The two thresholds on S/f are searched so that, replayed over the samples themselves, the plan
 * meets both targets with the fewest polls.
 *
 * <p>Polls do not go out exactly when planned: they are claimed and wait for the budget, so each goes out some delay
 * after its due time. A delay common to every poll delays every schedule alike (TheRouter's loop run by this
 * service too), but a change of delay from one poll to the next makes the gap that hides a completion longer or shorter
 * than planned. That blurs the edge of a lag distribution whose 90th percentile sits at the end of the p90-sized gaps,
 * much more than it blurs the loop's even spread of lags. So plans are replayed with the observed pairs of delays (the
 * poll that saw a job finished, and the one before it; less their median), and since the same noise also lengthens the
 * lags of the loop the targets stand for (TheRouter's loop, every {@code tailInterval}), a plan may exceed each target by
 * as much as that noise lengthens the loop's own lag quantile over the same samples, and no more.
 */
final class PollPlanner {

    /** The inputs, in milliseconds. */
    record Settings(long minFirstPoll, long minInterval, long maxInterval, double targetMedianLag,
                    double targetP90Lag, double safety, double quantileMargin, long tailInterval) {
    }

    /** A plan and what it achieved when replayed over the samples. */
    record Result(PollPlan plan, double callsPerJob, double medianLag, double p90Lag) {
    }

    private static final int CANDIDATES = 48;
    /** How much costlier than the best new plan the plan in force may be and still be kept. */
    static final double KEEP_WITHIN = 0.02;
    /** Grid steps per median-target gap: gaps are multiples of the grid, so a coarse one wastes polls. */
    private static final int GRID = 16;

    private PollPlanner() {
    }

    static Result plan(double[] samples, Settings settings) {
        return plan(samples, new double[0], new double[0], settings);
    }

    /**
     * Plans from run times and the observed delays of polls (ms after their due time) that saw jobs finished, and of the
     * polls before those (same length; both empty: polls exactly on time).
     */
    static Result plan(double[] samples, double[] delays, double[] previousDelays, Settings settings) {
        return plan(samples, delays, previousDelays, settings, null);
    }

    /**
     * The same, keeping {@code incumbent} (the plan in force; null: none) while it still meets the targets on these
     * samples at no more than {@link #KEEP_WITHIN} more calls than the best new plan: plans that shift by a few
     * milliseconds at every refresh would make the jobs in flight, which follow whichever plan is in force at each
     * poll, poll twice in quick succession.
     */
    static Result plan(double[] samples, double[] delays, double[] previousDelays, Settings settings,
                       PollPlan incumbent) {
        Jitter jitter = Jitter.of(delays, previousDelays);
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double small = clamp(settings.safety() * settings.targetMedianLag(), settings);
        double mid = clamp(settings.safety() * settings.targetP90Lag(), settings);
        double big = settings.maxInterval();
        double grid = Math.max(1, small / GRID);
        double horizon = sorted[sorted.length - 1] + mid;
        int points = (int) Math.ceil(horizon / grid) + 1;
        double[] inverseHazard = inverseHazard(sorted, grid, points);

        // Thresholds on S/f: a (above it, the longest gaps) and b <= a (above it, p90-sized gaps). For a given b, fewer
        // polls and longer lags both grow as a falls, so the smallest a that still meets the targets is found by
        // bisection over every distinct value of S/f on the grid; b is searched over quantiles of S/f, then finely
        // between the neighbours of the best one.
        double[] levels = levels(inverseHazard);
        double[] coarse = new double[CANDIDATES];
        for (int i = 0; i < CANDIDATES; i++) {
            coarse[i] = levels[(int) ((long) i * (levels.length - 1) / (CANDIDATES - 1))];
        }
        Search search = new Search(inverseHazard, grid, horizon, small, mid, big, sorted, jitter, settings);
        if (!jitter.isNone()) {
            PollPlan loop = PollPlan.fixed(settings.tailInterval(), settings.tailInterval());
            Result onTime = replay(loop, sorted, 0);
            Result noisy = replay(loop, sorted, jitter, 0, 0);
            search.allow(noisy.medianLag() - onTime.medianLag(), noisy.p90Lag() - onTime.p90Lag());
        }
        int bestCoarse = -1;
        for (int i = 0; i < coarse.length; i++) {
            if (search.tryB(coarse[i], levels)) {
                bestCoarse = i;
            }
        }
        if (bestCoarse >= 0) {
            double from = coarse[Math.max(0, bestCoarse - 1)];
            double to = coarse[Math.min(coarse.length - 1, bestCoarse + 1)];
            for (double b : levels) {
                if (b > from && b < to) {
                    search.tryB(b, levels);
                }
            }
        }
        Result best = search.best;
        if (best != null && incumbent != null && !incumbent.equals(best.plan())) {
            Result kept = search.judge(incumbent);
            if (kept != null && kept.callsPerJob() <= best.callsPerJob() * (1 + KEEP_WITHIN)) {
                return kept;
            }
        }
        if (best == null) {
            // nothing met the targets (a minimum first poll beyond most completions, say): poll at the short gap
            best = replay(build(inverseHazard, grid, horizon, 0, 0, small, small, small, settings), sorted, jitter,
                    margin(settings, 0.5, sorted.length), margin(settings, 0.9, sorted.length));
        }
        return best;
    }

    /** Every distinct finite S/f value on the grid, sorted, with 0 below them and infinity above. */
    private static double[] levels(double[] inverseHazard) {
        double[] finite = Arrays.stream(inverseHazard).filter(Double::isFinite).sorted().distinct().toArray();
        double[] levels = new double[finite.length + 2];
        System.arraycopy(finite, 0, levels, 1, finite.length);
        levels[finite.length + 1] = Double.POSITIVE_INFINITY;
        return levels;
    }

    /** The best plan met so far, over the (a, b) threshold pairs tried. */
    private static final class Search {
        private final double[] inverseHazard;
        private final double grid;
        private final double horizon;
        private final double small;
        private final double mid;
        private final double big;
        private final double[] sorted;
        private final Jitter jitter;
        private final Settings settings;
        private final double medianMargin;
        private final double p90Margin;
        private double medianAllowance;
        private double p90Allowance;
        private Result best;

        Search(double[] inverseHazard, double grid, double horizon, double small, double mid, double big,
               double[] sorted, Jitter jitter, Settings settings) {
            this.inverseHazard = inverseHazard;
            this.grid = grid;
            this.horizon = horizon;
            this.small = small;
            this.mid = mid;
            this.big = big;
            this.sorted = sorted;
            this.jitter = jitter;
            this.settings = settings;
            this.medianMargin = margin(settings, 0.5, sorted.length);
            this.p90Margin = margin(settings, 0.9, sorted.length);
        }

        /** How much longer than the targets the lags may be: what the same timing noise does to the loop's. */
        void allow(double median, double p90) {
            this.medianAllowance = median;
            this.p90Allowance = p90;
        }

        /** Finds the smallest a >= b that meets the targets with b; answers whether this improved the best. */
        boolean tryB(double b, double[] levels) {
            int lo = lowerBound(levels, b);
            int hi = levels.length - 1;
            Result found = evaluate(levels[hi], b);
            if (found == null) {
                return false;
            }
            while (lo < hi) {
                int probe = (lo + hi) >>> 1;
                Result result = evaluate(levels[probe], b);
                if (result != null) {
                    hi = probe;
                    found = result;
                } else {
                    lo = probe + 1;
                }
            }
            if (best == null || found.callsPerJob() < best.callsPerJob()) {
                best = found;
                return true;
            }
            return false;
        }

        private Result evaluate(double a, double b) {
            return judge(build(inverseHazard, grid, horizon, a, b, small, mid, big, settings));
        }

        /** The plan's replay over the samples if it meets the targets, else null. */
        Result judge(PollPlan plan) {
            Result result = replay(plan, sorted, jitter, medianMargin, p90Margin);
            boolean meets = result.medianLag() <= settings.safety() * settings.targetMedianLag() + medianAllowance
                    && result.p90Lag() <= settings.safety() * settings.targetP90Lag() + p90Allowance;
            return meets ? result : null;
        }
    }

    /** Replays a plan over run times: calls per job and the lag quantiles (raised by the margin). */
    static Result replay(PollPlan plan, double[] sortedSamples, double quantileMargin) {
        return replay(plan, sortedSamples, quantileMargin, quantileMargin);
    }

    /**
     * How far above a quantile the plan is judged on its own samples: the configured margin, or two standard errors
     * of that quantile's estimate from n samples where that is more (a few hundred samples make a plan that merely
     * fits them miss the targets on the jobs to come).
     */
    static double margin(Settings settings, double q, int n) {
        return Math.max(settings.quantileMargin(), 3 * Math.sqrt(q * (1 - q) / Math.max(1, n)));
    }

    static Result replay(PollPlan plan, double[] sortedSamples, double medianMargin, double p90Margin) {
        return replay(plan, sortedSamples, Jitter.NONE, medianMargin, p90Margin);
    }

    /**
     * Replays with timing noise: sample i gets one observed pair of delays (relative to the usual delay, so either may be
     * negative), picked by a fixed hash so that a replay is repeatable: every poll goes out {@code before} late, except
     * the first one that can see the job finished, which goes out {@code detecting} late; if that one comes too early
     * after all, the next one sees it.
     */
    static Result replay(PollPlan plan, double[] sortedSamples, Jitter jitter, double medianMargin,
                         double p90Margin) {
        double[] lags = new double[sortedSamples.length];
        long calls = 0;
        for (int i = 0; i < sortedSamples.length; i++) {
            double done = sortedSamples[i];
            if (jitter.isNone()) {
                long at = (long) Math.ceil(done);
                calls += plan.pollsUntil(at);
                lags[i] = plan.detectionOffset(at) - done;
                continue;
            }
            int pair = jitter.pick(i);
            double before = jitter.before()[pair];
            double detecting = jitter.detecting()[pair];
            int k = plan.pollsUntil((long) Math.ceil(done - before)) - 1;
            double answer = plan.offset(k) + detecting;
            if (answer < done) {
                k++;
                answer = plan.offset(k) + before;
            }
            calls += k + 1;
            lags[i] = answer - done;
        }
        Arrays.sort(lags);
        return new Result(plan, (double) calls / sortedSamples.length, quantile(lags, 0.5 + medianMargin),
                quantile(lags, 0.9 + p90Margin));
    }

    /**
     * Observed delays of polls, less the median of the detecting ones: the poll that saw a job finished, and the
     * one before it, pair by pair, in the order observed (not the run times' order).
     */
    record Jitter(double[] detecting, double[] before) {

        static final Jitter NONE = new Jitter(new double[0], new double[0]);

        static Jitter of(double[] delays, double[] previousDelays) {
            if (delays.length == 0) {
                return NONE;
            }
            if (previousDelays.length != delays.length) {
                throw new IllegalArgumentException("one previous delay per delay");
            }
            double[] sorted = delays.clone();
            Arrays.sort(sorted);
            double median = quantile(sorted, 0.5);
            return new Jitter(Arrays.stream(delays).map(d -> d - median).toArray(),
                    Arrays.stream(previousDelays).map(d -> d - median).toArray());
        }

        boolean isNone() {
            return detecting.length == 0;
        }

        /** Which pair sample {@code i} gets: spread over all of them, the same every time. */
        int pick(int i) {
            long h = (i + 1) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 29;
            return (int) Math.floorMod(h, (long) detecting.length);
        }
    }

    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static PollPlan build(double[] inverseHazard, double grid, double horizon, double a, double b,
                                  double small, double mid, double big, Settings settings) {
        long[] offsets = new long[16];
        int count = 0;
        double t = 0;
        while (t < horizon) {
            double gap = 0;
            double allowedSoFar = Double.POSITIVE_INFINITY;
            for (int k = (int) Math.floor(t / grid) + 1; k < inverseHazard.length; k++) {
                double x = k * grid;
                double r = inverseHazard[k];
                allowedSoFar = Math.min(allowedSoFar, r > a ? big : r > b ? mid : small);
                if (x - t > allowedSoFar) {
                    break;
                }
                gap = x - t;
            }
            double next = t + Math.max(gap, settings.minInterval());
            if (count == 0) {
                next = Math.max(next, settings.minFirstPoll());
            }
            if (count == offsets.length) {
                offsets = Arrays.copyOf(offsets, count * 2);
            }
            offsets[count++] = Math.round(next);
            t = Math.round(next);
        }
        return new PollPlan(Arrays.copyOf(offsets, count), settings.tailInterval());
    }

    /** S(t)/f(t) on a grid, f by a Gaussian kernel (Silverman's bandwidth), S empirical. */
    private static double[] inverseHazard(double[] sorted, double grid, int points) {
        int n = sorted.length;
        double mean = Arrays.stream(sorted).average().orElse(0);
        double sd = Math.sqrt(Arrays.stream(sorted).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, n - 1));
        double iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
        double spread = Math.min(sd, iqr / 1.34 > 0 ? iqr / 1.34 : sd);
        double bandwidth = Math.max(grid, 0.9 * spread * Math.pow(n, -0.2));
        double[] result = new double[points];
        for (int k = 0; k < points; k++) {
            double x = k * grid;
            double density = 0;
            int from = lowerBound(sorted, x - 5 * bandwidth);
            for (int i = from; i < n && sorted[i] <= x + 5 * bandwidth; i++) {
                double z = (x - sorted[i]) / bandwidth;
                density += Math.exp(-0.5 * z * z);
            }
            density /= n * bandwidth * Math.sqrt(2 * Math.PI);
            double survival = (double) (n - lowerBound(sorted, x)) / n;
            result[k] = density > 1e-12 ? survival / density : Double.POSITIVE_INFINITY;
        }
        return result;
    }

    private static int lowerBound(double[] sorted, double value) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static double clamp(double gap, Settings settings) {
        return Math.max(settings.minInterval(), Math.min(settings.maxInterval(), gap));
    }
}
