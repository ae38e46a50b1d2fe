package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.acme.imageedit.system.DeploymentSetting;
import org.jspecify.annotations.Nullable;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * What the job API accepts and promises.
 *
 * @param maxImageSize     largest input image accepted
 * @param maxImagePixels   largest width × height an input image may declare (decompression bombs)
 * @param maxPromptLength  longest prompt, in characters
 * @param defaultDeadline  how long after acceptance a job may take before it ends {@code expired}
 * @param minDeadline      smallest {@code deadline_seconds} a client may ask for
 * @param maxDeadline      largest {@code deadline_seconds} a client may ask for
 * @param publicBaseUrl    the service's external address for links in job objects; empty = taken from the request
 *                         (honouring {@code X-Forwarded-*} headers)
 * @param defaultModel     the model used when a request names none
 * @param models           the model table: a model not listed here is refused with 400
 * @param maxWait          how long a submit without {@code async=true} (or with {@code Prefer: wait=N}) waits for its
 *                         job before it answers 202 with the job instead; waiting holds no thread and no connection
 * @param eventsKeepAlive  how often an idle event stream gets a comment line, so that proxies keep it open
 * @param idempotencyKeyTtl how long an {@code Idempotency-Key} names its first request
 * @param linkSecret       key of the HMAC that signs {@code unsigned_urls} (32+ random characters), the same on every
 *                         replica. Empty: keys generated and kept in PostgreSQL, which every replica shares
 * @param previousLinkSecrets earlier link secrets, which still verify the links they signed; keep one for the longest
 *                         result retention after replacing it
 */
@Validated
@ConfigurationProperties("jobs")
record JobsProperties(
        @DefaultValue("10MB") @NotNull DataSize maxImageSize,
        @DefaultValue("40000000") @Min(1) long maxImagePixels,
        @DefaultValue("4000") @Min(1) int maxPromptLength,
        @DefaultValue("15m") @NotNull Duration defaultDeadline,
        @DefaultValue("1m") @NotNull Duration minDeadline,
        @DefaultValue("24h") @NotNull Duration maxDeadline,
        @DeploymentSetting @Nullable URI publicBaseUrl,
        @DefaultValue("qwen/qwen-image-edit") @NotBlank String defaultModel,
        @NotEmpty List<@Valid Model> models,
        @DefaultValue("55s") @NotNull Duration maxWait,
        @DefaultValue("15s") @NotNull Duration eventsKeepAlive,
        @DefaultValue("24h") @NotNull Duration idempotencyKeyTtl,
        @DeploymentSetting(secret = true) @Nullable String linkSecret,
        @DeploymentSetting(secret = true) @DefaultValue List<String> previousLinkSecrets) {

    Optional<Model> model(String id) {
        return models.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    enum Kind { EDIT, GENERATE }

    /**
     * One row of the model table, with the parameter bounds the upstream enforces (DESIGN §4).
     *
     * @param minSide smallest width or height in {@code size}
     * @param maxSide largest width or height in {@code size}
     */
    record Model(
            @NotBlank String id,
            @DefaultValue("EDIT") @NotNull Kind kind,
            @NotNull @DecimalMin("0") BigDecimal priceUsd,
            @DefaultValue("0") long minSeed,
            @DefaultValue("9999999999") long maxSeed,
            @DefaultValue("1") int minSteps,
            @DefaultValue("100") int maxSteps,
            @DefaultValue("0.1") double minCfg,
            @DefaultValue("20") double maxCfg,
            @DefaultValue("256") int minSide,
            @DefaultValue("2048") int maxSide) {
    }
}
