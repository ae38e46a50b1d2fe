package com.acme.imageedit.ui;

import java.util.Set;

import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The web page may talk to its own origin only: a Content-Security-Policy on the page itself makes the browser refuse
 * any script, style, image or request elsewhere (images of results are blob: URLs made from our own responses).
 */
@Component
class PageSecurityHeaders implements WebFilter, Ordered {

    static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
            + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";
    private static final Set<String> PAGES = Set.of("/", "/index.html");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (PAGES.contains(exchange.getRequest().getPath().value())) {
            exchange.getResponse().getHeaders().set("Content-Security-Policy", POLICY);
            exchange.getResponse().getHeaders().set("Referrer-Policy", "no-referrer");
        }
        return chain.filter(exchange);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
