package com.acme.imageedit.jobs;

import java.time.Instant;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/** Accepts validated edit requests: the job is durable in PostgreSQL before the client hears its id. */
@Service
class JobService {

    private final JobRepository jobs;
    private final ApplicationEventPublisher events;
    private final CallbackUrlCheck callbackUrls;

    JobService(JobRepository jobs, ApplicationEventPublisher events, CallbackUrlCheck callbackUrls) {
        this.jobs = jobs;
        this.events = events;
        this.callbackUrls = callbackUrls;
    }

    Mono<Job> accept(TeamPrincipal caller, EditRequest request) {
        if (caller.admin()) {
            return Mono.error(ApiException.forbidden("Admin keys do not submit jobs: jobs and their spend belong to a "
                    + "team; use that team's key"));
        }
        String id = JobIds.next();
        Instant deadline = Instant.now().plus(request.deadline());
        // The callback URL is judged (DNS included) before anything is stored or reserved.
        Mono<Void> callback = request.callbackUrl() == null ? Mono.empty() : callbackUrls.check(request.callbackUrl());
        return callback.then(jobs.insert(id, caller.teamId(), request, deadline))
                .doOnNext(job -> events.publishEvent(new JobAccepted(job.id(), job.teamId(), job.model())));
    }

    Mono<Job> find(String id, TeamPrincipal caller) {
        if (!JobIds.isWellFormed(id)) {
            return Mono.empty();
        }
        return jobs.find(id, caller);
    }

    Mono<StoredImage> result(String id) {
        return jobs.image(id, "RESULT");
    }
}
