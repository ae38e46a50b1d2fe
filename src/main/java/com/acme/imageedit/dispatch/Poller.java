package com.acme.imageedit.dispatch;

import java.time.Duration;

import com.acme.imageedit.jobs.JobStatus;
import com.acme.imageedit.jobs.JobTransitions;
import com.acme.imageedit.upstream.TheRouterClient;
import com.acme.imageedit.upstream.UpstreamException;
import com.acme.imageedit.upstream.UpstreamJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Polls running jobs and settles them. A succeeded job's image is downloaded and stored before the job is marked
 * succeeded, because TheRouter's URLs expire; if the download fails the job stays running and is polled again.
 */
@Component
class Poller {

    private static final Logger log = LoggerFactory.getLogger(Poller.class);

    private final JobClaims claims;
    private final JobTransitions transitions;
    private final TheRouterClient upstream;
    private final DispatchProperties properties;
    private final WorkerIdentity worker;

    Poller(JobClaims claims, JobTransitions transitions, TheRouterClient upstream, DispatchProperties properties,
           WorkerIdentity worker) {
        this.claims = claims;
        this.transitions = transitions;
        this.upstream = upstream;
        this.properties = properties;
        this.worker = worker;
    }

    /** One round: claims the most overdue running jobs and polls them; answers how many were claimed. */
    Mono<Integer> pollOnce() {
        return claims.claimForPoll(worker.id(), properties.batchSize(), properties.lease())
                .collectList()
                .flatMap(batch -> Flux.fromIterable(batch)
                        .flatMap(this::poll, properties.pollConcurrency())
                        .then(Mono.just(batch.size())));
    }

    private Mono<Void> poll(ClaimedJob job) {
        return upstream.poll(job.upstreamId())
                .flatMap(status -> settle(job, status))
                .onErrorResume(UpstreamException.class, e -> onFailure(job, e))
                .then()
                .onErrorResume(e -> {
                    // The lease runs out and the job is polled again; this worker goes on with the others.
                    log.warn("Polling job {} failed unexpectedly", job.id(), e);
                    return Mono.empty();
                });
    }

    private Mono<Long> settle(ClaimedJob job, UpstreamJob status) {
        if (status.isSucceeded()) {
            return upstream.downloadResult(status)
                    .flatMap(image -> transitions.succeed(job.id(), job.version(), image.contentType(),
                            image.bytes()))
                    .doOnNext(v -> log.debug("Job {} succeeded", job.id()));
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
        return transitions.pollAgain(job.id(), job.version(), status.status(), properties.pollInterval(), null);
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
