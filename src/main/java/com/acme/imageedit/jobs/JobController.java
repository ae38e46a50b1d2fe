package com.acme.imageedit.jobs;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** TheRouter-compatible job API: submit an edit, read the job, fetch its result. */
@RestController
class JobController {

    private final EditFormReader reader;
    private final EditRequestValidator validator;
    private final JobService service;
    private final JobViews views;

    JobController(EditFormReader reader, EditRequestValidator validator, JobService service, JobViews views) {
        this.reader = reader;
        this.validator = validator;
        this.service = service;
        this.views = views;
    }

    /**
     * Submits an edit. Answers 202 with the job at once; with or without {@code async=true} (the waiting,
     * OpenAI-style variant without it is not offered yet, so both behave like TheRouter's async path).
     */
    @PostMapping("/v1/images/edits")
    Mono<ResponseEntity<JobView>> submit(@AuthenticationPrincipal TeamPrincipal caller, ServerWebExchange exchange) {
        return reader.read(exchange)
                .map(validator::validate)
                .flatMap(request -> service.accept(caller, request))
                .map(job -> {
                    JobView view = views.render(job, exchange.getRequest());
                    return ResponseEntity.status(HttpStatus.ACCEPTED)
                            .header(HttpHeaders.LOCATION, view.pollingUrl())
                            .body(view);
                });
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
                    return service.result(id);
                })
                .switchIfEmpty(Mono.error(() -> ApiException.conflict("result_not_available",
                        "job " + id + " has no stored result")))
                .map(image -> ResponseEntity.ok()
                        .contentType(MediaType.parseMediaType(image.contentType()))
                        .cacheControl(CacheControl.noCache().cachePrivate())
                        .eTag('"' + id + '"')
                        .body(image.bytes()));
    }

    private static ApiException unknownJob(String id) {
        return ApiException.notFound("id", "no job " + (id.length() > 64 ? id.substring(0, 64) + "…" : id));
    }
}
