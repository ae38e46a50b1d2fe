package com.acme.imageedit.jobs;

import java.time.Duration;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How long what a job stores is kept ({@link RetentionJanitor} deletes it); a team's own {@code retention} block in the
 * teams configuration overrides any of the first three.
 *
 * @param results       how long after acceptance the result is kept: the job object's {@code expires_at}, the signed
 *                      links' expiry (TheRouter keeps its own for 7 days)
 * @param inputs        how long after the job ends its input is kept; empty = until {@code expires_at}, with the
 *                      result. Never longer than the result
 * @param records       how long after the job ends its row is kept (with its webhook deliveries); the spend ledger
 *                      is kept regardless
 * @param purgeInterval how often each replica looks for what is due
 * @param batchSize     rows deleted per statement: each one holds its row locks only that long
 * @param maxBatches    statements per kind and round, so that one replica's round stays short after an outage
 * @param storageRefresh how often the stored-bytes gauges are read (one scan of job_images' small heap rows)
 */
@Validated
@ConfigurationProperties("retention")
record RetentionProperties(
        @DefaultValue("7d") @NotNull Duration results,
        @Nullable Duration inputs,
        @DefaultValue("90d") @NotNull Duration records,
        @DefaultValue("1m") @NotNull Duration purgeInterval,
        @DefaultValue("500") @Min(1) int batchSize,
        @DefaultValue("20") @Min(1) int maxBatches,
        @DefaultValue("5m") @NotNull Duration storageRefresh) {

    @AssertTrue(message = "retention.records must be at least retention.results: a job's row outlives its result")
    boolean isRecordsLongEnough() {
        return records.compareTo(results) >= 0;
    }
}
