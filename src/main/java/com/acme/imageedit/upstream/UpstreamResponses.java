package com.acme.imageedit.upstream;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Mono;

/** Reads a non-2xx answer into a typed failure; shared by the JSON calls and the image downloads. */
final class UpstreamResponses {

    static final String REQUEST_ID = "x-request-id";

    private final UpstreamJson json;
    private final Clock clock;

    UpstreamResponses(UpstreamJson json, Clock clock) {
        this.json = json;
        this.clock = clock;
    }

    Mono<UpstreamException> failure(ClientResponse response, UpstreamCall call, String target) {
        int status = response.statusCode().value();
        String reason = reason(status);
        String requestId = requestId(response);
        Duration retryAfter = RetryAfter.parse(response.headers().asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER), clock);
        return Bodies.readPrefix(response, Bodies.ERROR_BODY_LIMIT)
                // The status already decides what to do; a body lost mid-read must not turn it into a transport error.
                .onErrorResume(e -> Mono.just(new byte[0]))
                .map(body -> {
                    UpstreamError error = json.parseError(body, reason.isEmpty() ? "HTTP " + status : reason);
                    return UpstreamFailures.forStatus(call, target, status, reason, requestId, error, retryAfter);
                });
    }

    static String requestId(ClientResponse response) {
        List<String> values = response.headers().header(REQUEST_ID);
        return values.isEmpty() ? null : values.get(0);
    }

    static String reason(int status) {
        HttpStatus known = HttpStatus.resolve(status);
        return known == null ? "" : known.getReasonPhrase();
    }
}
