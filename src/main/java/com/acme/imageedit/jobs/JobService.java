package com.acme.imageedit.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.teams.TeamPrincipal;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Accepts validated requests (the job is durable in PostgreSQL before the client hears its id), reads and cancels. */
@Service
class JobService {

    private final JobRepository jobs;
    private final JobTransitions transitions;
    private final JobEvents jobEvents;
    private final ApplicationEventPublisher events;
    private final CallbackUrlCheck callbackUrls;
    private final Retentions retentions;
    private final Clock clock;

    JobService(JobRepository jobs, JobTransitions transitions, JobEvents jobEvents, ApplicationEventPublisher events,
               CallbackUrlCheck callbackUrls, Retentions retentions, Clock clock) {
        this.jobs = jobs;
        this.transitions = transitions;
        this.jobEvents = jobEvents;
        this.events = events;
        this.callbackUrls = callbackUrls;
        this.retentions = retentions;
        this.clock = clock;
    }

    /**
     * Stores the job, or, for an {@code Idempotency-Key} seen before with the same request, finds the first one.
     *
     * @param render the 202 body of a new job (stored with the key)
     */
    Mono<Accepted> accept(TeamPrincipal caller, EditRequest request, @Nullable String idempotencyKey,
                          Function<Job, byte[]> render) {
        if (caller.admin()) {
            return Mono.error(ApiException.forbidden("Admin keys do not submit jobs: jobs and their spend belong to a "
                    + "team; use that team's key"));
        }
        Idempotency idempotency = idempotencyKey == null ? null : Idempotency.of(idempotencyKey, request);
        String id = JobIds.next();
        Instant deadline = Instant.now().plus(request.deadline());
        // The callback URL is judged (DNS included) before anything is stored or reserved.
        Mono<Void> callback = request.callbackUrl() == null ? Mono.empty() : callbackUrls.check(request.callbackUrl());
        return callback.then(jobs.insert(id, caller.teamId(), request, deadline, retentions.of(caller.teamId()),
                        idempotency, render))
                .doOnNext(accepted -> {
                    if (!accepted.replayed()) {
                        Job job = accepted.job();
                        events.publishEvent(new JobAccepted(job.id(), job.teamId(), job.model()));
                    }
                });
    }

    Mono<Job> find(String id, TeamPrincipal caller) {
        if (!JobIds.isWellFormed(id)) {
            return Mono.empty();
        }
        return jobs.find(id, caller);
    }

    /** The job, without a caller: only for links whose signature already proved the right to it. */
    Mono<Job> findSigned(String id) {
        if (!JobIds.isWellFormed(id)) {
            return Mono.empty();
        }
        return jobs.find(id, new TeamPrincipal(null, true));
    }

    /**
     * A succeeded job's stored result; 410 {@code result_expired} once its retention ended ({@code expires_at}), even
     * before the janitor has deleted it, and when it is gone.
     */
    Mono<StoredImage> result(Job job) {
        Mono<StoredImage> expired = Mono.error(() -> new ApiException(HttpStatus.GONE, "result_expired", "id",
                "the result of job " + job.id() + " was kept until " + job.expiresAt() + " and has been deleted"));
        if (!clock.instant().isBefore(job.expiresAt())) {
            return expired;
        }
        return jobs.image(job.id(), ImageRole.RESULT).switchIfEmpty(expired);
    }

    Flux<Job> list(TeamPrincipal caller, JobQuery query) {
        return jobs.list(caller, query);
    }

    /**
     * Cancels the job: the cancelled job, or a 404 (unknown or another team's), or a 409 (already ended, or its submit
     * is on the wire this moment).
     */
    Mono<Job> cancel(String id, TeamPrincipal caller) {
        return transitions.cancel(id, caller.admin() ? null : caller.teamId())
                .flatMap(cancelled -> find(id, caller))
                .switchIfEmpty(Mono.defer(() -> find(id, caller)
                        .switchIfEmpty(Mono.error(() -> JobController.unknownJob(id)))
                        .flatMap(job -> Mono.error(job.status().isTerminal()
                                ? ApiException.conflict("job_not_cancellable", "job " + id + " already ended "
                                + job.status().publicName() + "; only queued and in_progress jobs can be cancelled")
                                .with("job_status", job.status().publicName())
                                : ApiException.conflict("submit_in_progress", "job " + id + " is being sent to "
                                + "TheRouter at this moment; cancel again in a second").withHeader("Retry-After", "1")))));
    }

    /**
     * The job once it has ended, or as it is when {@code bound} passes first (or this replica stops). Event-driven: the
     * wait is a subscription to {@link JobEvents}, holding no thread and no connection; the job is read once at the
     * start (it may have ended already) and once per signal.
     */
    Mono<Job> awaitEnd(Job job, TeamPrincipal caller, Duration bound) {
        if (job.status().isTerminal() || bound.isZero() || bound.isNegative()) {
            return Mono.just(job);
        }
        String id = job.id();
        Flux<String> signals = jobEvents.signals(id).takeUntil(JobEvents.SHUTDOWN::equals);
        return Flux.concat(Mono.just(JobEvents.RESYNC), signals)
                .filter(signal -> !JobEvents.SHUTDOWN.equals(signal))
                .concatMap(signal -> find(id, caller))
                .filter(current -> current.status().isTerminal())
                .next()
                .timeout(bound, Mono.empty())
                .switchIfEmpty(Mono.defer(() -> find(id, caller)))
                .defaultIfEmpty(job);
    }
}
