package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Webhook meters, with bounded tags only ({@code event}: five types; {@code outcome}: a handful of classes), never a
 * job, delivery, team or URL: deliveries ended by outcome, attempts by outcome, attempt latency and event-to-delivery
 * lag as histograms, and the backlog read from the database (so every replica reports the whole of it): the age of
 * the oldest pending delivery, and how long the most overdue one has waited past its due time for a sender.
 *
 * <p>The deliveries counter exists for every event and outcome from the start, at zero: an alert on
 * {@code increase(...{outcome="failed"}[1h]) > 0} would not see the first failure of a series born with it.
 */
@Component
class WebhookMeters implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WebhookMeters.class);

    private final MeterRegistry registry;
    private final DeliveryRepository deliveries;
    private final WebhooksProperties properties;
    private final AtomicReference<Double> oldestPendingAge = new AtomicReference<>(0.0);
    private final AtomicReference<Double> oldestOverdue = new AtomicReference<>(0.0);
    private volatile Disposable refresher;

    WebhookMeters(MeterRegistry registry, DeliveryRepository deliveries, WebhooksProperties properties) {
        this.registry = registry;
        this.deliveries = deliveries;
        this.properties = properties;
        Gauge.builder("imageedit.webhook.oldest.pending.age", oldestPendingAge, AtomicReference::get)
                .description("Age of the oldest webhook delivery not yet delivered or given up")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("imageedit.webhook.oldest.overdue", oldestOverdue, AtomicReference::get)
                .description("How long the most overdue webhook delivery has waited past its due time although its "
                        + "receiver had a free slot: the senders' backlog, not the receivers'")
                .baseUnit("seconds")
                .register(registry);
        for (String event : EventTypes.ALL) {
            for (String outcome : List.of("delivered", "failed", "abandoned")) {
                deliveriesCounter(event, outcome);
            }
        }
    }

    private Counter deliveriesCounter(String event, String outcome) {
        return Counter.builder("imageedit.webhook.deliveries")
                .description("Webhook deliveries ended, by outcome")
                .tags("event", event, "outcome", outcome)
                .register(registry);
    }

    /** {@code outcome}: 2xx, 3xx, 4xx, 5xx, timeout, connect_error or refused (the SSRF guard said no). */
    void attempted(String event, String outcome, Duration latency) {
        Counter.builder("imageedit.webhook.attempts")
                .description("Webhook delivery attempts")
                .tags("event", event, "outcome", outcome)
                .register(registry).increment();
        Timer.builder("imageedit.webhook.attempt.duration")
                .description("Duration of one webhook POST, connect to response")
                .tags("outcome", outcome)
                .publishPercentileHistogram()
                .register(registry).record(latency);
    }

    /** {@code outcome}: delivered, failed (schedule used up or 410 Gone) or abandoned (subscription or job gone). */
    void finished(String event, String outcome, Instant eventAt) {
        deliveriesCounter(event, outcome).increment();
        if (outcome.equals("delivered") && eventAt != null) {
            Timer.builder("imageedit.webhook.delivery.lag")
                    .description("From the job's state change to its webhook's successful delivery")
                    .tags("event", event)
                    .publishPercentileHistogram()
                    .register(registry).record(Duration.between(eventAt, Instant.now()));
        }
    }

    @Override
    public void start() {
        refresher = Flux.interval(Duration.ZERO, properties.metricsRefresh())
                .onBackpressureDrop()
                .concatMap(tick -> deliveries.backlog(properties.perHostConcurrency())
                        .doOnNext(backlog -> {
                            oldestPendingAge.set(backlog.oldestPendingAgeSeconds());
                            oldestOverdue.set(backlog.oldestOverdueSeconds());
                        })
                        .onErrorResume(e -> {
                            log.debug("Could not read the webhook backlog: {}", e.toString());
                            return Mono.empty();
                        }))
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable current = refresher;
        if (current != null) {
            current.dispose();
        }
        refresher = null;
    }

    @Override
    public boolean isRunning() {
        return refresher != null;
    }
}
