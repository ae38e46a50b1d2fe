package com.acme.imageedit.system;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

/**
 * Puts {@link ClientLimitsProperties} on the Netty server: a deadline for request heads (ours, see
 * {@link RequestHeadDeadline}), and Reactor Netty's request and read timeouts for bodies. The body size limit is
 * {@link RequestSizeLimit}'s.
 */
@Component
class ClientLimits implements NettyServerCustomizer {

    private static final Logger log = LoggerFactory.getLogger(ClientLimits.class);

    private final ClientLimitsProperties limits;
    private final Counter headTimeouts;

    ClientLimits(ClientLimitsProperties limits, MeterRegistry registry) {
        this.limits = limits;
        this.headTimeouts = Counter.builder("imageedit.client.cutoffs")
                .description("Requests cut off by a client limit (limits.*)")
                .tag("limit", "request_head_timeout").register(registry);
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
        if (limits.requestHeadTimeout().isZero()) {
            return configured;
        }
        return configured.doOnChannelInit((observer, channel, address) -> {
            if (channel.pipeline().get(NettyPipeline.HttpCodec) == null) {
                log.debug("No HTTP/1.1 codec on {}; no request head deadline", channel);
                return;
            }
            RequestHeadDeadline deadline = new RequestHeadDeadline(limits.requestHeadTimeout(), headTimeouts);
            channel.pipeline().addBefore(NettyPipeline.HttpCodec, "imageedit.headDeadline.bytes", deadline.bytes());
            channel.pipeline().addAfter(NettyPipeline.HttpCodec, "imageedit.headDeadline.requests",
                    deadline.requests());
        });
    }
}
