package com.acme.imageedit.simulator;

/**
 * The simulator's failure mix and rate limit, replaceable at runtime through {@link TheRouterSimulator#setFaults} so
 * that one test can make the upstream sick without restarting it. Rates are probabilities in [0, 1].
 *
 * @param submit429Rate      share of submits answered 429 (with {@code Retry-After: 1}); no job is created
 * @param submit5xxRate      share of submits answered 502 {@code upstream_error}; no job is created
 * @param submitTimeoutRate  share of submits that create the job but answer only after the configured
 *                           {@code simulator.failures.submit-timeout-delay}, so that a client times out
 * @param jobFailedRate      share of accepted jobs that end {@code failed}
 * @param jobExpiredRate     share of accepted jobs that end {@code expired}
 * @param rateLimitPerSecond token refill per second over every authenticated request to the simulator's origin
 *                           (submits, polls, {@code /content}, result files fetched with the key); 0 = unlimited
 * @param rateLimitBurst     bucket capacity; 0 = {@code ceil(rateLimitPerSecond)}, at least 1
 */
public record SimulatorFaults(
        double submit429Rate,
        double submit5xxRate,
        double submitTimeoutRate,
        double jobFailedRate,
        double jobExpiredRate,
        double rateLimitPerSecond,
        int rateLimitBurst) {

    public SimulatorFaults {
        requireRate("submit429Rate", submit429Rate);
        requireRate("submit5xxRate", submit5xxRate);
        requireRate("submitTimeoutRate", submitTimeoutRate);
        requireRate("jobFailedRate", jobFailedRate);
        requireRate("jobExpiredRate", jobExpiredRate);
        // the draws are taken from one uniform number each, so the shares of one draw must fit in 1
        if (submit429Rate + submit5xxRate + submitTimeoutRate > 1.0) {
            throw new IllegalArgumentException("submit429Rate + submit5xxRate + submitTimeoutRate must not exceed 1");
        }
        if (jobFailedRate + jobExpiredRate > 1.0) {
            throw new IllegalArgumentException("jobFailedRate + jobExpiredRate must not exceed 1");
        }
        if (!(rateLimitPerSecond >= 0) || Double.isInfinite(rateLimitPerSecond)) {
            throw new IllegalArgumentException("rateLimitPerSecond must be a finite number >= 0");
        }
        if (rateLimitBurst < 0) {
            throw new IllegalArgumentException("rateLimitBurst must be >= 0");
        }
    }

    /** A healthy, unlimited upstream. */
    public static SimulatorFaults none() {
        return new SimulatorFaults(0, 0, 0, 0, 0, 0, 0);
    }

    public SimulatorFaults withSubmit429Rate(double rate) {
        return new SimulatorFaults(rate, submit5xxRate, submitTimeoutRate, jobFailedRate, jobExpiredRate,
                rateLimitPerSecond, rateLimitBurst);
    }

    public SimulatorFaults withSubmit5xxRate(double rate) {
        return new SimulatorFaults(submit429Rate, rate, submitTimeoutRate, jobFailedRate, jobExpiredRate,
                rateLimitPerSecond, rateLimitBurst);
    }

    public SimulatorFaults withSubmitTimeoutRate(double rate) {
        return new SimulatorFaults(submit429Rate, submit5xxRate, rate, jobFailedRate, jobExpiredRate,
                rateLimitPerSecond, rateLimitBurst);
    }

    public SimulatorFaults withJobFailedRate(double rate) {
        return new SimulatorFaults(submit429Rate, submit5xxRate, submitTimeoutRate, rate, jobExpiredRate,
                rateLimitPerSecond, rateLimitBurst);
    }

    public SimulatorFaults withJobExpiredRate(double rate) {
        return new SimulatorFaults(submit429Rate, submit5xxRate, submitTimeoutRate, jobFailedRate, rate,
                rateLimitPerSecond, rateLimitBurst);
    }

    public SimulatorFaults withRateLimit(double perSecond, int burst) {
        return new SimulatorFaults(submit429Rate, submit5xxRate, submitTimeoutRate, jobFailedRate, jobExpiredRate,
                perSecond, burst);
    }

    /** The bucket capacity actually used. */
    public int effectiveBurst() {
        return rateLimitBurst > 0 ? rateLimitBurst : (int) Math.max(1, Math.ceil(rateLimitPerSecond));
    }

    private static void requireRate(String name, double rate) {
        if (!(rate >= 0.0 && rate <= 1.0)) {
            throw new IllegalArgumentException(name + " must be within [0, 1], was " + rate);
        }
    }
}
