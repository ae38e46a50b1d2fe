package com.acme.imageedit.jobs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/jobs/{id}/events}: Server-Sent Events of a job's public states, {@code event: status}, ending after
 * the terminal one. The state always comes from the database (read at the start and on every {@link JobEvents}
 * signal, which reaches every replica through LISTEN/NOTIFY), so any replica can serve the stream. Event ids are the
 * stage numbers (1 queued, 2 in_progress, 3 terminal): a client that reconnects with {@code Last-Event-ID} gets only
 * what it has not seen. Comments keep an idle stream open through proxies.
 */
@RestController
class JobEventsController {

    private static final int QUEUED = 1;
    private static final int IN_PROGRESS = 2;
    private static final int TERMINAL = 3;

    private final JobService service;
    private final JobEvents events;
    private final JobViews views;
    private final JobsProperties properties;

    JobEventsController(JobService service, JobEvents events, JobViews views, JobsProperties properties) {
        this.service = service;
        this.events = events;
        this.views = views;
        this.properties = properties;
    }

    @GetMapping("/v1/jobs/{id}/events")
    Flux<ServerSentEvent<JobEvent>> events(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id,
                                           @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
                                           ServerWebExchange exchange) {
        // The job is looked up before the stream starts, so that an unknown job is a 404 problem, not an empty stream.
        return service.find(id, caller)
                .switchIfEmpty(Mono.error(() -> JobController.unknownJob(id)))
                .flatMapMany(first -> stream(first, caller, seen(lastEventId), exchange));
    }

    private Flux<ServerSentEvent<JobEvent>> stream(Job first, TeamPrincipal caller, int seen,
                                                   ServerWebExchange exchange) {
        AtomicInteger sent = new AtomicInteger(seen);
        Flux<Job> states = Flux.concat(Mono.just(first),
                events.signals(first.id())
                        .takeUntil(JobEvents.SHUTDOWN::equals)
                        .filter(signal -> !JobEvents.SHUTDOWN.equals(signal))
                        .concatMap(signal -> service.find(first.id(), caller)));
        Flux<ServerSentEvent<JobEvent>> updates = states
                .takeUntil(job -> job.status().isTerminal())
                .concatMapIterable(job -> unsent(job, sent, exchange))
                .takeUntil(event -> sent.get() >= TERMINAL);
        if (seen >= TERMINAL) {
            return Flux.empty();
        }
        return updates.publish(shared -> Flux.merge(shared,
                Flux.interval(properties.eventsKeepAlive())
                        .map(tick -> ServerSentEvent.<JobEvent>builder().comment("keep-alive").build())
                        .takeUntilOther(shared.then(Mono.just(Boolean.TRUE)))));
    }

    /** The stages this job has passed that the client has not been sent yet, in order. */
    private List<ServerSentEvent<JobEvent>> unsent(Job job, AtomicInteger sent, ServerWebExchange exchange) {
        List<ServerSentEvent<JobEvent>> out = new ArrayList<>();
        JobView view = views.render(job, exchange.getRequest());
        int reached = job.status().isTerminal() ? TERMINAL : job.status() == JobStatus.RUNNING ? IN_PROGRESS : QUEUED;
        for (int stage = sent.get() + 1; stage <= reached; stage++) {
            if (stage == IN_PROGRESS && reached == TERMINAL && job.submittedAt() == null) {
                continue; // ended without ever running (cancelled or expired in the queue)
            }
            String status = stage == QUEUED ? "queued" : stage == IN_PROGRESS ? "in_progress"
                    : job.status().publicName();
            Instant at = stage == QUEUED ? job.createdAt() : stage == IN_PROGRESS ? job.submittedAt()
                    : job.finishedAt();
            out.add(ServerSentEvent.<JobEvent>builder()
                    .id(Integer.toString(stage))
                    .event("status")
                    .data(new JobEvent("job." + status, at == null ? Instant.now() : at, view))
                    .build());
        }
        sent.set(Math.max(sent.get(), reached));
        return out;
    }

    private static int seen(String lastEventId) {
        if (lastEventId == null) {
            return 0;
        }
        try {
            int seen = Integer.parseInt(lastEventId.strip());
            return Math.max(0, Math.min(seen, TERMINAL));
        } catch (NumberFormatException e) {
            return 0; // not one of ours: start from the beginning
        }
    }
}
