package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

import com.acme.imageedit.system.ApiException;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Admin-only key management (the security chain admits only admin keys under {@code /v1/admin}). Keys created here
 * live in the database, so a team can rotate — add the new key, move its clients, delete the old one — without a
 * restart and without touching any other team.
 */
@RestController
class TeamAdminController {

    private final DatabaseClient db;
    private final TeamDirectory directory;

    TeamAdminController(DatabaseClient db, TeamDirectory directory) {
        this.db = db;
        this.directory = directory;
    }

    @GetMapping("/v1/admin/teams")
    Mono<Map<String, Object>> teams() {
        return db.sql("""
                        select t.id, t.name, t.active, t.daily_budget_usd, t.monthly_budget_usd, t.max_in_flight,
                               (select count(*) from team_keys k where k.team_id = t.id) as keys
                        from teams t where t.id <> 'default' order by t.id""")
                .map((row, meta) -> new TeamView(row.get("id", String.class), row.get("name", String.class),
                        Boolean.TRUE.equals(row.get("active", Boolean.class)),
                        row.get("daily_budget_usd", BigDecimal.class),
                        row.get("monthly_budget_usd", BigDecimal.class),
                        row.get("max_in_flight", Integer.class), row.get("keys", Long.class)))
                .all().collectList()
                .map(list -> Map.of("object", "list", "data", list));
    }

    @GetMapping("/v1/admin/teams/{team}/keys")
    Mono<Map<String, Object>> keys(@PathVariable String team) {
        return activeTeam(team).thenMany(db.sql("""
                        select key_hash, label, source, created_at from team_keys where team_id = :team
                        order by created_at""")
                        .bind("team", team)
                        .map((row, meta) -> new KeyView(row.get("key_hash", String.class),
                                row.get("label", String.class), row.get("source", String.class),
                                row.get("created_at", Instant.class), null))
                        .all())
                .collectList()
                .map(list -> Map.of("object", "list", "data", list));
    }

    /** Creates a key for the team and shows it once; only its hash is kept. */
    @PostMapping("/v1/admin/teams/{team}/keys")
    Mono<ResponseEntity<KeyView>> createKey(@PathVariable String team, @RequestBody(required = false) NewKey request) {
        String label = request == null || request.label() == null ? "created through the admin API"
                : request.label().strip();
        if (label.length() > 200) {
            return Mono.error(ApiException.badRequest("label", "label must be at most 200 characters"));
        }
        String key = KeyHashes.newKey();
        String hash = KeyHashes.hash(key);
        return activeTeam(team)
                .then(db.sql("insert into team_keys (key_hash, team_id, label, source) values (:h, :t, :l, 'api') "
                                + "returning created_at")
                        .bind("h", hash).bind("t", team).bind("l", label)
                        .map((row, meta) -> row.get("created_at", Instant.class)).one())
                .map(created -> ResponseEntity.status(HttpStatus.CREATED)
                        .body(new KeyView(hash, label, "api", created, key)));
    }

    /** Revokes a key at once on this replica and within the key cache TTL on the others. */
    @DeleteMapping("/v1/admin/teams/{team}/keys/{keyHash}")
    Mono<ResponseEntity<Void>> deleteKey(@PathVariable String team, @PathVariable String keyHash) {
        if (!keyHash.matches(KeyHashes.PATTERN)) {
            return Mono.error(ApiException.notFound("key_hash", "no such key"));
        }
        return db.sql("select source from team_keys where key_hash = :h and team_id = :t")
                .bind("h", keyHash).bind("t", team)
                .map((row, meta) -> row.get("source", String.class)).one()
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("key_hash", "team " + team
                        + " has no such key")))
                .flatMap(source -> "config".equals(source)
                        ? Mono.error(ApiException.conflict("key_in_configuration", "This key is declared in the "
                        + "configuration (teams.definitions[].key-hashes); remove it there, or it returns at the next "
                        + "start"))
                        : db.sql("delete from team_keys where key_hash = :h and team_id = :t")
                        .bind("h", keyHash).bind("t", team).then())
                .then(Mono.fromRunnable(() -> directory.forget(keyHash)))
                .thenReturn(ResponseEntity.noContent().build());
    }

    /** A fresh key and its hash for the configuration; nothing is stored. */
    @PostMapping("/v1/admin/key-hashes")
    Map<String, String> newKeyForConfiguration() {
        String key = KeyHashes.newKey();
        return Map.of("key", key, "key_hash", KeyHashes.hash(key),
                "how", "put key_hash into teams.definitions[].key-hashes; hand the key to the team; it is not stored");
    }

    private Mono<Void> activeTeam(String team) {
        return db.sql("select 1 from teams where id = :t and active").bind("t", team)
                .map((row, meta) -> 1).one()
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("team", "no active team " + team)))
                .then();
    }

    record TeamView(String id, String name, boolean active, BigDecimal dailyBudgetUsd,
                    BigDecimal monthlyBudgetUsd, Integer maxInFlight, long keys) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record KeyView(String keyHash, String label, String source, Instant createdAt, String key) {
    }

    record NewKey(String label) {
    }
}
