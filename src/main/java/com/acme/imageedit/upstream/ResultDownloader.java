package com.acme.imageedit.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClientRequest;

/**
 * Fetches a result image from whichever candidate works. Redirects are followed by hand so that each hop is judged on
 * its own by {@link UpstreamUris#isTheRoutersOrigin}: a hop to TheRouter's origin carries the key and takes a permit of
 * the shared budget (it is an API call of the account there), a hop elsewhere neither.
 */
final class ResultDownloader {

    private static final Logger log = LoggerFactory.getLogger(ResultDownloader.class);

    static final int MAX_REDIRECTS = 3;
    static final String TOO_LARGE = "result_too_large";
    static final String NOT_AN_IMAGE = "result_not_an_image";

    private static final String IMAGE_ACCEPT = "image/*, application/octet-stream;q=0.9, */*;q=0.5";

    private final WebClient webClient;
    private final TheRouterProperties properties;
    private final UpstreamResponses responses;
    private final Duration timeout;
    private final int maxBytes;

    ResultDownloader(WebClient webClient, TheRouterProperties properties, UpstreamResponses responses) {
        this.webClient = webClient;
        this.properties = properties;
        this.responses = responses;
        this.timeout = properties.downloadTimeout();
        this.maxBytes = (int) Math.min(Integer.MAX_VALUE - 8, properties.maxResultSize().toBytes());
    }

    Mono<UpstreamImage> download(UpstreamJob job, URI base, OriginGate gate) {
        if (job.resultBase64() != null && !job.resultBase64().isBlank()) {
            UpstreamImage inline = decodeInline(job);
            if (inline != null) {
                return inline.bytes().length > maxBytes ? Mono.error(tooLarge("inline result of job " + job.id(), 200))
                        : Mono.just(inline);
            }
        }
        List<URI> candidates = candidates(job, base);
        if (candidates.isEmpty()) {
            return Mono.error(new UpstreamException.Retryable("download: job has neither a result nor an id", 0,
                    null, null, null));
        }
        return tryFrom(candidates, 0, base, gate, null);
    }

    /**
     * Each candidate in turn until one gives the image. A typed failure moves on to the next candidate; a request the
     * gate held back (never sent) ends the download at once, with the gate's error, so that the caller tries later.
     */
    private Mono<UpstreamImage> tryFrom(List<URI> candidates, int index, URI base, OriginGate gate,
            UpstreamException last) {
        if (index >= candidates.size()) {
            return Mono.error(last);
        }
        return fetch(candidates.get(index), base, gate, 0)
                .onErrorResume(UpstreamException.class, e -> {
                    if (isTooLarge(e)) {
                        // Every candidate is the same image: a second copy will not be smaller.
                        return Mono.error(e);
                    }
                    log.debug("Result candidate {} of {} failed: {}", index + 1, candidates.size(), e.getMessage());
                    return tryFrom(candidates, index + 1, base, gate, e);
                });
    }

    /**
     * One request, and the redirects it leads to, each judged on its own: only https (or http while the base URL is
     * http), to an address the {@link AddressGuard} allows; a request to TheRouter's origin carries the key and passes
     * the gate (the shared budget, the breaker), one to another host neither. Each request has the whole download
     * timeout; a wait at the gate is not part of it.
     */
    private Mono<UpstreamImage> fetch(URI uri, URI base, OriginGate gate, int redirects) {
        String target = "GET " + UpstreamUris.redact(uri);
        String refusal = AddressGuard.schemeRefusal(uri, base);
        if (refusal != null) {
            return Mono.error(new UpstreamException.Rejected("download " + target + ": " + refusal, 0,
                    new UpstreamError(UpstreamFailures.ADDRESS_REFUSED, null, refusal, false)));
        }
        boolean toTheRouter = UpstreamUris.isTheRoutersOrigin(uri, base);
        Mono<Hop> request = webClient.get()
                .uri(uri)
                .attribute(UpstreamCall.ATTRIBUTE, UpstreamCall.DOWNLOAD)
                .headers(h -> {
                    h.set(HttpHeaders.ACCEPT, IMAGE_ACCEPT);
                    TheRouterClient.authorize(h, uri, base, properties);
                })
                .httpRequest(r -> {
                    // Images are bigger and slower than job JSON: the download budget replaces the response timeout.
                    if (r.getNativeRequest() instanceof HttpClientRequest nettyRequest) {
                        nettyRequest.responseTimeout(timeout);
                    }
                })
                .exchangeToMono(response -> hop(response, uri, target, redirects))
                .timeout(timeout)
                .onErrorMap(e -> UpstreamFailures.forTransport(UpstreamCall.DOWNLOAD, target, e));
        return (toTheRouter ? gate.call(UpstreamCall.DOWNLOAD, request) : request)
                .flatMap(hop -> hop.image() != null ? Mono.just(hop.image())
                        : fetch(hop.next(), base, gate, redirects + 1));
    }

    private Mono<Hop> hop(ClientResponse response, URI uri, String target, int redirects) {
        int status = response.statusCode().value();
        String requestId = UpstreamResponses.requestId(response);
        log.debug("download {} answered {}{}", target, status, UpstreamFailures.requestIdSuffix(requestId));
        if (response.statusCode().is3xxRedirection() && response.headers().asHttpHeaders().getLocation() != null) {
            if (redirects >= MAX_REDIRECTS) {
                return response.releaseBody().then(Mono.error(new UpstreamException.Retryable(
                        "download " + target + ": more than " + MAX_REDIRECTS + " redirects", status, null, null, null)));
            }
            URI next = UpstreamUris.redirect(uri, response.headers().asHttpHeaders().getLocation());
            return response.releaseBody().thenReturn(new Hop(null, next));
        }
        if (!response.statusCode().is2xxSuccessful()) {
            return responses.failure(response, UpstreamCall.DOWNLOAD, target).flatMap(Mono::error);
        }
        if (response.headers().contentLength().orElse(-1) > maxBytes) {
            return response.releaseBody().then(Mono.error(tooLarge(target, status)));
        }
        String headerType = response.headers().contentType().map(MediaType::toString).orElse(null);
        return Bodies.read(response, maxBytes)
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge(target, status))
                .flatMap(bytes -> {
                    // An image is what its bytes prove, whatever the header says: an SVG, an HTML login page, JSON
                    // or an empty body answered 200 is not a result we can store.
                    String type = ImageTypes.sniff(bytes);
                    if (type == null) {
                        String what = bytes.length + " bytes of " + (headerType == null ? "no declared type"
                                : headerType);
                        return Mono.error(new UpstreamException.Rejected("download " + target + ": HTTP " + status
                                + UpstreamFailures.requestIdSuffix(requestId) + " but no image (" + what + ")", status,
                                new UpstreamError(NOT_AN_IMAGE, null, "the result is no PNG, JPEG, WEBP or GIF ("
                                        + what + ")", false)));
                    }
                    return Mono.just(new Hop(new UpstreamImage(bytes, type), null));
                });
    }

    /**
     * The result URLs, then TheRouter's {@code /content}, each once: {@code unsigned_urls} and {@code result.data[].url}
     * often name the same link, and a link on TheRouter's origin costs a token of the shared budget per request.
     */
    private static List<URI> candidates(UpstreamJob job, URI base) {
        Set<URI> uris = new LinkedHashSet<>();
        for (String url : job.resultUrls() == null ? List.<String>of() : job.resultUrls()) {
            try {
                // Relative URLs are TheRouter's own paths; resolve() keeps absolute ones as they are.
                uris.add(base.resolve(URI.create(url)));
            } catch (IllegalArgumentException e) {
                log.debug("Job {}: skipping unusable result URL: {}", job.id(), e.getMessage());
            }
        }
        if (job.id() != null && !job.id().isBlank()) {
            uris.add(UpstreamUris.build(UpstreamUris.endpoint(base, "v1", "jobs", job.id(), "content")));
        }
        return List.copyOf(uris);
    }

    private static UpstreamImage decodeInline(UpstreamJob job) {
        String b64 = job.resultBase64().strip();
        String declaredType = null;
        // Some providers send a data URL rather than bare base64.
        if (b64.startsWith("data:") && b64.indexOf(',') > 0) {
            String meta = b64.substring(5, b64.indexOf(','));
            declaredType = meta.contains(";") ? meta.substring(0, meta.indexOf(';')) : meta;
            b64 = b64.substring(b64.indexOf(',') + 1);
        }
        try {
            // The basic decoder, not the MIME one: the MIME decoder skips junk and would turn garbage into "bytes".
            byte[] bytes = Base64.getDecoder().decode(b64.replaceAll("\\s", "").replace('-', '+').replace('_', '/'));
            String type = ImageTypes.sniff(bytes);
            if (type == null) {
                log.debug("Job {}: inline result ({} bytes, declared {}) is no image, trying URLs instead", job.id(),
                        bytes.length, declaredType);
                return null;
            }
            return new UpstreamImage(bytes, type);
        } catch (IllegalArgumentException e) {
            log.debug("Job {}: inline result is not base64, trying URLs instead", job.id());
            return null;
        }
    }

    private UpstreamException tooLarge(String what, int status) {
        return new UpstreamException.Rejected("download " + what + ": larger than " + properties.maxResultSize(), status,
                new UpstreamError(TOO_LARGE, null, "result image exceeds " + properties.maxResultSize(), false));
    }

    private static boolean isTooLarge(UpstreamException e) {
        return e instanceof UpstreamException.Rejected && e.error() != null && TOO_LARGE.equals(e.error().code());
    }

    /** One step of a download: the image, or where to go next. */
    private record Hop(UpstreamImage image, URI next) {
    }
}
