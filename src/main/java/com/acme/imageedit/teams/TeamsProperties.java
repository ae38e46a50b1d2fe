package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.acme.imageedit.system.DeploymentSetting;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The teams that may use the service. Keys appear only as hex SHA-256 hashes ({@code printf %s "$KEY" | sha256sum}),
 * so configuration, Helm values and logs never hold a usable key.
 * <p>
 * In production they come from the <em>teams file</em> ({@code teams.file}, env {@code TEAMS_FILE}): a YAML file with
 * a {@code teams:} block of {@code admin-key-hashes} and {@code definitions}, which application.yml imports
 * ({@code spring.config.import}), mounted from a Secret by the Helm chart and from a demo file by compose; see
 * {@link TeamsFile}. Unknown keys are refused at start-up rather than ignored, so that a misspelt budget cannot
 * silently mean "no budget".
 *
 * @param adminKeyHashes hashes of the keys that see and manage everything
 * @param keyCacheTtl    how long a replica trusts a key it has looked up; a key removed through the admin API stops
 *                       working on the other replicas within this time
 * @param unknownKeyCacheTtl how long a replica remembers that a key is unknown (by its hash), so that a client
 *                       repeating a wrong key costs one database look-up per this time, not one per request
 * @param failedAuthentications how many failed authentications a client address may make before it is refused 429
 *                       without a look-up
 * @param definitions    the teams
 * @param file           the teams file, when the teams come from one; it must exist and hold only a {@code teams:}
 *                       block
 */
@Validated
@ConfigurationProperties(prefix = "teams", ignoreUnknownFields = false)
public record TeamsProperties(
        @DefaultValue List<String> adminKeyHashes,
        @DefaultValue("10s") @NotNull Duration keyCacheTtl,
        @DefaultValue("10s") @NotNull Duration unknownKeyCacheTtl,
        @DefaultValue @Valid @NotNull FailedAuthentications failedAuthentications,
        @DefaultValue List<@Valid Team> definitions,
        @DeploymentSetting @Nullable Path file) {

    public TeamsProperties {
        KeyHashes.requireHashes("teams.admin-key-hashes", adminKeyHashes);
    }

    /**
     * Failed authentications (an unknown, revoked or malformed key) per client address, as a token bucket: an address
     * may fail {@code perAddress} times at once, and regains that many per {@code period}. Past it, a request from
     * the address whose key this replica has not recently seen valid is answered 429 with {@code Retry-After}, without
     * looking the key up. The address is the request's remote address after Spring's forwarded-header handling
     * ({@code server.forward-headers-strategy: framework}); IPv6 addresses count per /64.
     *
     * @param perAddress failures an address may make at once; 0 turns the limit off
     * @param period     the time in which an address regains {@code perAddress} failures
     */
    public record FailedAuthentications(@DefaultValue("20") @Min(0) int perAddress,
                                        @DefaultValue("1m") @NotNull Duration period) {

        public FailedAuthentications {
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("teams.failed-authentications.period must be positive");
            }
        }
    }

    public Optional<Team> team(String id) {
        return definitions.stream().filter(t -> t.id().equals(id)).findFirst();
    }

    /**
     * One team.
     *
     * @param id                 stable id, as stored with its jobs and spend
     * @param name               display name
     * @param keyHashes          hashes of its API keys; several at once for rotation
     * @param dailyBudgetUsd     spend allowed per UTC day; empty = unlimited
     * @param monthlyBudgetUsd   spend allowed per UTC month; empty = unlimited
     * @param maxInFlight        jobs of this team submitted to TheRouter at once; empty = no cap, 0 = hold
     *                           (accept and queue, submit nothing: maintenance, or a team on hold)
     * @param requestsPerSecond  API requests per second this team may make (all endpoints)
     * @param retention          this team's own retention, where it differs from the global {@code retention.*}
     */
    public record Team(
            @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9_-]{0,62}") String id,
            @Nullable String name,
            @DefaultValue List<String> keyHashes,
            @Nullable @DecimalMin("0") BigDecimal dailyBudgetUsd,
            @Nullable @DecimalMin("0") BigDecimal monthlyBudgetUsd,
            @Nullable @Min(0) Integer maxInFlight,
            @DefaultValue("50") @DecimalMin("0.1") double requestsPerSecond,
            @Nullable @Valid Retention retention) {

        public Team {
            KeyHashes.requireHashes("team '" + id + "' key-hashes", keyHashes);
        }

        public String displayName() {
            return name == null || name.isBlank() ? id : name;
        }
    }

    /**
     * A team's own retention; each empty value falls back to the global one ({@code retention.*}).
     *
     * @param results how long after acceptance its results are kept
     * @param inputs  how long after a job ends its input is kept
     * @param records how long after a job ends its row is kept
     */
    public record Retention(@Nullable Duration results, @Nullable Duration inputs, @Nullable Duration records) {
    }
}
