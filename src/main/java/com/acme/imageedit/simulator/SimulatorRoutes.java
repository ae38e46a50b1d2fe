package com.acme.imageedit.simulator;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.codec.CodecException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;

/** TheRouter's HTTP surface over a {@link SimulatorEngine}, plus the simulator's own stats and reset endpoints. */
final class SimulatorRoutes {

    private static final Logger log = LoggerFactory.getLogger(SimulatorRoutes.class);
    private static final ParameterizedTypeReference<Map<String, Object>> GENERATION_BODY =
            new ParameterizedTypeReference<>() {
            };

    private final SimulatorEngine engine;
    private final Counters counters;

    SimulatorRoutes(SimulatorEngine engine) {
        this.engine = engine;
        this.counters = engine.counters();
    }

    RouterFunction<ServerResponse> routes() {
        RouterFunction<ServerResponse> api = RouterFunctions.route()
                .POST("/v1/images/edits", this::submit)
                .POST("/v1/images/generations", this::generate)
                .GET("/v1/jobs/{id}", this::poll)
                .GET("/v1/jobs/{id}/content", this::content)
                .filter(this::authenticateAndLimit)
                .build();
        RouterFunctions.Builder rest = RouterFunctions.route();
        if (engine.properties().results() == ResultHost.OWN_ORIGIN) {
            // Result files on TheRouter's origin: fetched without a key they behave like pre-signed storage URLs, but a
            // request that carries the key is an API call of the account, authenticated and rate-limited like any.
            rest.GET("/files/{id}.png", request -> request.headers().firstHeader(HttpHeaders.AUTHORIZATION) == null
                    ? file(request) : authenticateAndLimit(request, this::file));
        }
        rest.GET("/simulator/stats", request -> ServerResponse.ok()
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(engine.stats()))
                .POST("/simulator/reset", request -> {
                    engine.reset();
                    return ServerResponse.noContent().build();
                })
                .route(RequestPredicates.all(),
                        request -> ErrorResponses.notFound("no route for " + request.method() + " " + request.path()));
        return api.and(rest.build()).filter(this::refuseChunked)
                .filter((request, next) -> next.handle(request).onErrorResume(this::unexpected));
    }

    /** The second host ({@link ResultHost#SECOND_HOST}): result files only, no key, no account, no rate limit. */
    RouterFunction<ServerResponse> secondHostRoutes() {
        return RouterFunctions.route()
                .GET("/files/{id}.png", this::file)
                .route(RequestPredicates.all(),
                        request -> ErrorResponses.notFound("no route for " + request.method() + " " + request.path()))
                .build()
                .filter((request, next) -> next.handle(request).onErrorResume(this::unexpected));
    }

    /**
     * With {@code simulator.refuse-chunked-requests}, a body sent chunked (no length) is refused before anything else
     * looks at the request, as gateways and serverless front ends in front of model providers may do.
     */
    private Mono<ServerResponse> refuseChunked(ServerRequest request, HandlerFunction<ServerResponse> next) {
        boolean chunked = request.headers().header(HttpHeaders.TRANSFER_ENCODING).stream()
                .anyMatch(value -> value.toLowerCase(java.util.Locale.ROOT).contains("chunked"));
        if (chunked && engine.properties().refuseChunkedRequests()) {
            counters.lengthRequired.increment();
            return ErrorResponses.error(HttpStatus.LENGTH_REQUIRED, "invalid_request_error",
                    "Length Required: send the request body with a Content-Length, not chunked", false);
        }
        return next.handle(request);
    }

    /**
     * The account's door: a valid key, then the outage in force, then the account's rate limit, which counts every
     * authenticated request to this origin whatever it asks for (the key names the account).
     */
    private Mono<ServerResponse> authenticateAndLimit(ServerRequest request, HandlerFunction<ServerResponse> next) {
        if (!engine.authorized(request.headers().firstHeader(HttpHeaders.AUTHORIZATION))) {
            counters.unauthorized.increment();
            return ErrorResponses.unauthorized();
        }
        counters.accountRequests.increment();
        Instant now = Instant.now();
        if (request.method() == org.springframework.http.HttpMethod.POST) {
            engine.noteSubmitArrival(now);
        }
        Optional<SimulatorOutage> outage = engine.outageFor(now);
        if (outage.isPresent()) {
            return sick(outage.get(), request, next);
        }
        Optional<Duration> wait = engine.acquireRateLimit();
        if (wait.isPresent()) {
            counters.rateLimited429s.increment();
            return ErrorResponses.tooManyRequests(wait.get(), "rate limit exceeded for this API key");
        }
        return next.handle(request);
    }

    private Mono<ServerResponse> sick(SimulatorOutage outage, ServerRequest request,
                                      HandlerFunction<ServerResponse> next) {
        Mono<ServerResponse> answer;
        if (outage.status() > 0) {
            counters.outageAnswers.increment();
            HttpStatus status = HttpStatus.valueOf(outage.status());
            answer = outage.status() == 429 && outage.retryAfter() != null
                    ? ErrorResponses.tooManyRequests(outage.retryAfter(), "the provider is overloaded, retry later")
                    : retryAfter(ErrorResponses.error(status, status == HttpStatus.TOO_MANY_REQUESTS
                            ? "rate_limit_error" : "upstream_error", "the provider is unavailable", true),
                            outage.retryAfter());
        } else if (outage.reset()) {
            counters.connectionResets.increment();
            answer = next.handle(request).flatMap(SimulatorRoutes::brokenOff);
        } else {
            answer = next.handle(request);
        }
        return outage.delay().isZero() ? answer : Mono.delay(outage.delay()).then(answer);
    }

    private static Mono<ServerResponse> retryAfter(Mono<ServerResponse> response, Duration retryAfter) {
        if (retryAfter == null) {
            return response;
        }
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        return response.flatMap(r -> ServerResponse.status(r.statusCode())
                .headers(h -> h.addAll(r.headers()))
                .header(HttpHeaders.RETRY_AFTER, Long.toString(seconds))
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(java.util.Map.of("error", java.util.Map.of("code", r.statusCode().value(),
                        "type", "upstream_error", "message", "the provider is unavailable"))));
    }

    /**
     * Sends the status line, headers and a first part of a body, then breaks the connection: the caller cannot know
     * whether its request took effect.
     */
    private static Mono<ServerResponse> brokenOff(ServerResponse original) {
        return ServerResponse.status(original.statusCode())
                .contentType(MediaType.APPLICATION_JSON)
                .body((outputMessage, context) -> outputMessage.writeAndFlushWith(reactor.core.publisher.Flux.just(
                        reactor.core.publisher.Flux.just(outputMessage.bufferFactory().wrap(
                                "{\"id\":\"img_".getBytes(java.nio.charset.StandardCharsets.UTF_8))),
                        reactor.core.publisher.Flux.<org.springframework.core.io.buffer.DataBuffer>error(
                                new java.io.IOException("simulated connection reset")).delaySubscription(
                                Duration.ofMillis(20)))));
    }

    private Mono<ServerResponse> submit(ServerRequest request) {
        if (!"true".equalsIgnoreCase(request.queryParam("async").orElse(""))) {
            // the real sync path runs into the edge timeout for a 30-180 s job; we refuse it instead of hanging
            return rejected("only the async API is simulated: use POST /v1/images/edits?async=true");
        }
        boolean multipart = request.headers().contentType()
                .map(MediaType.MULTIPART_FORM_DATA::isCompatibleWith).orElse(false);
        if (!multipart) {
            return rejected("Content-Type must be multipart/form-data");
        }
        return request.multipartData()
                .flatMap(SubmitForm::read)
                .flatMap(form -> decide(request, form))
                .onErrorResume(e -> e instanceof CodecException || e instanceof ServerWebInputException,
                        e -> rejected("malformed multipart body: " + e.getMessage()));
    }

    /** Text-to-image, JSON as on TheRouter's model page; the result is a rendered picture like an edit's. */
    private Mono<ServerResponse> generate(ServerRequest request) {
        if (!"true".equalsIgnoreCase(request.queryParam("async").orElse(""))) {
            return rejected("only the async API is simulated: use POST /v1/images/generations?async=true");
        }
        return request.bodyToMono(GENERATION_BODY)
                .defaultIfEmpty(Map.of())
                .flatMap(body -> {
                    String model = String.valueOf(body.getOrDefault("model", "")).strip();
                    String prompt = String.valueOf(body.getOrDefault("prompt", "")).strip();
                    if (model.isEmpty() || prompt.isEmpty()) {
                        return rejected("model and prompt are required");
                    }
                    Set<PromptTrigger> triggers = PromptTrigger.in(prompt);
                    if (triggers.contains(PromptTrigger.REJECT)) {
                        return rejected("prompt rejected by the provider's content policy");
                    }
                    return accepted(request, engine.accept(model, prompt, new byte[0], triggers));
                })
                .onErrorResume(e -> e instanceof CodecException || e instanceof ServerWebInputException,
                        e -> rejected("malformed JSON body: " + e.getMessage()));
    }

    private Mono<ServerResponse> decide(ServerRequest request, SubmitForm form) {
        Optional<String> problem = form.problem();
        if (problem.isPresent()) {
            return rejected(problem.get());
        }
        Set<PromptTrigger> triggers = PromptTrigger.in(form.prompt());
        if (triggers.contains(PromptTrigger.REJECT)) {
            return rejected("prompt rejected by the provider's content policy");
        }
        if (triggers.contains(PromptTrigger.RESET)) {
            SimJob job = engine.accept(form.model(), form.prompt(), form.image(), triggers);
            counters.connectionResets.increment();
            return accepted(request, job).flatMap(SimulatorRoutes::brokenOff);
        }
        switch (engine.drawSubmitFault(triggers)) {
            case TOO_MANY_REQUESTS -> {
                counters.submit429s.increment();
                return ErrorResponses.tooManyRequests(Duration.ofSeconds(1), "the provider is overloaded, retry later");
            }
            case BAD_GATEWAY -> {
                counters.submit5xxs.increment();
                return ErrorResponses.error(HttpStatus.BAD_GATEWAY, "upstream_error",
                        "the provider did not answer", true);
            }
            case TIMEOUT -> {
                SimJob job = engine.accept(form.model(), form.prompt(), form.image(), triggers);
                counters.submitTimeouts.increment();
                return Mono.delay(engine.submitTimeoutDelay()).then(accepted(request, job));
            }
            default -> {
                return accepted(request, engine.accept(form.model(), form.prompt(), form.image(), triggers));
            }
        }
    }

    private Mono<ServerResponse> accepted(ServerRequest request, SimJob job) {
        // the 202 describes the job as just created, even when held back by a simulated timeout
        return ServerResponse.status(HttpStatus.ACCEPTED)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(JobJson.render(job, job.createdAt(), base(request),
                        engine.resultUrl(base(request), job.id()), engine.isoTimestamps()));
    }

    private Mono<ServerResponse> poll(ServerRequest request) {
        counters.polls.increment();
        String id = request.pathVariable("id");
        engine.notePollArrival(id, Instant.now());
        return engine.job(id)
                .map(job -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(JobJson.render(job, Instant.now(), base(request),
                                engine.resultUrl(base(request), id), engine.isoTimestamps())))
                .orElseGet(() -> ErrorResponses.notFound("job " + id + " not found"));
    }

    private Mono<ServerResponse> content(ServerRequest request) {
        counters.contentCalls.increment();
        String id = request.pathVariable("id");
        Optional<SimJob> job = engine.job(id);
        if (job.isEmpty()) {
            return ErrorResponses.notFound("job " + id + " not found");
        }
        Instant now = Instant.now();
        if (!job.get().succeededAt(now)) {
            return ErrorResponses.error(HttpStatus.CONFLICT, "invalid_request_error",
                    "job " + id + " is " + job.get().statusAt(now) + "; content exists only once it succeeded", false);
        }
        return ServerResponse.status(HttpStatus.FOUND)
                .location(URI.create(engine.fileUrl(base(request), id)))
                .build();
    }

    private Mono<ServerResponse> file(ServerRequest request) {
        counters.fileDownloads.increment();
        String id = request.pathVariable("id");
        return engine.job(id)
                .filter(job -> job.succeededAt(Instant.now()))
                .map(this::result)
                .orElseGet(() -> ErrorResponses.notFound("no such file"));
    }

    /** The rendered picture, or what a prompt trigger asked for instead: a 200 that is not an image we can store. */
    private Mono<ServerResponse> result(SimJob job) {
        Set<PromptTrigger> triggers = PromptTrigger.in(job.prompt());
        if (triggers.contains(PromptTrigger.SVG_RESULT)) {
            return ServerResponse.ok().contentType(MediaType.valueOf("image/svg+xml")).bodyValue("""
                    <svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">\
                    <rect width="256" height="256" fill="#ff00aa"/></svg>
                    """);
        }
        if (triggers.contains(PromptTrigger.HTML_RESULT)) {
            return ServerResponse.ok().contentType(MediaType.TEXT_HTML).bodyValue("""
                    <!doctype html><html><head><title>Sign in</title></head>
                    <body><form method="post" action="/login">Sign in to continue</form></body></html>
                    """);
        }
        if (triggers.contains(PromptTrigger.EMPTY_RESULT)) {
            return ServerResponse.ok().contentType(MediaType.IMAGE_PNG).build();
        }
        return engine.result(job).flatMap(png -> ServerResponse.ok().contentType(MediaType.IMAGE_PNG).bodyValue(png));
    }

    private Mono<ServerResponse> rejected(String message) {
        counters.submitsRejected.increment();
        return ErrorResponses.badRequest(message);
    }

    private Mono<ServerResponse> unexpected(Throwable e) {
        if (e instanceof ResponseStatusException status && status.getStatusCode().is4xxClientError()) {
            return ErrorResponses.error(HttpStatus.valueOf(status.getStatusCode().value()), "invalid_request_error",
                    String.valueOf(status.getReason()), false);
        }
        log.warn("simulator failed to handle a request", e);
        return ErrorResponses.error(HttpStatus.INTERNAL_SERVER_ERROR, "server_error",
                "internal error in the simulator", true);
    }

    /** Links are built from the address the caller used, as a real host-fronted API would. */
    private static URI base(ServerRequest request) {
        URI uri = request.uri();
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }
}
