package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.function.Function;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;

/**
 * {@code imageedit.jobs.result.download}: how long fetching a succeeded job's result took, every candidate URL and
 * redirect hop and the whole body included (the per-exchange {@code imageedit.upstream.calls} stops at the response
 * headers), by model and {@code outcome}: {@code success}, or {@code failed} when no candidate gave the image (the job
 * stays running and is polled again). A download abandoned midway (lease lost, shutdown) is not recorded.
 */
final class ResultDownloads {

    static final String NAME = "imageedit.jobs.result.download";
    /** The simulator's results arrive in milliseconds, TheRouter's in about a second; download-timeout is 60 s. */
    private static final Duration[] SLOS = {Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

    private final MeterRegistry registry;

    ResultDownloads(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Times the download {@code Mono} it is applied to, from subscription to its image or its error. */
    <T> Function<Mono<T>, Mono<T>> timed(String model) {
        return download -> Mono.defer(() -> {
            long start = System.nanoTime();
            return download
                    .doOnSuccess(image -> record(model, image != null ? "success" : "failed", start))
                    .doOnError(e -> record(model, "failed", start));
        });
    }

    private void record(String model, String outcome, long startNanos) {
        Timer.builder(NAME)
                .description("A succeeded job's result download, all candidates, body included")
                .serviceLevelObjectives(SLOS)
                .tag("model", model == null || model.isBlank() ? "unknown" : model)
                .tag("outcome", outcome)
                .register(registry)
                .record(Duration.ofNanos(System.nanoTime() - startNanos));
    }
}
