package com.acme.imageedit.simulator;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** Draws how long a job runs, already multiplied by the time scale. */
final class DurationSampler {

    private final SimulatorProperties.Durations durations;
    private final double timeScale;

    DurationSampler(SimulatorProperties.Durations durations, double timeScale) {
        this.durations = durations;
        this.timeScale = timeScale;
    }

    Duration draw(RandomGenerator random) {
        double minNanos = durations.min().toNanos();
        double maxNanos = durations.max().toNanos();
        double nanos;
        if (durations.lognormal()) {
            nanos = durations.median().toNanos() * Math.exp(durations.sigma() * random.nextGaussian());
            // the clamp keeps the long tail plausible without cutting it off at exactly min/max
            nanos = Math.max(minNanos / 2, Math.min(maxNanos * 2, nanos));
        } else {
            nanos = minNanos + random.nextDouble() * (maxNanos - minNanos);
        }
        return scaled(nanos);
    }

    Duration queuedFor() {
        return scaled(durations.queuedFor().toNanos());
    }

    private Duration scaled(double nanos) {
        return Duration.ofNanos(Math.round(nanos * timeScale));
    }
}
