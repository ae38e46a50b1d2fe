package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Knows the teams and resolves API keys to callers. Teams and config-declared keys are written to PostgreSQL at
 * start-up (before the web server opens), so that keys added at runtime through the admin API and keys from
 * configuration are looked up alike, and a rotation needs no restart.
 */
@Component
class TeamDirectory implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(TeamDirectory.class);
    private static final int MAX_CACHED_KEYS = 10_000;

    private final TeamsProperties properties;
    private final DatabaseClient db;
    private final TransactionalOperator tx;
    private final Map<String, CachedKey> cache = new ConcurrentHashMap<>();
    /** Hashes of keys nobody holds, with the nanoTime until which that is trusted. */
    private final Map<String, Long> unknown = new ConcurrentHashMap<>();
    private final Counter foundKeys;
    private final Counter unknownKeys;
    private volatile boolean running;

    TeamDirectory(TeamsProperties properties, DatabaseClient db, TransactionalOperator tx, MeterRegistry registry) {
        this.properties = properties;
        this.db = db;
        this.tx = tx;
        this.foundKeys = lookupCounter(registry, "found");
        this.unknownKeys = lookupCounter(registry, "unknown");
    }

    /** Who holds this key, or empty when nobody does. */
    Mono<TeamPrincipal> authenticate(String key) {
        String hash = KeyHashes.hash(key);
        TeamPrincipal known = known(hash);
        return known != null ? Mono.just(known) : lookUp(hash);
    }

    /**
     * The caller a key hash names without asking the database: an admin key, or a team key this replica looked up
     * within {@code teams.key-cache-ttl}; null otherwise.
     */
    @Nullable
    TeamPrincipal known(String hash) {
        boolean admin = false;
        for (String adminHash : properties.adminKeyHashes()) {
            admin |= KeyHashes.same(adminHash, hash);
        }
        if (admin) {
            return TeamPrincipal.ofAdmin();
        }
        CachedKey cached = cache.get(hash);
        if (cached != null && cached.validUntil() > System.nanoTime()) {
            return TeamPrincipal.ofTeam(cached.teamId());
        }
        return null;
    }

    /**
     * Looks a key hash up in PostgreSQL: its team, or empty when nobody holds it. An unknown hash is remembered for
     * {@code teams.unknown-key-cache-ttl}, so that a client repeating a wrong key costs one query per that time.
     */
    Mono<TeamPrincipal> lookUp(String hash) {
        Long unknownUntil = unknown.get(hash);
        if (unknownUntil != null && unknownUntil - System.nanoTime() > 0) {
            return Mono.empty();
        }
        return db.sql("""
                        select k.team_id from team_keys k join teams t on t.id = k.team_id
                        where k.key_hash = :hash and t.active""")
                .bind("hash", hash)
                .map((row, meta) -> row.get("team_id", String.class))
                .one()
                .doOnNext(team -> remember(hash, team))
                .switchIfEmpty(Mono.fromRunnable(() -> rememberUnknown(hash)))
                .map(TeamPrincipal::ofTeam);
    }

    /** Forgets a key on this replica at once (others forget it within the cache TTL). */
    void forget(String hash) {
        cache.remove(hash);
        unknown.remove(hash);
    }

    private void remember(String hash, String team) {
        foundKeys.increment();
        if (cache.size() >= MAX_CACHED_KEYS) {
            cache.clear();
        }
        cache.put(hash, new CachedKey(team, System.nanoTime() + properties.keyCacheTtl().toNanos()));
        unknown.remove(hash);
    }

    /**
     * Unknown hashes have a map of their own, so that a flood of wrong keys cannot push valid ones out of the key
     * cache. Bounded: when full, the expired entries go, and if none has expired, all of them.
     */
    private void rememberUnknown(String hash) {
        unknownKeys.increment();
        if (unknown.size() >= MAX_CACHED_KEYS) {
            long now = System.nanoTime();
            unknown.values().removeIf(until -> until - now <= 0);
            if (unknown.size() >= MAX_CACHED_KEYS) {
                unknown.clear();
            }
        }
        unknown.put(hash, System.nanoTime() + properties.unknownKeyCacheTtl().toNanos());
    }

    private static Counter lookupCounter(MeterRegistry registry, String result) {
        return Counter.builder("imageedit.auth.key.lookups")
                .description("API keys looked up in PostgreSQL, that is not answered by a replica's key caches; "
                        + "result found or unknown")
                .tag("result", result).register(registry);
    }

    /** Writes the configured teams and their keys; teams no longer configured are deactivated, not deleted. */
    Mono<Void> synchronise() {
        List<TeamsProperties.Team> teams = properties.definitions();
        String[] ids = teams.stream().map(TeamsProperties.Team::id).toArray(String[]::new);
        String[] hashes = teams.stream().flatMap(t -> t.keyHashes().stream()).toArray(String[]::new);
        Mono<Void> upsertTeams = Flux.fromIterable(teams).concatMap(team -> db.sql("""
                        insert into teams (id, name, daily_budget_usd, monthly_budget_usd, max_in_flight, active)
                        values (:id, :name, :daily, :monthly, :cap, true)
                        on conflict (id) do update set name = excluded.name,
                            daily_budget_usd = excluded.daily_budget_usd,
                            monthly_budget_usd = excluded.monthly_budget_usd,
                            max_in_flight = excluded.max_in_flight, active = true, updated_at = now()""")
                .bind("id", team.id())
                .bind("name", team.displayName())
                .bind("daily", Parameter.fromOrEmpty(team.dailyBudgetUsd(), BigDecimal.class))
                .bind("monthly", Parameter.fromOrEmpty(team.monthlyBudgetUsd(), BigDecimal.class))
                .bind("cap", Parameter.fromOrEmpty(team.maxInFlight(), Integer.class))
                .then()).then();
        Mono<Void> deactivate = db.sql("update teams set active = false, updated_at = now() "
                        + "where active and not (id = any(:ids))")
                .bind("ids", ids).then();
        Mono<Void> dropOldConfigKeys = db.sql("delete from team_keys where source = 'config' "
                        + "and not (key_hash = any(:hashes))")
                .bind("hashes", hashes).then();
        Mono<Void> upsertKeys = Flux.fromIterable(teams)
                .concatMap(team -> Flux.fromIterable(team.keyHashes()).concatMap(hash -> db.sql("""
                                insert into team_keys (key_hash, team_id, label, source)
                                values (:hash, :team, 'configuration', 'config')
                                on conflict (key_hash) do update set team_id = excluded.team_id,
                                    source = 'config'""")
                        .bind("hash", hash)
                        .bind("team", team.id())
                        .then()))
                .then();
        return upsertTeams.then(deactivate).then(dropOldConfigKeys).then(upsertKeys).as(tx::transactional);
    }

    @Override
    public void start() {
        if (properties.file() != null) {
            TeamsFile.check(properties.file());
        }
        try {
            // Start-up waits for this on purpose: no request may be judged against keys not yet written.
            synchronise().toFuture().get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while writing the teams", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Could not write the configured teams to the database", e);
        }
        running = true;
        log.info("{} teams configured ({} keys), {} admin keys{}", properties.definitions().size(),
                properties.definitions().stream().mapToInt(t -> t.keyHashes().size()).sum(),
                properties.adminKeyHashes().size(),
                properties.file() == null ? "" : ", from the teams file " + properties.file());
        if (properties.adminKeyHashes().isEmpty() && properties.definitions().isEmpty()) {
            log.warn("No teams and no admin keys are configured: every API request will be refused with 401. Give the "
                    + "service a teams file (TEAMS_FILE; the Helm chart's `teams:` values) or create keys through the "
                    + "admin API");
        }
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the web server starts taking requests, and before the workers start claiming. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 4096;
    }

    private record CachedKey(String teamId, long validUntil) {
    }
}
