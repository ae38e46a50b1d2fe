package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import com.acme.imageedit.jobs.JobStatus;
import com.acme.imageedit.jobs.JobTransitions;
import com.acme.imageedit.system.ReplicaIdentity;
import com.acme.imageedit.upstream.TheRouterClient;
import com.acme.imageedit.upstream.UpstreamCall;
import com.acme.imageedit.upstream.UpstreamException;
import com.acme.imageedit.upstream.UpstreamSubmission;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Submits queued jobs to TheRouter. The order of writes is what keeps a paid job from being submitted twice: claim
 * (lease), mark "sent", send, record the upstream id; a crash between "sent" and "recorded" is settled by the reaper's
 * ambiguous-submit policy, never by a blind resubmit.
 */
@Component
class Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final InputImage NO_IMAGE = new InputImage(null, null);
    private static final Duration RECORD_ACCEPTED_LIMIT = Duration.ofHours(1);

    private final JobClaims claims;
    private final JobTransitions transitions;
    private final TheRouterClient upstream;
    private final DispatchProperties properties;
    private final ReplicaIdentity worker;
    private final UpstreamGate gate;
    private final PollSchedule schedule;
    private final Counter ambiguous;

    Dispatcher(JobClaims claims, JobTransitions transitions, TheRouterClient upstream, DispatchProperties properties,
               ReplicaIdentity worker, UpstreamGate gate, PollSchedule schedule, MeterRegistry meters) {
        this.claims = claims;
        this.transitions = transitions;
        this.upstream = upstream;
        this.properties = properties;
        this.worker = worker;
        this.gate = gate;
        this.schedule = schedule;
        this.ambiguous = AmbiguousSubmits.counter(meters, properties.ambiguousSubmit(), "answer_lost");
    }

    /**
     * One round: claims a batch and submits it; answers how many jobs were claimed. Claims nothing while the breaker is
     * open or TheRouter asked for a pause, and only the probe's one job while the breaker is half-open.
     */
    Mono<Integer> dispatchOnce() {
        int capacity = gate.capacity(properties.batchSize());
        if (capacity == 0) {
            return Mono.just(0);
        }
        return claims.claimForSubmit(worker.id(), capacity, properties.lease())
                .collectList()
                .flatMap(batch -> Flux.fromIterable(batch)
                        .flatMap(this::submit, properties.submitConcurrency())
                        .then(Mono.just(batch.size())));
    }

    private Mono<Void> submit(ClaimedJob job) {
        // The version the job was marked sent with; -1 while it was not (yet), so that a failure knows which it was.
        AtomicLong sentVersion = new AtomicLong(-1);
        // A generation has no input image; an edit without one is a bug, left to the lease and the reaper.
        Mono<InputImage> input = job.generation() ? Mono.just(NO_IMAGE) : claims.inputImage(job.id())
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("job " + job.id() + " has no input image")));
        UpstreamCall call = job.generation() ? UpstreamCall.SUBMIT_GENERATION : UpstreamCall.SUBMIT_EDIT;
        return input
                .flatMap(image -> gate.call(call, transitions.markSubmitSent(job.id(), job.version())
                                .doOnNext(sentVersion::set)
                                .flatMap(sent -> job.generation()
                                        ? upstream.submitGeneration(submission(job, image))
                                        : upstream.submit(submission(job, image))))
                        .flatMap(accepted -> recordAccepted(job, sentVersion.get(), accepted.id(), accepted.status()))
                        .onErrorResume(e -> sentVersion.get() < 0 && UpstreamGate.notSent(e),
                                e -> notSent(job, e))
                        .onErrorResume(UpstreamException.class, e -> onFailure(job, sentVersion.get(), e)))
                .then()
                .onErrorResume(e -> {
                    // The lease runs out and the reaper settles the job; this worker goes on with the others.
                    log.warn("Submitting job {} failed unexpectedly", job.id(), e);
                    return Mono.empty();
                });
    }

    /** The breaker, a rate limiter or the shared budget held the call back: nothing left, so the job simply waits. */
    private Mono<Long> notSent(ClaimedJob job, Throwable reason) {
        log.debug("Submit of job {} held back: {}", job.id(), reason.toString());
        return transitions.requeue(job.id(), job.version(), properties.idleDelay(), "not sent: " + reason.getMessage());
    }

    /**
     * TheRouter has the job now and will bill it: recording its id must not be lost to a database outage, so it is
     * retried (every second at most) until it is written or the job changed meanwhile, also past the lease: the
     * reaper leaves such jobs alone until the database has been back for {@code reconnect-grace}. Bounded all the
     * same, by an hour, so that a database gone for good does not keep the call forever.
     */
    private Mono<Long> recordAccepted(ClaimedJob job, long version, String upstreamId, String upstreamStatus) {
        log.debug("Job {} submitted as {}", job.id(), upstreamId);
        return transitions.submitted(job.id(), version, upstreamId, upstreamStatus,
                        Duration.ofMillis(schedule.plan().firstOffset()))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(1))
                        .filter(e -> !(e instanceof IllegalArgumentException)))
                .timeout(RECORD_ACCEPTED_LIMIT)
                .switchIfEmpty(Mono.fromRunnable(() -> log.warn(
                        "Job {} was accepted upstream as {} but changed meanwhile (expired or taken over); "
                                + "not recording it", job.id(), upstreamId)));
    }

    private Mono<Long> onFailure(ClaimedJob job, long version, UpstreamException failure) {
        int attempt = job.submitAttempts() + 1;
        if (failure instanceof UpstreamException.Retryable retryable) {
            Duration delay = retryable.retryAfter() != null ? retryable.retryAfter() : backoff(attempt);
            log.info("Submit of job {} failed retryably (attempt {}): {}; retrying in {}", job.id(), attempt,
                    failure.getMessage(), delay);
            return transitions.requeue(job.id(), version, delay, failure.getMessage());
        }
        if (failure instanceof UpstreamException.OutcomeUnknown) {
            ambiguous.increment();
            if (properties.ambiguousSubmit() == DispatchProperties.AmbiguousSubmitPolicy.RETRY) {
                log.warn("Submit of job {} has an unknown outcome ({}); retrying by policy", job.id(),
                        failure.getMessage());
                return transitions.requeue(job.id(), version, backoff(attempt), failure.getMessage());
            }
            log.warn("Submit of job {} has an unknown outcome ({}); failing it so it is not paid twice", job.id(),
                    failure.getMessage());
            return transitions.finish(job.id(), version, JobStatus.FAILED, "submit_outcome_unknown",
                    "upstream_error", "TheRouter's answer to the submit was lost (" + failure.getMessage()
                            + "); the job may exist upstream, so it is not submitted again");
        }
        // Rejected, or NotFound (a submit endpoint that does not exist): the same request cannot succeed later.
        log.info("Submit of job {} rejected by TheRouter: {}", job.id(), failure.getMessage());
        return transitions.finish(job.id(), version, JobStatus.FAILED, "upstream_rejected",
                "invalid_request_error", upstreamMessage(failure));
    }

    private Duration backoff(int attempt) {
        long base = properties.submitBackoff().toMillis();
        long capped = Math.min(properties.maxSubmitBackoff().toMillis(), base << Math.min(attempt - 1, 20));
        // Full jitter on the upper half, so that replicas that failed together do not retry together.
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    private static String upstreamMessage(UpstreamException failure) {
        if (failure.error() != null && failure.error().message() != null) {
            return "TheRouter refused the job (HTTP " + failure.httpStatus() + "): " + failure.error().message();
        }
        return "TheRouter refused the job: " + failure.getMessage();
    }

    private static UpstreamSubmission submission(ClaimedJob job, InputImage image) {
        return new UpstreamSubmission(job.model(), job.prompt(), image.bytes(), image.contentType(), job.size(),
                job.seed(), job.cfg(), job.numInferenceSteps());
    }
}
