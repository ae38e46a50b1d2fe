package com.acme.imageedit.system;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;

/**
 * Puts Reactor Netty's request and read timeouts ({@link ClientLimitsProperties}) on the server, so that a request
 * body that trickles in or stalls is cut off. A request head that trickles in is bounded by
 * {@code server.netty.idle-timeout} already: Reactor Netty's idle handler sits behind the HTTP codec, so the bytes of
 * an unfinished head do not restart it. The body size limit is {@link RequestSizeLimit}'s.
 */
@Component
class ClientLimits implements NettyServerCustomizer {

    private final ClientLimitsProperties limits;

    ClientLimits(ClientLimitsProperties limits) {
        this.limits = limits;
    }

    @Override
    public HttpServer apply(HttpServer server) {
        HttpServer configured = server;
        if (!limits.requestTimeout().isZero()) {
            configured = configured.requestTimeout(limits.requestTimeout());
        }
        if (!limits.readTimeout().isZero()) {
            configured = configured.readTimeout(limits.readTimeout());
        }
        return configured;
    }
}
