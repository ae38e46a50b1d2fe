package com.acme.imageedit.dispatch;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Plans polls from observed run times. Calls per job are roughly the integral of S(t)/h(t) (S: share of jobs still
 * running, h: poll gap), while a job finishing inside a gap of length h waits uniformly up to h. Minimising the former
 * under bounds on the median and 90th-percentile lag gives three gap sizes, chosen by the inverse hazard S(t)/f(t):
 * where few of the running jobs are about to finish, gaps as long as allowed (those jobs make up the lag quantiles'
 * slack); elsewhere gaps just short enough for the p90 target; where jobs finish most densely, gaps short enough for
 * the median target. The two thresholds on S/f are searched so that, replayed over the samples themselves, the plan
 * meets both targets with the fewest polls.
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

    private PollPlanner() {
    }

    static Result plan(double[] samples, Settings settings) {
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double small = clamp(settings.safety() * settings.targetMedianLag(), settings);
        double mid = clamp(settings.safety() * settings.targetP90Lag(), settings);
        double big = settings.maxInterval();
        double grid = Math.max(1, small / 4);
        double horizon = sorted[sorted.length - 1] + mid;
        int points = (int) Math.ceil(horizon / grid) + 1;
        double[] inverseHazard = inverseHazard(sorted, grid, points);

        TreeSet<Double> thresholds = new TreeSet<>();
        double[] finite = Arrays.stream(inverseHazard).filter(Double::isFinite).sorted().toArray();
        for (int i = 0; i < CANDIDATES && finite.length > 0; i++) {
            thresholds.add(finite[(int) ((long) i * (finite.length - 1) / (CANDIDATES - 1))]);
        }
        thresholds.add(Double.POSITIVE_INFINITY);
        thresholds.add(0.0);

        Result best = null;
        for (double a : thresholds) {
            for (double b : thresholds.headSet(a, true)) {
                PollPlan plan = build(inverseHazard, grid, horizon, a, b, small, mid, big, settings);
                Result result = replay(plan, sorted, settings.quantileMargin());
                boolean meets = result.medianLag() <= settings.safety() * settings.targetMedianLag()
                        && result.p90Lag() <= settings.safety() * settings.targetP90Lag();
                if (meets && (best == null || result.callsPerJob() < best.callsPerJob())) {
                    best = result;
                }
            }
        }
        if (best == null) {
            // nothing met the targets (a minimum first poll beyond most completions, say): poll at the short gap
            best = replay(build(inverseHazard, grid, horizon, 0, 0, small, small, small, settings), sorted,
                    settings.quantileMargin());
        }
        return best;
    }

    /** Replays a plan over run times: calls per job and the lag quantiles (raised by the margin). */
    static Result replay(PollPlan plan, double[] sortedSamples, double quantileMargin) {
        double[] lags = new double[sortedSamples.length];
        long calls = 0;
        for (int i = 0; i < sortedSamples.length; i++) {
            long done = (long) Math.ceil(sortedSamples[i]);
            calls += plan.pollsUntil(done);
            lags[i] = plan.detectionOffset(done) - sortedSamples[i];
        }
        Arrays.sort(lags);
        return new Result(plan, (double) calls / sortedSamples.length, quantile(lags, 0.5 + quantileMargin),
                quantile(lags, 0.9 + quantileMargin));
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
