package com.acme.imageedit.webhooks;

import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.imageedit.jobs.JobObjects;
import com.acme.imageedit.system.ReplicaIdentity;
import io.netty.handler.timeout.ReadTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.PrematureCloseException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends due deliveries: claims them (lease), renders the envelope once (so that every retry carries the same body
 * under the same webhook-id), judges the URL again (DNS rebinding), POSTs it signed to the checked address, and
 * records the attempt and what follows (delivered, retry at, failed). A sender that dies mid-attempt leaves the lease to
 * run out; the delivery is then sent again by whoever claims it: at least once, never lost.
 */
@Component
class WebhookSender {

    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);

    private final DeliveryRepository deliveries;
    private final SubscriptionRepository subscriptions;
    private final TeamSecrets teamSecrets;
    private final JobObjects jobObjects;
    private final WebhookUrlGuard guard;
    private final WebhookHttp http;
    private final WebhookMeters meters;
    private final WebhooksProperties properties;
    private final JsonMapper json;
    private final RetryPolicy retries;
    private final String worker;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Guards the wait for the last attempt in flight to end (shutdown). */
    private final Object idle = new Object();
    private final Set<Disposable> running = ConcurrentHashMap.newKeySet();
    private volatile Runnable onSlotFreed = () -> { };

    WebhookSender(DeliveryRepository deliveries, SubscriptionRepository subscriptions, TeamSecrets teamSecrets,
                  JobObjects jobObjects, WebhookUrlGuard guard, WebhookHttp http, WebhookMeters meters,
                  WebhooksProperties properties, JsonMapper json, ReplicaIdentity identity) {
        this.deliveries = deliveries;
        this.subscriptions = subscriptions;
        this.teamSecrets = teamSecrets;
        this.jobObjects = jobObjects;
        this.guard = guard;
        this.http = http;
        this.meters = meters;
        this.properties = properties;
        this.json = json;
        this.retries = new RetryPolicy(properties, Clock.systemUTC());
        this.worker = identity.id();
    }

    void onSlotFreed(Runnable callback) {
        this.onSlotFreed = callback;
    }

    /**
     * One round: claims as many due deliveries as there are free slots and starts them without waiting for them (a
     * slow receiver must not hold up the next round). Answers whether the round was full.
     */
    Mono<Boolean> round() {
        int free = Math.min(properties.batchSize(), properties.maxConcurrency() - inFlight.get());
        if (free <= 0) {
            return Mono.just(false);
        }
        return deliveries.claim(worker, free, properties.lease(), properties.perHostConcurrency())
                .doOnNext(this::start)
                .count()
                .map(claimed -> claimed >= free && free == properties.batchSize());
    }

    int inFlight() {
        return inFlight.get();
    }

    /**
     * Waits until no attempt is in flight, at most until {@code deadlineNanos} ({@link System#nanoTime()}); answers
     * whether it got there. For shutdown, which runs on a plain thread that has to wait anyway.
     */
    boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        synchronized (idle) {
            long left;
            while (inFlight.get() > 0 && (left = deadlineNanos - System.nanoTime()) > 0) {
                idle.wait(Math.max(1, left / 1_000_000));
            }
            return inFlight.get() == 0;
        }
    }

    /** Abandons what is in flight (shutdown past its timeout): leases run out and others send those again. */
    void abandonInFlight() {
        for (Disposable attempt : running) {
            attempt.dispose();
        }
    }

    private void start(Delivery delivery) {
        inFlight.incrementAndGet();
        AtomicBoolean done = new AtomicBoolean();
        Disposable[] handle = new Disposable[1];
        handle[0] = deliver(delivery)
                .doFinally(signal -> {
                    done.set(true);
                    if (inFlight.decrementAndGet() == 0) {
                        synchronized (idle) {
                            idle.notifyAll();
                        }
                    }
                    if (handle[0] != null) {
                        running.remove(handle[0]);
                    }
                    onSlotFreed.run();
                })
                .subscribe();
        running.add(handle[0]);
        if (done.get()) {
            running.remove(handle[0]);
        }
    }

    Mono<Void> deliver(Delivery delivery) {
        return prepare(delivery)
                .flatMap(prepared -> attempt(delivery, prepared))
                .onErrorResume(e -> {
                    // The lease runs out and the delivery is attempted again; this sender goes on with the others.
                    log.warn("Webhook delivery {} could not be attempted: {}", delivery.id(), e.toString());
                    return Mono.empty();
                })
                .then();
    }

    private record Prepared(String body, List<String> secrets) {
        @Override
        public String toString() {
            return "Prepared[hidden]";
        }
    }

    private Mono<Prepared> prepare(Delivery delivery) {
        Mono<SigningSecrets> secrets;
        if (delivery.forSubscription()) {
            if (delivery.subscriptionId() == null) {
                return abandon(delivery, "the subscription was deleted");
            }
            secrets = subscriptions.findForSending(delivery.subscriptionId())
                    .switchIfEmpty(Mono.defer(() -> abandon(delivery, "the subscription was deleted")))
                    .flatMap(subscription -> subscription.enabled()
                            ? Mono.just(subscriptions.secrets(subscription))
                            : abandon(delivery, "the subscription is disabled"
                                    + (subscription.disabledReason() == null ? "" : ": "
                                    + subscription.disabledReason())));
        } else {
            secrets = teamSecrets.getOrCreate(delivery.teamId());
        }
        return secrets.flatMap(active -> body(delivery)
                .map(body -> new Prepared(body, active.active(Instant.now()))));
    }

    private Mono<String> body(Delivery delivery) {
        if (delivery.body() != null) {
            return Mono.just(delivery.body());
        }
        return jobObjects.render(delivery.jobId())
                .map(job -> {
                    Map<String, Object> envelope = new LinkedHashMap<>();
                    envelope.put("type", delivery.eventType());
                    envelope.put("timestamp", delivery.eventAt().toString());
                    envelope.put("data", job);
                    return json.writeValueAsString(envelope);
                })
                .flatMap(rendered -> deliveries.storeBody(delivery.id(), rendered))
                .switchIfEmpty(Mono.defer(() -> abandon(delivery, "the job no longer exists")));
    }

    private <T> Mono<T> abandon(Delivery delivery, String reason) {
        log.info("Webhook delivery {} given up without an attempt: {}", delivery.id(), reason);
        return deliveries.abandon(delivery, worker, reason)
                .doOnNext(done -> {
                    if (done) {
                        meters.finished(delivery.eventType(), "abandoned", null);
                    }
                })
                .then(Mono.empty());
    }

    private Mono<Void> attempt(Delivery delivery, Prepared prepared) {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        return guard.judge(delivery.url())
                .flatMap(target -> {
                    long timestamp = Instant.now().getEpochSecond();
                    Map<String, String> headers = Map.of(
                            "webhook-id", delivery.id(),
                            "webhook-timestamp", Long.toString(timestamp),
                            "webhook-signature", StandardWebhooks.signatures(prepared.secrets(), delivery.id(),
                                    timestamp, prepared.body()));
                    return http.post(target, headers, prepared.body());
                })
                .map(answer -> Result.of(answer))
                .onErrorResume(e -> Mono.just(Result.failure(e)))
                .flatMap(result -> record(delivery, result, started,
                        Duration.ofNanos(System.nanoTime() - startNanos)));
    }

    private Mono<Void> record(Delivery delivery, Result result, Instant started, Duration latency) {
        meters.attempted(delivery.eventType(), result.outcome(), latency);
        String status;
        Instant next = null;
        boolean gone = result.status() != null && result.status() == 410;
        if (result.success()) {
            status = "DELIVERED";
        } else if (gone) {
            status = "FAILED";
        } else {
            Duration delay = retries.nextDelay(delivery.roundAttempts() + 1, result.retryAfter());
            status = delay == null ? "FAILED" : "PENDING";
            next = delay == null ? null : Instant.now().plus(delay);
        }
        String error = gone ? "the receiver answered 410 Gone" + (delivery.forSubscription()
                ? ": the subscription is disabled" : ": not retried") : result.error();
        if (!result.success()) {
            log.info("Webhook delivery {} attempt {} failed ({}); {}", delivery.id(), delivery.attempts() + 1,
                    result.status() != null ? "HTTP " + result.status() : result.error(),
                    next == null ? "giving up" : "next attempt at " + next);
        }
        String finalStatus = status;
        Mono<Long> disable = gone && delivery.forSubscription() && delivery.subscriptionId() != null
                ? subscriptions.disable(delivery.subscriptionId(), "the receiver answered 410 Gone at " + Instant.now())
                : Mono.just(0L);
        return deliveries.recordAttempt(delivery, worker, started, result.status(), latency.toMillis(), error, status,
                        next)
                .flatMap(recorded -> {
                    if (!recorded) {
                        log.warn("Webhook delivery {} was taken over while this sender attempted it", delivery.id());
                        return Mono.empty();
                    }
                    if (!finalStatus.equals("PENDING")) {
                        meters.finished(delivery.eventType(), finalStatus.equals("DELIVERED") ? "delivered" : "failed",
                                delivery.eventAt());
                    }
                    return disable.then();
                });
    }

    /** What one attempt came to. */
    private record Result(Integer status, String retryAfter, String error, String outcome) {

        static Result of(WebhookHttp.Answer answer) {
            int code = answer.status();
            return new Result(code, answer.retryAfter(), code >= 200 && code < 300 ? null : "HTTP " + code,
                    (code / 100) + "xx");
        }

        static Result failure(Throwable e) {
            if (e instanceof WebhookUrlGuard.Refused) {
                return new Result(null, null, "refused by the SSRF guard: " + e.getMessage(), "refused");
            }
            if (e instanceof TimeoutException || e instanceof ReadTimeoutException
                    || e.getCause() instanceof ReadTimeoutException) {
                return new Result(null, null, "no answer within the timeout", "timeout");
            }
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            boolean connect = e instanceof ConnectException || e.getCause() instanceof ConnectException
                    || e instanceof PrematureCloseException;
            return new Result(null, null, (connect ? "connection failed: " : "request failed: ")
                    + (message.length() > 300 ? message.substring(0, 300) : message), "connect_error");
        }

        boolean success() {
            return status != null && status >= 200 && status < 300;
        }
    }
}
