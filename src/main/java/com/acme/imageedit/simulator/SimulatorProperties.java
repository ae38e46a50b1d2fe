package com.acme.imageedit.simulator;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the built-in fake TheRouter ({@code simulator.*}, active with the {@code simulator} profile).
 *
 * <p>{@code timeScale} applies to job timings only ({@code duration.*}); the rate limit and
 * {@code failures.submit-timeout-delay} are wall-clock, because they model the HTTP edge, not the GPU.
 *
 * @param host               interface the simulator's own HTTP server binds to
 * @param port               its port; 0 picks a free one
 * @param wireAsUpstream     expose a {@code @Primary UpstreamAddress} pointing at the simulator
 * @param apiKey             the only bearer token accepted; blank accepts any non-empty token
 * @param timeScale          factor applied to every job timing (0.01 turns a 60 s job into 0.6 s)
 * @param duration           how long jobs take
 * @param failures           the random failure mix (prompt triggers override it per job)
 * @param rateLimitPerSecond the account's limit: token-bucket refill rate over every authenticated request to the
 *                           simulator's origin (submits, polls, {@code /content}, and result files fetched with the
 *                           key); 0 = unlimited
 * @param rateLimitBurst     bucket capacity; 0 = {@code ceil(rateLimitPerSecond)}, at least 1
 * @param isoTimestampRate   fraction of responses that render {@code created_at}/{@code expires_at} as ISO-8601
 *                           strings instead of unix seconds (the real API does both)
 * @param results            where results are served from: TheRouter's own origin or a second host
 * @param refuseChunkedRequests answer a request body sent with {@code Transfer-Encoding: chunked} with 411 Length
 *                           Required, as gateways in front of model providers may
 */
@Validated
@ConfigurationProperties("simulator")
record SimulatorProperties(
        @DefaultValue("127.0.0.1") @NotBlank String host,
        @DefaultValue("0") @Min(0) @Max(65535) int port,
        @DefaultValue("true") boolean wireAsUpstream,
        @DefaultValue("") String apiKey,
        @DefaultValue("1.0") @DecimalMin("0.0") double timeScale,
        @DefaultValue @Valid @NotNull Durations duration,
        @DefaultValue @Valid @NotNull Failures failures,
        @DefaultValue("0") @DecimalMin("0.0") double rateLimitPerSecond,
        @DefaultValue("0") @Min(0) int rateLimitBurst,
        @DefaultValue("0.5") @DecimalMin("0.0") @DecimalMax("1.0") double isoTimestampRate,
        @DefaultValue("own-origin") @NotNull ResultHost results,
        @DefaultValue("false") boolean refuseChunkedRequests) {

    /** Job timing. {@code min}..{@code max} bounds the total time from submit to the terminal status. */
    record Durations(
            @DefaultValue("uniform") @Pattern(regexp = "(?i)uniform|lognormal") String distribution,
            @DefaultValue("30s") @NotNull Duration min,
            @DefaultValue("180s") @NotNull Duration max,
            @DefaultValue("60s") @NotNull Duration median,
            @DefaultValue("0.35") @DecimalMin("0.0") double sigma,
            @DefaultValue("2s") @NotNull Duration queuedFor) {

        @AssertTrue(message = "min must not be negative and must not exceed max")
        boolean isOrdered() {
            return min == null || max == null || (!min.isNegative() && min.compareTo(max) <= 0);
        }

        boolean lognormal() {
            return "lognormal".equalsIgnoreCase(distribution);
        }
    }

    /**
     * Random failure mix. Submit faults (429, 502, timeout) create no job, except the timeout, which creates the job
     * and then answers late: the ambiguous outcome the proxy must not turn into a second paid job.
     */
    record Failures(
            @DefaultValue("0") @DecimalMin("0.0") @DecimalMax("1.0") double submit429Rate,
            @DefaultValue("0") @DecimalMin("0.0") @DecimalMax("1.0") double submit5xxRate,
            @DefaultValue("0") @DecimalMin("0.0") @DecimalMax("1.0") double submitTimeoutRate,
            @DefaultValue("30s") @NotNull Duration submitTimeoutDelay,
            @DefaultValue("0") @DecimalMin("0.0") @DecimalMax("1.0") double jobFailedRate,
            @DefaultValue("0") @DecimalMin("0.0") @DecimalMax("1.0") double jobExpiredRate) {

        @AssertTrue(message = "submit429Rate + submit5xxRate + submitTimeoutRate must not exceed 1")
        boolean isSubmitMixPossible() {
            return submit429Rate + submit5xxRate + submitTimeoutRate <= 1.0;
        }

        @AssertTrue(message = "jobFailedRate + jobExpiredRate must not exceed 1")
        boolean isJobMixPossible() {
            return jobFailedRate + jobExpiredRate <= 1.0;
        }
    }

    /** The configured faults as the runtime-overridable form. Validates the sums, so a bad config fails at start. */
    SimulatorFaults faults() {
        return new SimulatorFaults(failures.submit429Rate(), failures.submit5xxRate(), failures.submitTimeoutRate(),
                failures.jobFailedRate(), failures.jobExpiredRate(), rateLimitPerSecond, rateLimitBurst);
    }

    /** Everything at its default except the time scale; for tests that build the simulator without Spring. */
    static SimulatorProperties withTimeScale(double timeScale) {
        return new SimulatorProperties("127.0.0.1", 0, true, "", timeScale,
                new Durations("uniform", Duration.ofSeconds(30), Duration.ofSeconds(180), Duration.ofSeconds(60), 0.35,
                        Duration.ofSeconds(2)),
                new Failures(0, 0, 0, Duration.ofSeconds(30), 0, 0), 0, 0, 0.5, ResultHost.OWN_ORIGIN, false);
    }

    SimulatorProperties withApiKey(String key) {
        return new SimulatorProperties(host, port, wireAsUpstream, key, timeScale, duration, failures,
                rateLimitPerSecond, rateLimitBurst, isoTimestampRate, results, refuseChunkedRequests);
    }

    SimulatorProperties withDurations(Durations durations) {
        return new SimulatorProperties(host, port, wireAsUpstream, apiKey, timeScale, durations, failures,
                rateLimitPerSecond, rateLimitBurst, isoTimestampRate, results, refuseChunkedRequests);
    }

    SimulatorProperties withResults(ResultHost where) {
        return new SimulatorProperties(host, port, wireAsUpstream, apiKey, timeScale, duration, failures,
                rateLimitPerSecond, rateLimitBurst, isoTimestampRate, where, refuseChunkedRequests);
    }

    SimulatorProperties refusingChunkedRequests() {
        return new SimulatorProperties(host, port, wireAsUpstream, apiKey, timeScale, duration, failures,
                rateLimitPerSecond, rateLimitBurst, isoTimestampRate, results, true);
    }

    SimulatorProperties withIsoTimestampRate(double rate) {
        return new SimulatorProperties(host, port, wireAsUpstream, apiKey, timeScale, duration, failures,
                rateLimitPerSecond, rateLimitBurst, rate, results, refuseChunkedRequests);
    }
}
