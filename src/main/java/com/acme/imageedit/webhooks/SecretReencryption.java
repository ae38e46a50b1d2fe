package com.acme.imageedit.webhooks;

import java.util.List;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Moves every stored signing secret to the current encryption key ({@link SecretCipher}): the step of a key rotation
 * after which the old key can be dropped. Walks both tables in keyset batches; each row is rewritten by one statement
 * guarded by the values it read, so a secret rotated meanwhile (already sealed under the current key) is left alone,
 * and running it twice, or on two replicas at once, is harmless.
 */
@Repository
class SecretReencryption {

    private static final Logger log = LoggerFactory.getLogger(SecretReencryption.class);
    private static final int BATCH = 200;

    private final DatabaseClient db;
    private final SecretCipher cipher;

    SecretReencryption(DatabaseClient db, SecretCipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /** What a run did: rows rewritten, and rows already under the current key. */
    record Result(String keyId, long reencrypted, long current) {
    }

    Mono<Result> reencryptAll() {
        return table("webhook_team_secrets", "team_id", SecretOwner::team)
                .concatWith(table("webhook_subscriptions", "id", SecretOwner::subscription))
                .reduce(new long[2], (sum, row) -> {
                    sum[row ? 0 : 1]++;
                    return sum;
                })
                .map(sum -> new Result(cipher.currentKeyId(), sum[0], sum[1]))
                .doOnNext(result -> log.info("Webhook secrets: {} rows re-encrypted under key {}, {} already were",
                        result.reencrypted(), result.keyId(), result.current()));
    }

    /** True per row rewritten, false per row already current. */
    private Flux<Boolean> table(String table, String key, Function<String, SecretOwner> owner) {
        return batch(table, key, "").expand(rows -> rows.size() < BATCH ? Mono.empty()
                        : batch(table, key, rows.get(rows.size() - 1).id()))
                .concatMapIterable(rows -> rows)
                .concatMap(row -> reseal(table, key, row, owner.apply(row.id())));
    }

    private Mono<List<Row>> batch(String table, String key, String after) {
        return db.sql("select " + key + " as id, secret, previous_secret from " + table + " where " + key
                        + " > :after order by " + key + " limit " + BATCH)
                .bind("after", after)
                .map((row, meta) -> new Row(row.get("id", String.class), row.get("secret", String.class),
                        row.get("previous_secret", String.class)))
                .all().collectList();
    }

    private Mono<Boolean> reseal(String table, String key, Row row, SecretOwner owner) {
        boolean previousStale = row.previous() != null && cipher.needsResealing(row.previous());
        if (!cipher.needsResealing(row.secret()) && !previousStale) {
            return Mono.just(false);
        }
        String secret = cipher.seal(cipher.open(row.secret(), owner), owner);
        String previous = row.previous() == null ? null : cipher.seal(cipher.open(row.previous(), owner), owner);
        return db.sql("update " + table + " set secret = :secret, previous_secret = :previous where " + key
                        + " = :id and secret = :oldSecret and previous_secret is not distinct from :oldPrevious")
                .bind("secret", secret)
                .bind("previous", Parameter.fromOrEmpty(previous, String.class))
                .bind("id", row.id())
                .bind("oldSecret", row.secret())
                .bind("oldPrevious", Parameter.fromOrEmpty(row.previous(), String.class))
                .fetch().rowsUpdated()
                .map(updated -> updated > 0);
    }

    private record Row(String id, String secret, String previous) {
    }
}
