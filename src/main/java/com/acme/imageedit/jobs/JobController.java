package com.acme.imageedit.jobs;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** TheRouter-compatible job API: read a job, fetch its result; plus listing and cancelling. */
@RestController
class JobController {

    private final JobService service;
    private final JobViews views;
    private final JobListing listing;

    JobController(JobService service, JobViews views, JobListing listing) {
        this.service = service;
        this.views = views;
        this.listing = listing;
    }

    /** The caller's jobs (an admin's: everyone's), newest first, in cursor pages. */
    @GetMapping("/v1/jobs")
    Mono<JobPage> list(@AuthenticationPrincipal TeamPrincipal caller, ServerWebExchange exchange) {
        JobQuery query = listing.query(exchange.getRequest().getQueryParams());
        return service.list(caller, query)
                .collectList()
                .map(rows -> listing.page(rows, query.limit(), job -> views.render(job, exchange.getRequest())));
    }

    /**
     * Cancels a queued or running job. TheRouter has no cancel: a job already running there may still be billed, and
     * is charged (see the README's settlement rules); a queued one is refunded.
     */
    @PostMapping("/v1/jobs/{id}/cancel")
    Mono<JobView> cancel(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id,
                         ServerWebExchange exchange) {
        if (!JobIds.isWellFormed(id)) {
            return Mono.error(unknownJob(id));
        }
        return service.cancel(id, caller).map(job -> views.render(job, exchange.getRequest()));
    }

    @GetMapping("/v1/jobs/{id}")
    Mono<JobView> job(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id,
                      ServerWebExchange exchange) {
        return service.find(id, caller)
                .switchIfEmpty(Mono.error(() -> unknownJob(id)))
                .map(job -> views.render(job, exchange.getRequest()));
    }

    /** The stored result bytes, served by us: upstream URLs expire, ours last as long as the result is retained. */
    @GetMapping("/v1/jobs/{id}/content")
    Mono<ResponseEntity<byte[]>> content(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id) {
        return service.find(id, caller)
                .switchIfEmpty(Mono.error(() -> unknownJob(id)))
                .flatMap(job -> {
                    if (job.status() != JobStatus.SUCCEEDED) {
                        return Mono.error(ApiException.conflict("result_not_available",
                                "job " + id + " is " + job.status().publicName() + "; its result exists only once it "
                                        + "succeeded"));
                    }
                    return service.result(job);
                })
                .map(image -> ImageResponses.of(id, image, CacheControl.noCache().cachePrivate()));
    }

    static ApiException unknownJob(String id) {
        return ApiException.notFound("id", "no job " + (id.length() > 64 ? id.substring(0, 64) + "…" : id));
    }
}
