package com.acme.imageedit.dispatch;

import java.time.Duration;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How running jobs are polled. {@code fixed} is TheRouter's own loop ({@code dispatch.first-poll-delay}, then every
 * {@code dispatch.poll-interval}). {@code adaptive} learns the upstream's run-time distribution from the completions it
 * observes and plans the polls so that the median and 90th-percentile detection lags stay within the targets (the
 * fixed loop's own lags by default) with as few status calls as it can; until enough completions were seen it polls
 * like {@code fixed}.
 *
 * @param mode             {@code fixed} or {@code adaptive}
 * @param minFirstPoll     the first poll never comes earlier than this after the submit
 * @param minInterval      shortest gap between two polls of a job
 * @param maxInterval      longest gap between two polls of a job
 * @param targetMedianLag  median detection lag to stay within (the 5 s loop's is 2.5 s)
 * @param targetP90Lag     90th-percentile detection lag to stay within (the 5 s loop's is 4.5 s)
 * @param safety           the plan is made for {@code safety} times the targets, against noise in what was learned
 * @param quantileMargin   and for quantiles this much higher (0.5 + m, 0.9 + m), for the same reason
 * @param minSamples       completions needed before the plan adapts
 * @param window           how many of the most recent completions the plan learns from
 * @param refresh          how often the plan is recomputed from the database
 */
@Validated
@ConfigurationProperties("dispatch.polling")
record PollingProperties(
        @DefaultValue("adaptive") @NotNull Mode mode,
        @DefaultValue("5s") @NotNull Duration minFirstPoll,
        @DefaultValue("1s") @NotNull Duration minInterval,
        @DefaultValue("60s") @NotNull Duration maxInterval,
        @DefaultValue("2500ms") @NotNull Duration targetMedianLag,
        @DefaultValue("4500ms") @NotNull Duration targetP90Lag,
        @DefaultValue("1.0") @DecimalMin("0.1") @DecimalMax("1.0") double safety,
        @DefaultValue("0.02") @DecimalMin("0.0") @DecimalMax("0.09") double quantileMargin,
        @DefaultValue("300") @Min(10) int minSamples,
        @DefaultValue("2000") @Min(10) int window,
        @DefaultValue("30s") @NotNull Duration refresh) {

    enum Mode { FIXED, ADAPTIVE }

    @AssertTrue(message = "min-interval must be positive and not exceed max-interval")
    boolean isIntervalRangeValid() {
        return minInterval == null || maxInterval == null
                || (minInterval.toMillis() > 0 && minInterval.compareTo(maxInterval) <= 0);
    }
}
