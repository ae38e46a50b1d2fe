package com.acme.imageedit.upstream;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * TheRouter's async image-edit API: submit, poll, download. Every failure arrives as a typed {@link UpstreamException}
 * telling the caller whether to retry, give up, or treat a submit as possibly billed.
 */
public class TheRouterClient {

    private static final Logger log = LoggerFactory.getLogger(TheRouterClient.class);

    /** A submit answer with an id but no status still proves the job exists; "queued" is what a 202 means. */
    private static final String SUBMITTED_STATUS = "queued";

    private final WebClient webClient;
    private final UpstreamAddress address;
    private final TheRouterProperties properties;
    private final UpstreamJson json;
    private final UpstreamResponses responses;
    private final ResultDownloader downloader;
    private final ObjectMapper mapper;
    private final int maxJsonBytes;

    TheRouterClient(WebClient webClient, UpstreamAddress address, TheRouterProperties properties, ObjectMapper mapper,
            Clock clock) {
        this.webClient = webClient;
        this.address = address;
        this.properties = properties;
        this.json = new UpstreamJson(mapper);
        this.responses = new UpstreamResponses(json, clock);
        this.downloader = new ResultDownloader(webClient, properties, responses);
        this.mapper = mapper;
        this.maxJsonBytes = jsonBodyLimit(properties);
    }

    /** Starts a job: {@code POST /v1/images/edits?async=true}. Emits the job as accepted (normally "queued"). */
    public Mono<UpstreamJob> submit(UpstreamSubmission submission) {
        if (submission == null || submission.model() == null || submission.prompt() == null
                || submission.image() == null) {
            return Mono.error(new IllegalArgumentException("submission needs model, prompt and image"));
        }
        return Mono.defer(() -> {
            MultipartForm form = multipart(submission);
            return post(UpstreamCall.SUBMIT_EDIT, "edits", form.contentType(), form.toBytes());
        });
    }

    /**
     * Starts a text-to-image job: {@code POST /v1/images/generations?async=true} with a JSON body, as TheRouter's model
     * page shows it. The submission's image is ignored. Failures are typed as for {@link #submit}.
     */
    public Mono<UpstreamJob> submitGeneration(UpstreamSubmission submission) {
        if (submission == null || submission.model() == null || submission.prompt() == null) {
            return Mono.error(new IllegalArgumentException("submission needs model and prompt"));
        }
        return Mono.defer(() -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("model", submission.model());
            body.put("prompt", submission.prompt());
            if (submission.size() != null) {
                body.put("size", submission.size());
            }
            if (submission.seed() != null) {
                body.put("seed", submission.seed());
            }
            if (submission.cfg() != null) {
                body.put("cfg", submission.cfg());
            }
            if (submission.numInferenceSteps() != null) {
                body.put("num_inference_steps", submission.numInferenceSteps());
            }
            return post(UpstreamCall.SUBMIT_GENERATION, "generations", MediaType.APPLICATION_JSON,
                    mapper.writeValueAsBytes(body));
        });
    }

    /**
     * A submit's body is whole in memory before it leaves, so it goes out with its {@code Content-Length}, never
     * chunked: gateways in front of model providers may refuse chunked uploads (411) or mishandle them.
     */
    private Mono<UpstreamJob> post(UpstreamCall call, String endpoint, MediaType contentType, byte[] body) {
        URI uri = UpstreamUris.build(UpstreamUris.endpoint(address.baseUrl(), "v1", "images", endpoint)
                .queryParam("async", "true"));
        String target = "POST " + uri.getRawPath();
        return webClient.post()
                .uri(uri)
                .attribute(UpstreamCall.ATTRIBUTE, call)
                .headers(h -> jsonCallHeaders(h, uri))
                .contentType(contentType)
                .contentLength(body.length)
                .bodyValue(body)
                .exchangeToMono(r -> readJob(r, call, target, SUBMITTED_STATUS))
                .onErrorMap(e -> !(e instanceof UpstreamException),
                        e -> UpstreamFailures.forTransport(call, target, e));
    }

    /** Reads a job's state: {@code GET /v1/jobs/{id}}. A 404 is {@link UpstreamException.NotFound}. */
    public Mono<UpstreamJob> poll(String upstreamId) {
        if (upstreamId == null || upstreamId.isBlank()) {
            return Mono.error(new IllegalArgumentException("upstreamId is blank"));
        }
        return Mono.defer(() -> {
            URI uri = UpstreamUris.build(UpstreamUris.endpoint(address.baseUrl(), "v1", "jobs", upstreamId));
            String target = "GET " + uri.getRawPath();
            return webClient.get()
                    .uri(uri)
                    .attribute(UpstreamCall.ATTRIBUTE, UpstreamCall.POLL)
                    .headers(h -> jsonCallHeaders(h, uri))
                    .exchangeToMono(r -> readJob(r, UpstreamCall.POLL, target, null))
                    .onErrorMap(e -> !(e instanceof UpstreamException),
                            e -> UpstreamFailures.forTransport(UpstreamCall.POLL, target, e));
        });
    }

    /**
     * Fetches a succeeded job's image: the inline base64 if present, else each result URL in turn, else
     * {@code /v1/jobs/{id}/content}. Every request that goes to TheRouter's origin (redirect hops included) passes
     * {@code gate} first; requests to other hosts do not. Fails with the last candidate's typed error when none works,
     * or with the gate's error, untyped, when a request was held back.
     */
    public Mono<UpstreamImage> downloadResult(UpstreamJob job, OriginGate gate) {
        if (job == null || gate == null) {
            return Mono.error(new IllegalArgumentException("job or gate is null"));
        }
        return Mono.defer(() -> downloader.download(job, address.baseUrl(), gate));
    }

    private Mono<UpstreamJob> readJob(ClientResponse response, UpstreamCall call, String target, String defaultStatus) {
        int status = response.statusCode().value();
        String requestId = UpstreamResponses.requestId(response);
        log.debug("{} {} answered {}{}", call, target, status, UpstreamFailures.requestIdSuffix(requestId));
        if (!response.statusCode().is2xxSuccessful()) {
            return responses.failure(response, call, target).flatMap(Mono::error);
        }
        return Bodies.read(response, maxJsonBytes).map(body -> {
            try {
                return json.parseJob(body, defaultStatus);
            } catch (UpstreamJson.MalformedJob e) {
                String message = call + " " + target + ": HTTP " + status
                        + UpstreamFailures.requestIdSuffix(requestId) + " with an unusable job: " + e.getMessage();
                if (call.isSubmit()) {
                    // A 2xx means the upstream accepted something: it may be running (and billing) a job we cannot name.
                    throw new UpstreamException.OutcomeUnknown(message, e);
                }
                throw new UpstreamException.Retryable(message, status,
                        new UpstreamError(null, null, "malformed job response", null), null, e);
            }
        });
    }

    private void jsonCallHeaders(HttpHeaders headers, URI uri) {
        headers.setAccept(List.of(MediaType.APPLICATION_JSON));
        authorize(headers, uri, address.baseUrl(), properties);
    }

    /** The key goes to TheRouter's origin and nowhere else ({@link UpstreamUris#isTheRoutersOrigin}). */
    static void authorize(HttpHeaders headers, URI target, URI base, TheRouterProperties properties) {
        if (properties.hasApiKey() && UpstreamUris.isTheRoutersOrigin(target, base)) {
            headers.setBearerAuth(properties.apiKey().strip());
        }
    }

    private static MultipartForm multipart(UpstreamSubmission s) {
        MultipartForm form = new MultipartForm();
        form.field("model", s.model());
        form.field("prompt", s.prompt());
        String contentType = s.imageContentType() != null && !s.imageContentType().isBlank()
                ? s.imageContentType()
                : ImageTypes.detect(s.image(), "image/png");
        form.file("image", ImageTypes.uploadFilename(contentType), contentType, s.image());
        if (s.size() != null) {
            form.field("size", s.size());
        }
        if (s.seed() != null) {
            form.field("seed", Long.toString(s.seed()));
        }
        if (s.cfg() != null) {
            // Plain notation: Double.toString would send 1.0E-4 or 4.0 where a form field expects 0.0001 or 4.
            form.field("cfg", BigDecimal.valueOf(s.cfg()).stripTrailingZeros().toPlainString());
        }
        if (s.numInferenceSteps() != null) {
            form.field("num_inference_steps", Integer.toString(s.numInferenceSteps()));
        }
        return form;
    }

    /** A poll answer may inline the image as base64 (4/3 of its size) next to other fields. */
    static int jsonBodyLimit(TheRouterProperties properties) {
        long limit = properties.maxResultSize().toBytes() / 3 * 4 + 1024 * 1024;
        return (int) Math.min(Integer.MAX_VALUE - 8, limit);
    }
}
