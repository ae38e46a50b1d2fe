package com.acme.imageedit.jobs;

import java.time.Instant;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/** Accepts validated edit requests: the job is durable in PostgreSQL before the client hears its id. */
@Service
class JobService {

    /** Until the teams feature, every job belongs to one built-in team. */
    static final String DEFAULT_TEAM = "default";

    private final JobRepository jobs;
    private final ApplicationEventPublisher events;

    JobService(JobRepository jobs, ApplicationEventPublisher events) {
        this.jobs = jobs;
        this.events = events;
    }

    Mono<Job> accept(EditRequest request) {
        String id = JobIds.next();
        Instant deadline = Instant.now().plus(request.deadline());
        return jobs.insert(id, DEFAULT_TEAM, request, deadline)
                .doOnNext(job -> events.publishEvent(new JobAccepted(job.id())));
    }

    Mono<Job> find(String id) {
        if (!JobIds.isWellFormed(id)) {
            return Mono.empty();
        }
        return jobs.find(id);
    }

    Mono<StoredImage> result(String id) {
        return jobs.image(id, "RESULT");
    }
}
