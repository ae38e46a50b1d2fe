package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import com.acme.imageedit.jobs.JobStatus;
import com.acme.imageedit.jobs.JobTransitions;
import com.acme.imageedit.system.ReplicaIdentity;
import com.acme.imageedit.upstream.TheRouterClient;
import com.acme.imageedit.upstream.UpstreamCall;
import com.acme.imageedit.upstream.UpstreamException;
import com.acme.imageedit.upstream.UpstreamJob;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Polls running jobs and settles them. A succeeded job's image is downloaded and stored before the job is marked
 * succeeded, because TheRouter's URLs expire; if the download fails the job stays running and is tried again with a
 * growing pause, until {@code dispatch.result-retry} gives it up ({@code upstream_result_unusable}).
 */
@Component
class Poller {

    private static final Logger log = LoggerFactory.getLogger(Poller.class);

    /** The error code of a succeeded job whose result never came as an image; settled as billed (V10). */
    static final String UNUSABLE_RESULT = "upstream_result_unusable";

    private final JobClaims claims;
    private final JobTransitions transitions;
    private final TheRouterClient upstream;
    private final DispatchProperties properties;
    private final ReplicaIdentity worker;
    private final UpstreamGate gate;
    private final PollSchedule schedule;
    private final Timer lateness;
    private final ResultDownloads downloads;

    Poller(JobClaims claims, JobTransitions transitions, TheRouterClient upstream, DispatchProperties properties,
           ReplicaIdentity worker, UpstreamGate gate, PollSchedule schedule, MeterRegistry meters) {
        this.claims = claims;
        this.transitions = transitions;
        this.upstream = upstream;
        this.properties = properties;
        this.worker = worker;
        this.gate = gate;
        this.schedule = schedule;
        this.lateness = Timer.builder("imageedit.poll.lateness")
                .description("How late polls to TheRouter went out after their due time (claim, budget wait)")
                .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
                        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
                        Duration.ofSeconds(5), Duration.ofSeconds(30))
                .register(meters);
        this.downloads = new ResultDownloads(meters);
    }

    /**
     * One round: claims the most overdue running jobs and polls them; answers how many were claimed. Like the
     * dispatcher it claims nothing while the breaker is open or a pause lasts: the jobs' poll times simply pass.
     */
    Mono<Integer> pollOnce() {
        int capacity = gate.capacity(properties.batchSize());
        if (capacity == 0) {
            return Mono.just(0);
        }
        return claims.claimForPoll(worker.id(), capacity, properties.lease())
                .collectList()
                .flatMap(batch -> Flux.fromIterable(batch)
                        .flatMap(this::poll, properties.pollConcurrency())
                        .then(Mono.just(batch.size())));
    }

    /**
     * How long until the next running job is due for a poll (by the database's clock; empty when none is running). The
     * poller sleeps that long rather than its whole idle pause, so that a due poll is not held up to a second late. While
     * the breaker is open or half-open (its probes go one by one) or a pause lasts: empty, i.e. the idle pause.
     */
    Mono<Duration> untilNextDue() {
        if (gate.capacity(2) < 2) {
            return Mono.empty();
        }
        return claims.untilNextPoll();
    }

    private Mono<Void> poll(ClaimedJob job) {
        // how late the request that got the answer went out (after the budget's permit, at the last retry)
        AtomicLong late = new AtomicLong();
        Mono<UpstreamJob> request = Mono.defer(() -> {
            late.set(job.lateMillisNow());
            lateness.record(Duration.ofMillis(late.get()));
            return upstream.poll(job.upstreamId());
        });
        return gate.call(UpstreamCall.POLL, request)
                .flatMap(status -> observed(job, status, late.get()).then(settle(job, status, late.get())))
                .onErrorResume(UpstreamException.class, e -> onFailure(job, e))
                .onErrorResume(UpstreamGate::notSent, e -> {
                    log.debug("Poll of job {} held back: {}", job.id(), e.toString());
                    return transitions.pollAgain(job.id(), job.version(), null, properties.idleDelay(), null);
                })
                .then()
                .onErrorResume(e -> {
                    // The lease runs out and the job is polled again; this worker goes on with the others.
                    log.warn("Polling job {} failed unexpectedly", job.id(), e);
                    return Mono.empty();
                });
    }

    private Mono<Long> settle(ClaimedJob job, UpstreamJob status, long late) {
        if (status.isSucceeded()) {
            return upstream.downloadResult(status, gate)
                    .transform(downloads.timed(job.model()))
                    .flatMap(image -> transitions.succeed(job.id(), job.version(), image.contentType(),
                            image.bytes()))
                    .doOnNext(v -> log.debug("Job {} succeeded", job.id()))
                    // a request the gate held back was never sent: the outer handler polls again soon, uncounted
                    .onErrorResume(UpstreamException.class, e -> resultFailed(job, e));
        }
        if (status.isFailed()) {
            String message = status.error() != null ? status.error().message() : "TheRouter reported the job failed";
            return transitions.finish(job.id(), job.version(), JobStatus.FAILED, "upstream_failed", "upstream_error",
                    message);
        }
        if (status.isExpired()) {
            return transitions.finish(job.id(), job.version(), JobStatus.EXPIRED, "upstream_expired",
                    "upstream_error", "TheRouter expired the job before it finished");
        }
        if (status.isCancelled()) {
            return transitions.finish(job.id(), job.version(), JobStatus.FAILED, "upstream_cancelled",
                    "upstream_error", "TheRouter cancelled the job");
        }
        return transitions.pollAgain(job.id(), job.version(), status.status(),
                schedule.nextDelay(job.submittedAt(), Instant.now()), null, late);
    }

    /**
     * A job seen finished for the first time finished after the previous poll (or the submit) and before this one:
     * that interval is what the adaptive schedule learns from, with how late this poll's answer and the previous one's
     * came after their due times.
     */
    private Mono<Void> observed(ClaimedJob job, UpstreamJob status, long late) {
        if (job.submittedAt() == null || !(status.isSucceeded() || status.isFailed() || status.isExpired())) {
            return Mono.empty();
        }
        Instant now = Instant.now();
        long high = Duration.between(job.submittedAt(), now).toMillis();
        long low = job.previousPollAt() == null ? 0 : Duration.between(job.submittedAt(), job.previousPollAt()).toMillis();
        return schedule.recordRunTime(job.id(), low, high, late, job.previousLateMillis());
    }

    /**
     * TheRouter reported the job succeeded (and billed it), but no candidate gave an image we can store: the result is
     * tried again with a growing pause, and given up after {@code dispatch.result-retry}'s tries or time. Not a poll
     * every {@code poll-interval} until the deadline: each try costs a poll and a download of the shared budget. A 429
     * is the account's limit speaking (the gate has paused every replica), not the result's fault, and is not a try.
     */
    private Mono<Long> resultFailed(ClaimedJob job, UpstreamException failure) {
        if (failure instanceof UpstreamException.Retryable retryable
                && (retryable.httpStatus() == 429 || retryable.retryAfter() != null)) {
            Duration delay = retryable.retryAfter() != null ? retryable.retryAfter() : properties.pollInterval();
            log.info("Result of job {} rate-limited: {}; trying again in {}", job.id(), failure.getMessage(), delay);
            return transitions.pollAgain(job.id(), job.version(), "succeeded", delay, failure.getMessage());
        }
        int tries = job.resultAttempts() + 1;
        Instant now = Instant.now();
        Instant since = job.resultFailingSince() != null ? job.resultFailingSince() : now;
        Optional<Duration> next = properties.resultRetry().nextTry(tries, since, now);
        if (next.isPresent()) {
            log.info("Result of job {} is not usable (try {} of {}): {}; trying again in {}", job.id(), tries,
                    properties.resultRetry().maxAttempts(), failure.getMessage(), next.get());
            return transitions.resultUnusable(job.id(), job.version(), next.get(), failure.getMessage());
        }
        long seconds = Duration.between(since, now).toSeconds();
        log.warn("Result of job {} is not usable after {} tries over {} s; failing it (charged): {}", job.id(), tries,
                seconds, failure.getMessage());
        return transitions.finish(job.id(), job.version(), JobStatus.FAILED, UNUSABLE_RESULT, "upstream_error",
                "TheRouter reported the job succeeded and billed it, but its result could not be fetched as an image "
                        + "after " + tries + (tries == 1 ? " try" : " tries") + " over " + seconds + " s (last: "
                        + failure.getMessage() + "); the job is charged, as TheRouter charged it");
    }

    private Mono<Long> onFailure(ClaimedJob job, UpstreamException failure) {
        if (failure instanceof UpstreamException.NotFound) {
            return transitions.finish(job.id(), job.version(), JobStatus.FAILED, "upstream_job_not_found",
                    "upstream_error", "TheRouter no longer knows job " + job.upstreamId());
        }
        // Retryable trouble, and also refusals (a revoked key is the operator's to fix; the job may still finish):
        // keep polling until the deadline, at the pace TheRouter asked for if it said.
        Duration delay = failure instanceof UpstreamException.Retryable retryable && retryable.retryAfter() != null
                ? retryable.retryAfter() : properties.pollInterval();
        log.info("Poll of job {} failed: {}; polling again in {}", job.id(), failure.getMessage(), delay);
        return transitions.pollAgain(job.id(), job.version(), null, delay, failure.getMessage());
    }
}
