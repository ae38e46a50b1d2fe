package com.acme.imageedit.dispatch;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The schedule keeps its savings while it learns from its own polls, not only from the loop's: its long gaps censor
 * what it sees, and spreading those completions evenly over the gaps (the first one starts at the submit) used to
 * invent early completions that the next plan paid for. Warm-up as in the service (300 completions seen through the
 * 5-second loop), then 2,000 more jobs seen through its own plans, re-planned every 250; every plan is judged on
 * 20,000 fresh jobs against the loop: its lags never worse, its savings at the targets once it has learned
 * from 800 completions.
 */
class PollLearningTest {

    private static final PollPlanner.Settings SETTINGS = new PollPlanner.Settings(5_000, 1_000, 60_000, 2_500, 4_500,
            1.0, 0.02, 5_000);

    @Test
    void uniformRunTimesKeepAQuarterFewerPollsWhileLearningFromItsOwnPolls() {
        SplittableRandom random = new SplittableRandom(11);
        assertKeepsBeatingTheLoop(() -> 30_000 + random.nextDouble() * 150_000, 0.25);
    }

    @Test
    void logNormalRunTimesKeepFortyPercentFewerPollsWhileLearningFromItsOwnPolls() {
        SplittableRandom random = new SplittableRandom(13);
        assertKeepsBeatingTheLoop(() -> 60_000 * Math.exp(0.35 * gaussian(random)), 0.40);
    }

    @Test
    void completionsAreFoundWhereTheNarrowIntervalsPutThemNotSpreadOverALongGap() {
        // 200 jobs seen finishing in [30 s, 31 s] by dense polls, 100 more seen only by a first poll at 31 s
        int n = 300;
        long[] low = new long[n];
        long[] high = new long[n];
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            low[i] = i < 200 ? 30_000 : 0;
            high[i] = 31_000;
            u[i] = (i % 100 + 0.5) / 100;
        }
        double[] points = RunTimeEstimate.impute(low, high, u, 250, 500, 15);
        double[] late = Arrays.copyOfRange(points, 200, 300);
        // spread evenly, 97% of them would lie before 30 s; the estimate puts most of them where the others finished
        assertThat(Arrays.stream(late).filter(p -> p >= 28_000).count()).isGreaterThanOrEqualTo(80);
        assertThat(Arrays.stream(points).allMatch(p -> p >= 0 && p <= 31_000)).isTrue();
    }

    private static void assertKeepsBeatingTheLoop(DoubleSupplier runTime, double saving) {
        double[] fresh = new double[20_000];
        for (int i = 0; i < fresh.length; i++) {
            fresh[i] = runTime.getAsDouble();
        }
        Arrays.sort(fresh);
        PollPlan loopPlan = PollPlan.fixed(5_000, 5_000);
        PollPlanner.Result loop = PollPlanner.replay(loopPlan, fresh, 0);
        LearningLoop learning = new LearningLoop(SETTINGS, 2_000, loopPlan);
        learning.round(runTime, 300);
        for (int round = 1; round <= 8; round++) {
            PollPlanner.Result adaptive = PollPlanner.replay(learning.round(runTime, 250), fresh, 0);
            assertThat(adaptive.medianLag()).as("median lag after round %d", round).isLessThanOrEqualTo(loop.medianLag());
            assertThat(adaptive.p90Lag()).as("p90 lag after round %d", round).isLessThanOrEqualTo(loop.p90Lag());
            if (round >= 2) {
                // from 800 completions on; before, the margins for a small sample keep the plan cautious
                assertThat(1 - adaptive.callsPerJob() / loop.callsPerJob()).as("saving after round %d", round)
                        .isGreaterThanOrEqualTo(saving);
            }
        }
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
