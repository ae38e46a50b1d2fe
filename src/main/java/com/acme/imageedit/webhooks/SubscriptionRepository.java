package com.acme.imageedit.webhooks;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Team subscriptions. Every query is scoped to the caller's team in SQL unless the caller is an admin. */
@Repository
class SubscriptionRepository {

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SCOPE = " and (:admin or team_id = :team)";

    private final DatabaseClient db;
    private final TransactionalOperator tx;
    private final SecretCipher cipher;

    SubscriptionRepository(DatabaseClient db, TransactionalOperator tx, SecretCipher cipher) {
        this.db = db;
        this.tx = tx;
        this.cipher = cipher;
    }

    Mono<Subscription> create(String teamId, String url, List<String> events, String description, boolean enabled) {
        String id = newId();
        return db.sql("""
                        insert into webhook_subscriptions (id, team_id, url, host, events, description, enabled, secret)
                        values (:id, :team, :url, webhook_host(:url), :events, :description, :enabled, :secret)
                        returning\s""" + Subscription.COLUMNS)
                .bind("id", id)
                .bind("team", teamId)
                .bind("url", url)
                .bind("events", events.toArray(String[]::new))
                .bind("description", Parameter.fromOrEmpty(description, String.class))
                .bind("enabled", enabled)
                .bind("secret", cipher.seal(StandardWebhooks.newSecret(), SecretOwner.subscription(id)))
                .map((row, meta) -> Subscription.from(row))
                .one();
    }

    Flux<Subscription> list(TeamPrincipal caller) {
        return scoped(db.sql("select " + Subscription.COLUMNS + " from webhook_subscriptions where true" + SCOPE
                        + " order by created_at, id"), caller)
                .map((row, meta) -> Subscription.from(row))
                .all();
    }

    Mono<Subscription> find(String id, TeamPrincipal caller) {
        return scoped(db.sql("select " + Subscription.COLUMNS + " from webhook_subscriptions where id = :id" + SCOPE)
                        .bind("id", id), caller)
                .map((row, meta) -> Subscription.from(row))
                .one();
    }

    /**
     * Changes what is given ({@code null} = unchanged). A new URL also applies to the subscription's pending
     * deliveries, so that retries follow a receiver that moved; enabling clears the reason it was disabled.
     */
    Mono<Subscription> update(String id, TeamPrincipal caller, String url, List<String> events, String description,
                              Boolean enabled) {
        Mono<Subscription> updated = scoped(db.sql("""
                        update webhook_subscriptions set url = coalesce(:url, url),
                               host = webhook_host(coalesce(:url, url)),
                               events = coalesce(:events, events), description = coalesce(:description, description),
                               enabled = coalesce(:enabled, enabled),
                               disabled_reason = case when coalesce(:enabled, enabled) then null else disabled_reason end,
                               updated_at = now()
                        where id = :id""" + SCOPE + " returning " + Subscription.COLUMNS)
                        .bind("id", id)
                        .bind("url", Parameter.fromOrEmpty(url, String.class))
                        .bind("events", Parameter.fromOrEmpty(events == null ? null : events.toArray(String[]::new),
                                String[].class))
                        .bind("description", Parameter.fromOrEmpty(description, String.class))
                        .bind("enabled", Parameter.fromOrEmpty(enabled, Boolean.class)), caller)
                .map((row, meta) -> Subscription.from(row))
                .one();
        return updated.flatMap(subscription -> db.sql("""
                                update webhook_deliveries set url = :url, host = webhook_host(:url)
                                where subscription_id = :id and status = 'PENDING'""")
                        .bind("id", subscription.id())
                        .bind("url", subscription.url())
                        .fetch().rowsUpdated()
                        .thenReturn(subscription))
                .as(tx::transactional);
    }

    /**
     * Deletes it; its pending deliveries end failed (first: the foreign key then forgets which subscription they were
     * for), its finished ones stay in the log.
     */
    Mono<Boolean> delete(String id, TeamPrincipal caller) {
        Mono<Long> failPending = scoped(db.sql("""
                        update webhook_deliveries set status = 'FAILED', finished_at = now(),
                               last_error = 'the subscription was deleted', version = version + 1
                        where subscription_id = :id and status = 'PENDING'""" + SCOPE).bind("id", id), caller)
                .fetch().rowsUpdated();
        Mono<Long> delete = scoped(db.sql("delete from webhook_subscriptions where id = :id" + SCOPE).bind("id", id),
                caller)
                .fetch().rowsUpdated();
        return failPending.then(delete).map(deleted -> deleted > 0).as(tx::transactional);
    }

    Mono<Subscription> rotate(String id, TeamPrincipal caller, Duration overlap) {
        return scoped(db.sql("""
                        update webhook_subscriptions set previous_secret = secret,
                               previous_expires_at = now() + :overlap * interval '1 millisecond',
                               secret = :secret, updated_at = now()
                        where id = :id""" + SCOPE + " returning " + Subscription.COLUMNS)
                        .bind("id", id)
                        .bind("overlap", overlap.toMillis())
                        .bind("secret", cipher.seal(StandardWebhooks.newSecret(), SecretOwner.subscription(id))), caller)
                .map((row, meta) -> Subscription.from(row))
                .one();
    }

    /** A receiver that answered 410 Gone asked not to be called again. */
    Mono<Long> disable(String id, String reason) {
        return db.sql("""
                        update webhook_subscriptions set enabled = false, disabled_reason = :reason, updated_at = now()
                        where id = :id and enabled""")
                .bind("id", id)
                .bind("reason", reason)
                .fetch().rowsUpdated();
    }

    /** The subscription as the sender needs it, whoever owns it; empty when it was deleted. */
    Mono<Subscription> findForSending(String id) {
        return db.sql("select " + Subscription.COLUMNS + " from webhook_subscriptions where id = :id")
                .bind("id", id)
                .map((row, meta) -> Subscription.from(row))
                .one();
    }

    SigningSecrets secrets(Subscription subscription) {
        SecretOwner owner = SecretOwner.subscription(subscription.id());
        return new SigningSecrets(cipher.open(subscription.sealedSecret(), owner),
                subscription.sealedPreviousSecret() == null ? null
                        : cipher.open(subscription.sealedPreviousSecret(), owner),
                subscription.previousExpiresAt());
    }

    private static DatabaseClient.GenericExecuteSpec scoped(DatabaseClient.GenericExecuteSpec spec,
                                                            TeamPrincipal caller) {
        return spec.bind("admin", caller.admin()).bind("team", caller.admin() ? "" : caller.teamId());
    }

    private static String newId() {
        StringBuilder id = new StringBuilder("whsub_");
        for (int i = 0; i < 26; i++) {
            id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }
}
