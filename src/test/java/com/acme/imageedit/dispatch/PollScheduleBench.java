package com.acme.imageedit.dispatch;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Benchmark of acceptance 6 (run by bench/adaptive-polling.sh): the production planner and plans, fed the way the
 * service feeds them. Run times are drawn like the simulator draws them (uniform 30-180 s; log-normal median 60 s,
 * sigma 0.35, clamped to [15 s, 360 s]). The adaptive schedule first polls like the loop and learns only what the loop
 * would observe (each completion known to lie between two polls, imputed uniformly inside, as PollSchedule does), from
 * 1,000 jobs; it is then judged with TheRouter's 5-second loop on 20,000 fresh jobs. A second adaptive row goes on
 * learning from what its own polls see ({@link LearningLoop}), as the service does. One configuration for both.
 */
public final class PollScheduleBench {

    private PollScheduleBench() {
    }

    // Not "main": test-run picks the one main class in test scope, and that must be TestImageEditProxyApplication.
    public static void run(String[] args) {
        System.out.println("| distribution | schedule | status calls/job | median lag s | p90 lag s | fewer calls |");
        System.out.println("|---|---|---|---|---|---|");
        StringBuilder curves = new StringBuilder("distribution,schedule,parameter_s,calls_per_job,median_lag_s,p90_lag_s\n");
        for (String distribution : new String[] {"uniform", "lognormal"}) {
            SplittableRandom random = new SplittableRandom(distribution.hashCode());
            DoubleSupplier runTime = distribution.equals("uniform")
                    ? () -> 30_000 + random.nextDouble() * 150_000
                    : () -> Math.max(15_000, Math.min(360_000, 60_000 * Math.exp(0.35 * gaussian(random))));
            double[] fresh = draw(runTime, 20_000);
            double[] learned = observedThroughTheLoop(draw(runTime, 1_000), 5_000);
            PollPlanner.Result loop = PollPlanner.replay(PollPlan.fixed(5_000, 5_000), fresh, 0);
            PollPlanner.Result adaptive = PollPlanner.replay(
                    PollPlanner.plan(learned, settings(2_500, 4_500)).plan(), fresh, 0);
            row(distribution, "fixed 5 s loop", loop, loop);
            row(distribution, "adaptive (learned from the loop's polls)", adaptive, loop);
            LearningLoop learning = new LearningLoop(settings(2_500, 4_500), 2_000, PollPlan.fixed(5_000, 5_000));
            learning.round(runTime, 300);
            PollPlan own = null;
            for (int round = 0; round < 8; round++) {
                own = learning.round(runTime, 250);
            }
            row(distribution, "adaptive (300 via the loop, then 2,000 via its own polls)",
                    PollPlanner.replay(own, fresh, 0), loop);
            for (int seconds : new int[] {2, 3, 4, 5, 6, 8, 10}) {
                long gap = seconds * 1_000L;
                PollPlanner.Result f = PollPlanner.replay(PollPlan.fixed(gap, gap), fresh, 0);
                // the adaptive schedule aimed at that loop's own lags: median gap/2, p90 0.9 gap
                PollPlanner.Result a = PollPlanner.replay(PollPlanner.plan(observedThroughTheLoop(
                        draw(runTime, 1_000), gap), settings(gap / 2.0, gap * 0.9)).plan(), fresh, 0);
                curve(curves, distribution, "fixed", seconds, f);
                curve(curves, distribution, "adaptive", seconds, a);
            }
        }
        System.out.println();
        System.out.print(curves);
    }

    private static PollPlanner.Settings settings(double medianTarget, double p90Target) {
        // the production defaults of dispatch.polling (application.yml)
        return new PollPlanner.Settings(5_000, 1_000, 60_000, medianTarget, p90Target, 1.0, 0.02, 5_000);
    }

    /** What a poller on a fixed loop learns about each run time: the gap it fell in, with a uniform point inside. */
    private static double[] observedThroughTheLoop(double[] runTimes, long gap) {
        SplittableRandom random = new SplittableRandom(7);
        double[] observed = new double[runTimes.length];
        for (int i = 0; i < runTimes.length; i++) {
            long high = (long) Math.ceil(runTimes[i] / gap) * gap;
            observed[i] = high - gap + random.nextDouble() * gap;
        }
        Arrays.sort(observed);
        return observed;
    }

    private static void row(String distribution, String schedule, PollPlanner.Result r, PollPlanner.Result loop) {
        System.out.printf("| %s | %s | %.2f | %.2f | %.2f | %.1f%% |%n", distribution, schedule, r.callsPerJob(),
                r.medianLag() / 1000, r.p90Lag() / 1000, 100 * (1 - r.callsPerJob() / loop.callsPerJob()));
    }

    private static void curve(StringBuilder out, String distribution, String schedule, int seconds,
                              PollPlanner.Result r) {
        out.append(String.format("%s,%s,%d,%.2f,%.2f,%.2f%n", distribution, schedule, seconds, r.callsPerJob(),
                r.medianLag() / 1000, r.p90Lag() / 1000));
    }

    private static double[] draw(DoubleSupplier runTime, int n) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = runTime.getAsDouble();
        }
        Arrays.sort(values);
        return values;
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
