package com.acme.imageedit.system;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The one limit on request bodies for every endpoint ({@code limits.max-request-size}): a declared
 * {@code Content-Length} over it is answered 413 at once, without reading the body, and the connection is closed so
 * that the rest is never read. A chunked body is counted as it streams and cut off with 413 once it grows past it by
 * {@link BodiesInFlight}, which sees multipart bodies too. Readers further in (multipart parts, the JSON submit) have
 * tighter limits of their own.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class RequestSizeLimit implements WebFilter {

    private final long maxBytes;
    private final ProblemRendering problems;
    private final Counter cutOff;

    RequestSizeLimit(ClientLimitsProperties limits, ProblemRendering problems, MeterRegistry registry) {
        this.maxBytes = limits.maxRequestSize().toBytes();
        this.problems = problems;
        this.cutOff = Counter.builder("imageedit.client.cutoffs")
                .description("Requests cut off by a client limit (limits.*)")
                .tag("limit", "max_request_size").register(registry);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long declared = exchange.getRequest().getHeaders().getContentLength();
        if (declared > maxBytes) {
            cutOff.increment();
            return problems.write(exchange, new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "request_too_large",
                    "body", "The request body is " + declared + " bytes; the limit is " + maxBytes + " bytes")
                    .withHeader(HttpHeaders.CONNECTION, "close"));
        }
        return chain.filter(exchange);
    }
}
