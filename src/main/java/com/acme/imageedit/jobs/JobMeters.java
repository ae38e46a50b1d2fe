package com.acme.imageedit.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Job counters and the end-to-end duration histograms (DESIGN §8, catalogue in docs/metrics.md). Fed by the events
 * the state machine publishes after commit, so that a rolled-back transition is never counted and the state machine
 * knows nothing about metrics. Tags are bounded: model, team, status and a stable error code, never a job id.
 */
@Component
class JobMeters {

    static final String ACCEPTED = "imageedit.jobs.accepted";
    static final String COMPLETED = "imageedit.jobs.completed";
    static final String DURATION = "imageedit.jobs.duration";
    static final String QUEUE_WAIT = "imageedit.jobs.queue.wait";
    static final String UPSTREAM_RUN = "imageedit.jobs.upstream.run";

    /** TheRouter takes 30-180 s per job; the tails go to the 15 min default deadline and beyond. */
    private static final Duration[] DURATION_SLOS = seconds(1, 5, 10, 30, 60, 90, 120, 180, 300, 600, 900, 1800);
    /** A healthy queue is drained in well under a second; minutes mean a throttled or open-breaker upstream. */
    private static final Duration[] QUEUE_SLOS = seconds(0.1, 0.5, 1, 5, 10, 30, 60, 300, 900);
    private static final Duration[] RUN_SLOS = seconds(5, 10, 30, 60, 90, 120, 180, 300, 600, 900);

    private final MeterRegistry registry;

    JobMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    @EventListener
    void onAccepted(JobAccepted accepted) {
        acceptedCounter(accepted.model()).increment();
    }

    @EventListener
    void onFinished(JobFinished job) {
        String model = tag(job.model());
        String status = job.status().name().toLowerCase(Locale.ROOT);
        Counter.builder(COMPLETED)
                .description("Jobs that reached a terminal state")
                .tag("team", tag(job.teamId()))
                .tag("model", model)
                .tag("status", status)
                .tag("outcome", job.errorCode() != null ? job.errorCode() : status)
                .register(registry)
                .increment();
        record(DURATION, "Job acceptance to terminal state", DURATION_SLOS, model, status,
                job.createdAt(), job.finishedAt());
        if (job.submittedAt() != null) {
            record(QUEUE_WAIT, "Job acceptance to TheRouter's 202 (recorded when the job ends)", QUEUE_SLOS, model,
                    null, job.createdAt(), job.submittedAt());
            record(UPSTREAM_RUN, "TheRouter's 202 to terminal state, result download included", RUN_SLOS, model,
                    status, job.submittedAt(), job.finishedAt());
        }
    }

    private Counter acceptedCounter(String model) {
        return Counter.builder(ACCEPTED)
                .description("Jobs accepted and durably queued")
                .tag("model", tag(model))
                .register(registry);
    }

    private void record(String name, String description, Duration[] slos, String model, String status,
            Instant from, Instant to) {
        if (from == null || to == null || to.isBefore(from)) {
            return;
        }
        Timer.Builder timer = Timer.builder(name)
                .description(description)
                .serviceLevelObjectives(slos)
                .tag("model", model);
        if (status != null) {
            timer.tag("status", status);
        }
        timer.register(registry).record(Duration.between(from, to));
    }

    private static String tag(String value) {
        return value == null || value.isBlank() ? "unknown" : value;
    }

    private static Duration[] seconds(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofMillis(Math.round(values[i] * 1000));
        }
        return durations;
    }
}
