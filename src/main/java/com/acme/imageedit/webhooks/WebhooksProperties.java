package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.util.List;

import com.acme.imageedit.system.DeploymentSetting;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Webhook delivery: the retry schedule, timeouts, the sender's pace, and which addresses receivers may have.
 *
 * @param enabled             run the webhook sender on this replica (the API and the outbox work regardless)
 * @param retrySchedule       the wait before each attempt: the first entry before the first attempt (normally 0), the
 *                            second after the first failure, and so on; after the last entry's attempt fails, the
 *                            delivery ends {@code failed}. Each wait gets ±{@code jitter}; a longer
 *                            {@code Retry-After} wins
 * @param jitter              relative spread of each wait (0.1 = ±10 %), so receivers that failed together are not
 *                            retried together
 * @param maxRetryAfter       the longest {@code Retry-After} honoured; longer ones are cut to this
 * @param timeout             one attempt, from connect to the end of the response
 * @param connectTimeout      establishing the connection (within {@code timeout})
 * @param lease               how long a claimed delivery is held before another replica may take it over; longer than
 *                            {@code timeout}
 * @param batchSize           deliveries claimed per round
 * @param maxConcurrency      deliveries in flight at once on this replica
 * @param perHostConcurrency  deliveries in flight at once to one host, over all replicas (counted without a lock, so
 *                            replicas claiming at the same instant may exceed it by a little)
 * @param idleDelay           pause of the sender when nothing was due (jobs ending on this replica wake it at once)
 * @param maxErrorBackoff     longest pause after consecutive failed rounds (such as the database being down)
 * @param shutdownTimeout     how long shutdown waits for deliveries in flight; the rest are taken over when their
 *                            lease ends
 * @param rotationOverlap     how long a rotated-out secret keeps signing next to the new one
 * @param allowPrivate        allow receivers on loopback, private, unique-local and link-local addresses (never the
 *                            cloud metadata addresses, unspecified or multicast; list those in allowedNetworks if
 *                            really meant)
 * @param allowedNetworks     CIDR blocks receivers may resolve to even though they are otherwise refused, such as
 *                            {@code 10.20.0.0/16} for an internal receiver
 * @param secretEncryptionKey base64 of a 32-byte AES key that encrypts signing secrets at rest (required: the
 *                            service does not start without it)
 * @param previousEncryptionKeys older keys, for reading secrets not yet re-encrypted under the current one
 * @param dnsTimeout          resolving a receiver's host name
 * @param metricsRefresh      how often the backlog gauges (oldest pending, most overdue) are read from the database
 */
@Validated
@ConfigurationProperties("webhooks")
record WebhooksProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue({"0s", "5s", "5m", "30m", "2h", "5h", "10h", "10h"}) @NotEmpty List<@NotNull Duration> retrySchedule,
        @DefaultValue("0.1") @Min(0) @Max(1) double jitter,
        @DefaultValue("1h") @NotNull Duration maxRetryAfter,
        @DefaultValue("15s") @NotNull Duration timeout,
        @DefaultValue("5s") @NotNull Duration connectTimeout,
        @DefaultValue("1m") @NotNull Duration lease,
        @DefaultValue("32") @Min(1) int batchSize,
        @DefaultValue("64") @Min(1) int maxConcurrency,
        @DefaultValue("4") @Min(1) int perHostConcurrency,
        @DefaultValue("1s") @NotNull Duration idleDelay,
        @DefaultValue("30s") @NotNull Duration maxErrorBackoff,
        @DefaultValue("10s") @NotNull Duration shutdownTimeout,
        @DefaultValue("24h") @NotNull Duration rotationOverlap,
        @DefaultValue("false") boolean allowPrivate,
        @DefaultValue List<@NotNull @Pattern(regexp = "[0-9A-Fa-f:.]+/\\d{1,3}",
                message = "must be a CIDR block such as 10.0.0.0/8 or fd00::/8") String> allowedNetworks,
        @DeploymentSetting(secret = true) @Nullable String secretEncryptionKey,
        @DeploymentSetting(secret = true) @DefaultValue List<String> previousEncryptionKeys,
        @DefaultValue("5s") @NotNull Duration dnsTimeout,
        @DefaultValue("15s") @NotNull Duration metricsRefresh) {

    /** A lease shorter than an attempt would let a second replica send while the first still waits for an answer. */
    @AssertTrue(message = "webhooks.lease must be longer than webhooks.timeout")
    boolean isLeaseLongerThanTimeout() {
        return lease.compareTo(timeout) > 0;
    }

    int maxAttempts() {
        return retrySchedule.size();
    }
}
