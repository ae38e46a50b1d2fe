package com.acme.imageedit.simulator;

import java.util.UUID;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/** Every upstream response carries {@code x-request-id}, errors and 404s included, so it is set before routing. */
final class RequestIdFilter implements WebFilter {

    static final String HEADER = "x-request-id";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        exchange.getResponse().getHeaders().set(HEADER, "req_" + UUID.randomUUID().toString().replace("-", ""));
        return chain.filter(exchange);
    }
}
