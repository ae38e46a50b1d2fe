package com.acme.imageedit.upstream;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserters;
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
    private final int maxJsonBytes;

    TheRouterClient(WebClient webClient, UpstreamAddress address, TheRouterProperties properties, ObjectMapper mapper,
            Clock clock) {
        this.webClient = webClient;
        this.address = address;
        this.properties = properties;
        this.json = new UpstreamJson(mapper);
        this.responses = new UpstreamResponses(json, clock);
        this.downloader = new ResultDownloader(webClient, properties, responses);
        this.maxJsonBytes = jsonBodyLimit(properties);
    }

    /** Starts a job: {@code POST /v1/images/edits?async=true}. Emits the job as accepted (normally "queued"). */
    public Mono<UpstreamJob> submit(UpstreamSubmission submission) {
        if (submission == null || submission.model() == null || submission.prompt() == null
                || submission.image() == null) {
            return Mono.error(new IllegalArgumentException("submission needs model, prompt and image"));
        }
        return Mono.defer(() -> {
            URI uri = UpstreamUris.build(UpstreamUris.endpoint(address.baseUrl(), "v1", "images", "edits")
                    .queryParam("async", "true"));
            String target = "POST " + uri.getRawPath();
            return webClient.post()
                    .uri(uri)
                    .headers(h -> jsonCallHeaders(h, uri))
                    .contentType(MediaType.MULTIPART_FORM_DATA)
                    .body(BodyInserters.fromMultipartData(multipart(submission)))
                    .exchangeToMono(r -> readJob(r, UpstreamCall.SUBMIT, target, SUBMITTED_STATUS))
                    .onErrorMap(e -> !(e instanceof UpstreamException),
                            e -> UpstreamFailures.forTransport(UpstreamCall.SUBMIT, target, e));
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
            URI uri = UpstreamUris.build(UpstreamUris.endpoint(address.baseUrl(), "v1", "images", "generations")
                    .queryParam("async", "true"));
            String target = "POST " + uri.getRawPath();
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
            return webClient.post()
                    .uri(uri)
                    .headers(h -> jsonCallHeaders(h, uri))
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(body)
                    .exchangeToMono(r -> readJob(r, UpstreamCall.SUBMIT, target, SUBMITTED_STATUS))
                    .onErrorMap(e -> !(e instanceof UpstreamException),
                            e -> UpstreamFailures.forTransport(UpstreamCall.SUBMIT, target, e));
        });
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
                    .headers(h -> jsonCallHeaders(h, uri))
                    .exchangeToMono(r -> readJob(r, UpstreamCall.POLL, target, null))
                    .onErrorMap(e -> !(e instanceof UpstreamException),
                            e -> UpstreamFailures.forTransport(UpstreamCall.POLL, target, e));
        });
    }

    /**
     * Fetches a succeeded job's image: the inline base64 if present, else each result URL in turn, else
     * {@code /v1/jobs/{id}/content}. Fails with the last candidate's error when none works.
     */
    public Mono<UpstreamImage> downloadResult(UpstreamJob job) {
        if (job == null) {
            return Mono.error(new IllegalArgumentException("job is null"));
        }
        return Mono.defer(() -> downloader.download(job, address.baseUrl()));
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
                if (call == UpstreamCall.SUBMIT) {
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

    static void authorize(HttpHeaders headers, URI target, URI base, TheRouterProperties properties) {
        if (properties.hasApiKey() && UpstreamUris.sameOrigin(target, base)) {
            headers.setBearerAuth(properties.apiKey().strip());
        }
    }

    private static MultipartBodyBuilder.PartBuilder multipartImage(MultipartBodyBuilder builder, UpstreamSubmission s) {
        String contentType = s.imageContentType() != null && !s.imageContentType().isBlank()
                ? s.imageContentType()
                : ImageTypes.detect(s.image(), "image/png");
        String filename = ImageTypes.uploadFilename(contentType);
        ByteArrayResource resource = new ByteArrayResource(s.image()) {
            @Override
            public String getFilename() {
                return filename;
            }
        };
        return builder.part("image", resource).filename(filename).contentType(MediaType.parseMediaType(contentType));
    }

    private static MultiValueMap<String, HttpEntity<?>> multipart(UpstreamSubmission s) {
        MultipartBodyBuilder builder = new MultipartBodyBuilder();
        builder.part("model", s.model());
        builder.part("prompt", s.prompt());
        multipartImage(builder, s);
        if (s.size() != null) {
            builder.part("size", s.size());
        }
        if (s.seed() != null) {
            builder.part("seed", Long.toString(s.seed()));
        }
        if (s.cfg() != null) {
            // Plain notation: Double.toString would send 1.0E-4 or 4.0 where a form field expects 0.0001 or 4.
            builder.part("cfg", BigDecimal.valueOf(s.cfg()).stripTrailingZeros().toPlainString());
        }
        if (s.numInferenceSteps() != null) {
            builder.part("num_inference_steps", Integer.toString(s.numInferenceSteps()));
        }
        return builder.build();
    }

    /** A poll answer may inline the image as base64 (4/3 of its size) next to other fields. */
    static int jsonBodyLimit(TheRouterProperties properties) {
        long limit = properties.maxResultSize().toBytes() / 3 * 4 + 1024 * 1024;
        return (int) Math.min(Integer.MAX_VALUE - 8, limit);
    }
}
