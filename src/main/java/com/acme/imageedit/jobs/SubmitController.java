package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.Base64;
import java.util.List;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.system.BodiesInFlight;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Submits, TheRouter- and OpenAI-compatible. With {@code async=true}: 202 and the job at once (TheRouter), or, with
 * {@code Prefer: wait=N}, the job once it ended if that is within N seconds. Without: waits up to {@code jobs.max-wait}
 * and answers OpenAI's {@code {"created":…,"data":[{"b64_json":…}]}}, or 202 with the job when the wait runs out.
 * Bodies are multipart (like both) or JSON with the image as base64 or a data URL.
 */
@RestController
class SubmitController {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final EditFormReader multipart;
    private final JsonEditFormReader jsonForms;
    private final EditRequestValidator validator;
    private final JobService service;
    private final JobViews views;
    private final JobsProperties properties;
    private final JsonMapper json;

    SubmitController(EditFormReader multipart, JsonEditFormReader jsonForms, EditRequestValidator validator,
                     JobService service, JobViews views, JobsProperties properties, JsonMapper json) {
        this.multipart = multipart;
        this.jsonForms = jsonForms;
        this.validator = validator;
        this.service = service;
        this.views = views;
        this.properties = properties;
        this.json = json;
    }

    @PostMapping("/v1/images/edits")
    Mono<ResponseEntity<Object>> edit(@AuthenticationPrincipal TeamPrincipal caller,
                                      @RequestParam(name = "async", required = false) String async,
                                      @RequestHeader(name = "Prefer", required = false) String prefer,
                                      @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey,
                                      ServerWebExchange exchange) {
        return submit(caller, JobsProperties.Kind.EDIT, async, prefer, idempotencyKey, exchange);
    }

    @PostMapping("/v1/images/generations")
    Mono<ResponseEntity<Object>> generate(@AuthenticationPrincipal TeamPrincipal caller,
                                          @RequestParam(name = "async", required = false) String async,
                                          @RequestHeader(name = "Prefer", required = false) String prefer,
                                          @RequestHeader(name = IDEMPOTENCY_KEY, required = false)
                                          String idempotencyKey,
                                          ServerWebExchange exchange) {
        return submit(caller, JobsProperties.Kind.GENERATE, async, prefer, idempotencyKey, exchange);
    }

    private Mono<ResponseEntity<Object>> submit(TeamPrincipal caller, JobsProperties.Kind operation, String asyncParam,
                                                String prefer, String idempotencyKey, ServerWebExchange exchange) {
        // Judged before anything is stored: content negotiation after the commit would refuse a job already accepted.
        ApiException unacceptable = unacceptable(exchange);
        if (unacceptable != null) {
            return Mono.error(unacceptable);
        }
        boolean async = "true".equalsIgnoreCase(asyncParam);
        Long requestedWait = WaitPreference.requested(prefer);
        Duration wait = WaitPreference.bound(async, requestedWait, properties.maxWait());
        // Once stored, the image is needed no more: a waiting submit holds neither its body, nor its image, nor its
        // share of the bound on bodies in flight (BodiesInFlight). The wait keeps only the response format, and the
        // finished reading and accepting are detached (onTerminateDetach), since an operator that has delivered its
        // value still references what it was made of (the body, the request and its image) while later ones run.
        return read(exchange)
                .map(form -> validator.validate(form, operation))
                .onTerminateDetach()
                .flatMap(request -> {
                    String responseFormat = request.responseFormat();
                    return service.accept(caller, request, idempotencyKey,
                                    job -> json.writeValueAsBytes(views.render(job, exchange.getRequest())))
                            .onTerminateDetach()
                            .flatMap(accepted -> BodiesInFlight.releaseEarly().thenReturn(accepted))
                            .flatMap(accepted -> service.awaitEnd(accepted.job(), caller, wait)
                                    .flatMap(job -> respond(accepted, job, responseFormat, async, wait, requestedWait,
                                            exchange)));
                });
    }

    /** Why the request's {@code Accept} rules out the JSON a submit answers with, or null when it does not. */
    private static ApiException unacceptable(ServerWebExchange exchange) {
        List<MediaType> accepted;
        try {
            accepted = exchange.getRequest().getHeaders().getAccept();
        } catch (InvalidMediaTypeException e) {
            return ApiException.badRequest(HttpHeaders.ACCEPT, "Accept is not a list of media types: "
                    + e.getMessage());
        }
        if (accepted.isEmpty() || accepted.stream().anyMatch(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON)
                || type.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))) {
            return null;
        }
        return new ApiException(HttpStatus.NOT_ACCEPTABLE, "not_acceptable", HttpHeaders.ACCEPT,
                "submits answer application/json, which Accept does not allow");
    }

    private Mono<EditForm> read(ServerWebExchange exchange) {
        MediaType contentType = exchange.getRequest().getHeaders().getContentType();
        if (contentType != null && (MediaType.APPLICATION_JSON.isCompatibleWith(contentType)
                || contentType.getSubtype().endsWith("+json"))) {
            return jsonForms.read(exchange);
        }
        return multipart.read(exchange);
    }

    private Mono<ResponseEntity<Object>> respond(Accepted accepted, Job job, String responseFormat, boolean async,
                                                 Duration wait, Long requestedWait, ServerWebExchange exchange) {
        if (wait.isZero()) {
            // TheRouter's async answer: the one stored at acceptance, byte for byte (what an idempotent replay gets).
            ResponseEntity.BodyBuilder stored = ResponseEntity.status(HttpStatus.ACCEPTED)
                    .header(HttpHeaders.LOCATION, views.render(accepted.job(), exchange.getRequest()).pollingUrl())
                    .contentType(MediaType.APPLICATION_JSON);
            if (requestedWait != null) {
                stored.header("Preference-Applied", "wait=0");
            }
            if (accepted.replayed()) {
                stored.header("Idempotent-Replayed", "true");
            }
            return Mono.just(stored.body(accepted.body()));
        }
        JobView view = views.render(job, exchange.getRequest());
        ResponseEntity.BodyBuilder response;
        if (!job.status().isTerminal()) {
            response = ResponseEntity.status(HttpStatus.ACCEPTED);
        } else if (async) {
            response = ResponseEntity.ok();
        } else {
            return openAiAnswer(job, responseFormat, view, exchange);
        }
        response.header(HttpHeaders.LOCATION, view.pollingUrl());
        if (requestedWait != null) {
            response.header("Preference-Applied", "wait=" + wait.toSeconds());
        }
        if (accepted.replayed()) {
            response.header("Idempotent-Replayed", "true");
        }
        return Mono.just(response.body(view));
    }

    /** The job ended within the wait: OpenAI's answer when it succeeded, a problem naming its error otherwise. */
    private Mono<ResponseEntity<Object>> openAiAnswer(Job job, String responseFormat, JobView view,
                                                      ServerWebExchange exchange) {
        if (job.status() != JobStatus.SUCCEEDED) {
            HttpStatus status = job.status() == JobStatus.EXPIRED ? HttpStatus.GATEWAY_TIMEOUT
                    : job.status() == JobStatus.CANCELLED ? HttpStatus.CONFLICT : HttpStatus.BAD_GATEWAY;
            return Mono.error(new ApiException(status, job.errorCode() == null ? "job_" + job.status().publicName()
                    : job.errorCode(), null, "job " + job.id() + " ended " + job.status().publicName()
                    + (job.errorMessage() == null ? "" : ": " + job.errorMessage()))
                    .with("job_id", job.id())
                    .withHeader(HttpHeaders.LOCATION, view.pollingUrl()));
        }
        long created = job.createdAt().getEpochSecond();
        if ("url".equals(responseFormat)) {
            return Mono.just(ResponseEntity.ok().body(new ImagesResponse(created,
                    List.of(new ImagesResponse.Image(null, views.resultLink(job, exchange.getRequest()))))));
        }
        return service.result(job)
                .map(image -> ResponseEntity.ok().header(HttpHeaders.LOCATION, view.pollingUrl())
                        .body(new ImagesResponse(created, List.of(new ImagesResponse.Image(
                                Base64.getEncoder().encodeToString(image.bytes()), null)))));
    }
}
