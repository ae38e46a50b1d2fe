package com.acme.imageedit.dispatch;

import java.time.Duration;

import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * TheRouter's account-wide request budget, shared by every replica through a token bucket row in PostgreSQL. Every
 * request to TheRouter's origin (submit, poll, and result downloads from it, hop by hop) takes one token; per-kind and
 * per-replica caps are the Resilience4j rate limiters {@code therouter-submit} and {@code therouter-poll} (which
 * downloads from TheRouter's origin share).
 *
 * @param enabled          draw from the shared bucket at all (off: only the local Resilience4j limiters apply)
 * @param requestsPerSecond refill rate of the shared bucket: the account's limit, minus a safety margin
 * @param burst            bucket capacity: at most this many calls may leave together after a quiet spell; keep it
 *                         well under the upstream's own burst so that network jitter cannot bunch calls past it
 * @param maxWait          longest a call waits for a token (or a pause) before it is given up as "not sent"
 * @param defaultPause     pause of all replicas after a 429 without {@code Retry-After}
 * @param maxPause         cap on any pause TheRouter asks for, against absurd {@code Retry-After} values
 * @param retryOnError     wait before the local coordinator asks the database again after an error
 */
@Validated
@ConfigurationProperties("dispatch.budget")
record BudgetProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("10") @DecimalMin("0.001") double requestsPerSecond,
        @DefaultValue("2") @Min(1) int burst,
        @DefaultValue("30s") @NotNull Duration maxWait,
        @DefaultValue("2s") @NotNull Duration defaultPause,
        @DefaultValue("10m") @NotNull Duration maxPause,
        @DefaultValue("500ms") @NotNull Duration retryOnError) {
}
