package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.time.Instant;

import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/**
 * Each team's default secret, which signs its jobs' {@code callback_url} deliveries. Created on first use (reading it,
 * or the first callback), as Replicate does, so that a team never has to set one up before using callbacks.
 */
@Repository
class TeamSecrets {

    private final DatabaseClient db;
    private final SecretCipher cipher;

    TeamSecrets(DatabaseClient db, SecretCipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    Mono<SigningSecrets> getOrCreate(String teamId) {
        // Concurrent first reads race on the insert; the loser's row is dropped and both read the winner's.
        return db.sql("""
                        insert into webhook_team_secrets (team_id, secret) values (:team, :secret)
                        on conflict (team_id) do nothing""")
                .bind("team", teamId)
                .bind("secret", cipher.seal(StandardWebhooks.newSecret(), SecretOwner.team(teamId)))
                .fetch().rowsUpdated()
                .then(read(teamId));
    }

    /** A new secret; the old one keeps signing for {@code overlap}. */
    Mono<SigningSecrets> rotate(String teamId, Duration overlap) {
        return getOrCreate(teamId).then(db.sql("""
                        update webhook_team_secrets set previous_secret = secret,
                               previous_expires_at = now() + :overlap * interval '1 millisecond',
                               secret = :secret, rotated_at = now()
                        where team_id = :team
                        returning secret, previous_secret, previous_expires_at""")
                .bind("team", teamId)
                .bind("overlap", overlap.toMillis())
                .bind("secret", cipher.seal(StandardWebhooks.newSecret(), SecretOwner.team(teamId)))
                .map((row, meta) -> secrets(teamId, row))
                .one());
    }

    private Mono<SigningSecrets> read(String teamId) {
        return db.sql("select secret, previous_secret, previous_expires_at from webhook_team_secrets "
                        + "where team_id = :team")
                .bind("team", teamId)
                .map((row, meta) -> secrets(teamId, row))
                .one();
    }

    SigningSecrets secrets(String teamId, Readable row) {
        SecretOwner owner = SecretOwner.team(teamId);
        String previous = row.get("previous_secret", String.class);
        return new SigningSecrets(cipher.open(row.get("secret", String.class), owner),
                previous == null ? null : cipher.open(previous, owner), row.get("previous_expires_at", Instant.class));
    }
}
