package com.acme.imageedit.dispatch;

/**
 * Run times as the poller knows them: each completion only lies somewhere between two polls (after {@code low}, by
 * {@code high}). Spreading each one uniformly over its interval is unbiased only where the polls are dense; the
 * adaptive plan's own long gaps (before its first poll, in the tails) would smear completions into times where none
 * happen, which the next plan then pays for in polls. So the density is estimated from all intervals together by
 * smoothed expectation-maximisation (EMS: Turnbull's self-consistency step, then a Gaussian smoothing, a fixed number
 * of times, starting from uniform spreading), and each completion is then placed inside its interval by that density,
 * at the quantile {@code u} that the caller fixes per job (so every replica places it at the same point).
 */
final class RunTimeEstimate {

    private static final int MAX_CELLS = 50_000;

    private RunTimeEstimate() {
    }

    /**
     * One point per interval. {@code cell} is the resolution of the density in ms, {@code sigma} its smoothing (ms),
     * {@code iterations} the number of EMS steps (0 = uniform spreading).
     */
    static double[] impute(long[] low, long[] high, double[] u, double cell, double sigma, int iterations) {
        int n = low.length;
        long max = 0;
        for (long h : high) {
            max = Math.max(max, h);
        }
        double width = Math.max(cell, (double) max / MAX_CELLS);
        int cells = (int) Math.ceil(max / width) + 1;
        int[] from = new int[n];
        int[] to = new int[n];
        for (int i = 0; i < n; i++) {
            from[i] = Math.min(cells - 1, (int) Math.floor(low[i] / width));
            to[i] = Math.max(from[i], Math.min(cells - 1, (int) Math.ceil(high[i] / width) - 1));
        }
        double[] density = new double[cells];
        for (int i = 0; i < n; i++) {
            spread(density, from[i], to[i], null);
        }
        double[] kernel = kernel(sigma / width);
        for (int iteration = 0; iteration < iterations; iteration++) {
            double[] next = new double[cells];
            for (int i = 0; i < n; i++) {
                spread(next, from[i], to[i], density);
            }
            density = smooth(next, kernel);
        }
        double[] points = new double[n];
        for (int i = 0; i < n; i++) {
            points[i] = place(density, from[i], to[i], u[i], width, low[i], high[i]);
        }
        return points;
    }

    /** Adds one unit of mass over cells from..to, in proportion to {@code weights} there (evenly when null or zero). */
    private static void spread(double[] target, int from, int to, double[] weights) {
        double total = 0;
        if (weights != null) {
            for (int j = from; j <= to; j++) {
                total += weights[j];
            }
        }
        if (total <= 0) {
            double share = 1.0 / (to - from + 1);
            for (int j = from; j <= to; j++) {
                target[j] += share;
            }
            return;
        }
        for (int j = from; j <= to; j++) {
            target[j] += weights[j] / total;
        }
    }

    private static double place(double[] density, int from, int to, double u, double width, long low, long high) {
        double total = 0;
        for (int j = from; j <= to; j++) {
            total += density[j];
        }
        double point;
        if (total <= 0) {
            point = low + u * (high - low);
        } else {
            double wanted = u * total;
            double below = 0;
            int j = from;
            while (j < to && below + density[j] < wanted) {
                below += density[j];
                j++;
            }
            double within = density[j] > 0 ? Math.min(1, (wanted - below) / density[j]) : 0.5;
            point = (j + within) * width;
        }
        return Math.max(low, Math.min(high, point));
    }

    private static double[] kernel(double sigmaCells) {
        if (sigmaCells <= 0) {
            return new double[] {1};
        }
        int reach = (int) Math.ceil(3 * sigmaCells);
        double[] kernel = new double[2 * reach + 1];
        for (int i = -reach; i <= reach; i++) {
            kernel[i + reach] = Math.exp(-0.5 * i * i / (sigmaCells * sigmaCells));
        }
        return kernel;
    }

    /** Convolves with the kernel, renormalised at the edges so that no mass leaves the grid. */
    private static double[] smooth(double[] mass, double[] kernel) {
        int reach = kernel.length / 2;
        double[] smoothed = new double[mass.length];
        for (int j = 0; j < mass.length; j++) {
            if (mass[j] == 0) {
                continue;
            }
            double norm = 0;
            for (int i = -reach; i <= reach; i++) {
                int t = j + i;
                if (t >= 0 && t < mass.length) {
                    norm += kernel[i + reach];
                }
            }
            for (int i = -reach; i <= reach; i++) {
                int t = j + i;
                if (t >= 0 && t < mass.length) {
                    smoothed[t] += mass[j] * kernel[i + reach] / norm;
                }
            }
        }
        return smoothed;
    }
}
