package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.acme.imageedit.system.ApiException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Signs and checks the links in {@code unsigned_urls}: like a storage pre-signed URL, a link names one job's result,
 * its expiry and the key that signed it ({@code key}), and carries an HMAC-SHA256 of job and expiry under that key, so
 * it works without the team key until it expires (when the result's retention ends), and cannot be bent to another job
 * or a later expiry.
 * <p>
 * Every replica must know every key that signed a live link. The signing key is {@code jobs.link-secret} when
 * configured, with {@code jobs.previous-link-secrets} still verifying; otherwise the keys the service keeps in
 * PostgreSQL ({@code service_keys}, V8): the first replica to start creates one, {@code POST
 * /v1/admin/link-keys/rotate} retires it in favour of a new one, and a retired key keeps verifying until every link it
 * signed has expired (the longest result retention), then is dropped. A key id is the start of the key's SHA-256.
 * Replicas re-read the kept keys every minute, and at once when a link names a key they do not know yet.
 */
@Component
class ResultLinks implements SmartLifecycle {

    static final String PATH = "/files/results/";
    private static final Logger log = LoggerFactory.getLogger(ResultLinks.class);
    private static final String ALGORITHM = "HmacSHA256";
    private static final String PURPOSE = "result-links";
    private static final Duration RELOAD = Duration.ofMinutes(1);
    private static final Duration UNKNOWN_KEY_RELOAD = Duration.ofSeconds(5);

    private final JobsProperties properties;
    private final Retentions retentions;
    private final DatabaseClient db;
    private final TransactionalOperator tx;
    private final Clock clock;
    private final AtomicLong nextUnknownKeyReload = new AtomicLong(System.nanoTime());
    private volatile Ring ring;
    private volatile Disposable reloading;

    ResultLinks(JobsProperties properties, Retentions retentions, DatabaseClient db, TransactionalOperator tx,
                Clock clock) {
        this.properties = properties;
        this.retentions = retentions;
        this.db = db;
        this.tx = tx;
        this.clock = clock;
    }

    /** The path and query of a signed link, to be put after the service's base URL. */
    String path(String jobId, Instant expires) {
        Ring keys = ring();
        long at = expires.getEpochSecond();
        return PATH + jobId + "?expires=" + at + "&key=" + keys.currentId() + "&signature="
                + sign(keys.keys().get(keys.currentId()), jobId, at);
    }

    /**
     * Whether {@code signature} is one of ours for this job and expiry (compared in constant time): under the key
     * {@code keyId} names, or, for a link from before key ids, under any key still known.
     */
    Mono<Boolean> valid(String jobId, long expires, @Nullable String keyId, @Nullable String signature) {
        if (signature == null) {
            return Mono.just(false);
        }
        if (keyId == null) {
            return Mono.just(ring().keys().values().stream().anyMatch(key -> matches(key, jobId, expires, signature)));
        }
        SecretKeySpec key = ring().keys().get(keyId);
        if (key != null) {
            return Mono.just(matches(key, jobId, expires, signature));
        }
        // A key made on another replica moments ago; re-read (at most every few seconds, so that made-up key ids
        // cannot turn into a query each).
        long now = System.nanoTime();
        long next = nextUnknownKeyReload.get();
        if (configured() || now - next < 0
                || !nextUnknownKeyReload.compareAndSet(next, now + UNKNOWN_KEY_RELOAD.toNanos())) {
            return Mono.just(false);
        }
        return reload().map(keys -> keys.keys().containsKey(keyId)
                && matches(keys.keys().get(keyId), jobId, expires, signature));
    }

    /** Retires the current kept key in favour of a new one; links it signed stay valid until they expire. */
    Mono<Rotation> rotate() {
        if (configured()) {
            return Mono.error(ApiException.conflict("link_keys_configured", "result links are signed with "
                    + "jobs.link-secret: rotate it in the configuration (the old one under jobs.previous-link-secrets)"));
        }
        Duration overlap = retentions.longestResults();
        byte[] secret = newSecret();
        Mono<Void> retire = db.sql("update service_keys set retires_at = :until where purpose = :purpose "
                        + "and retires_at is null")
                .bind("until", clock.instant().plus(overlap)).bind("purpose", PURPOSE).then();
        return retire.then(insert(secret)).as(tx::transactional)
                .then(reload())
                .map(keys -> new Rotation(keys.currentId(), clock.instant().plus(overlap)));
    }

    /** Re-reads the keys now (every replica does so every minute by itself). */
    Mono<Void> refresh() {
        return reload().then();
    }

    /** After a rotation: the new signing key, and until when the ones it replaced still verify. */
    record Rotation(String keyId, Instant previousValidUntil) {
    }

    private boolean matches(SecretKeySpec key, String jobId, long expires, String signature) {
        return MessageDigest.isEqual(sign(key, jobId, expires).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    private static String sign(SecretKeySpec key, String jobId, long expires) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            byte[] digest = mac.doFinal((jobId + "\n" + expires).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private Ring ring() {
        Ring current = ring;
        if (current == null) {
            throw new IllegalStateException("result links are used before the signing keys were loaded");
        }
        return current;
    }

    private boolean configured() {
        return properties.linkSecret() != null && !properties.linkSecret().isBlank();
    }

    /**
     * Reads the keys: the configured ones first (the current one signs), then the kept ones still verifying, so that
     * links made before the switch to a configured secret keep working until they expire. Without a configured
     * secret, the first replica to get here creates the first kept key.
     */
    private Mono<Ring> reload() {
        Instant now = clock.instant();
        Mono<Void> firstKey = configured() ? Mono.empty() : insert(newSecret());
        Mono<List<Kept>> kept = db.sql("delete from service_keys where purpose = :purpose and retires_at <= :now")
                .bind("purpose", PURPOSE).bind("now", now).then()
                .thenMany(db.sql("select key_id, secret, retires_at from service_keys where purpose = :purpose "
                                + "order by retires_at nulls first, created_at desc")
                        .bind("purpose", PURPOSE)
                        .map((row, meta) -> new Kept(row.get("key_id", String.class),
                                row.get("secret", byte[].class), row.get("retires_at", Instant.class)))
                        .all())
                .collectList();
        return firstKey.then(kept).map(rows -> {
            Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
            String current = null;
            if (configured()) {
                List<String> secrets = new ArrayList<>(List.of(properties.linkSecret()));
                secrets.addAll(properties.previousLinkSecrets());
                for (String secret : secrets) {
                    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
                    keys.putIfAbsent(keyId(bytes), new SecretKeySpec(bytes, ALGORITHM));
                }
                current = keys.keySet().iterator().next();
            }
            for (Kept row : rows) {
                keys.putIfAbsent(row.id(), new SecretKeySpec(row.secret(), ALGORITHM));
                if (current == null && row.retiresAt() == null) {
                    current = row.id();
                }
            }
            if (current == null) {
                throw new IllegalStateException("no current result-link key in service_keys");
            }
            Ring loaded = new Ring(current, Map.copyOf(keys));
            ring = loaded;
            return loaded;
        });
    }

    /** Writes a key as the current one unless there is one (service_keys_one_current). */
    private Mono<Void> insert(byte[] secret) {
        return db.sql("insert into service_keys (purpose, key_id, secret) values (:purpose, :id, :secret) "
                        + "on conflict do nothing")
                .bind("purpose", PURPOSE).bind("id", keyId(secret)).bind("secret", secret)
                .then();
    }

    private static byte[] newSecret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    static String keyId(byte[] secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void start() {
        // Start-up waits for it on purpose: no link may be signed or checked with keys the other replicas lack.
        Ring loaded = reload().block(Duration.ofSeconds(60));
        log.info("Result links are signed with key {} ({}), {} key(s) verify", loaded.currentId(),
                configured() ? "jobs.link-secret" : "kept in PostgreSQL", loaded.keys().size());
        reloading = Flux.interval(RELOAD, RELOAD)
                .concatMap(tick -> reload().onErrorResume(e -> {
                    log.warn("Re-reading the result-link keys failed; keeping the ones known", e);
                    return Mono.empty();
                }))
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable current = reloading;
        if (current != null) {
            current.dispose();
        }
        reloading = null;
    }

    @Override
    public boolean isRunning() {
        return reloading != null;
    }

    /** With the teams: before the web server takes requests and before workers render webhook payloads. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 4096;
    }

    private record Ring(String currentId, Map<String, SecretKeySpec> keys) {
    }

    private record Kept(String id, byte[] secret, Instant retiresAt) {
    }
}
