package com.acme.imageedit.webhooks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * POSTs one webhook to the address the guard checked, never to a fresh DNS answer: the connection goes to
 * {@link WebhookTarget#address()} while {@code Host} (and, for https, SNI and certificate checks) use the URL's host
 * name. Redirects are not followed (a 3xx is a failed attempt). The response body is read and dropped.
 */
@Component
class WebhookHttp implements DisposableBean {

    private final ConnectionProvider connections = ConnectionProvider.builder("webhooks")
            .maxConnections(500)
            .pendingAcquireMaxCount(-1)
            .maxIdleTime(Duration.ofSeconds(20))
            .evictInBackground(Duration.ofSeconds(30))
            .build();
    private final HttpClient client;
    private final Duration timeout;
    private final Tracer tracer;
    private final Propagator propagator;

    WebhookHttp(WebhooksProperties properties, ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
        this.timeout = properties.timeout();
        this.tracer = tracer.getIfAvailable();
        this.propagator = propagator.getIfAvailable();
        this.client = HttpClient.create(connections)
                .followRedirect(false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) properties.connectTimeout().toMillis())
                .responseTimeout(properties.timeout());
    }

    /** The status and {@code Retry-After} of the answer; errors on connection failure or after the timeout. */
    Mono<Answer> post(WebhookTarget target, Map<String, String> headers, String body) {
        InetSocketAddress pinned;
        try {
            // An InetAddress with both a name and an address: nothing resolves it again, and TLS sees the name.
            pinned = new InetSocketAddress(InetAddress.getByAddress(target.host(), target.address().getAddress()),
                    target.port());
        } catch (UnknownHostException e) {
            return Mono.error(e);
        }
        String path = target.uri().getRawPath() == null || target.uri().getRawPath().isEmpty() ? "/"
                : target.uri().getRawPath();
        String pathAndQuery = target.uri().getRawQuery() == null ? path : path + "?" + target.uri().getRawQuery();
        boolean defaultPort = target.port() == (target.secure() ? 443 : 80);
        String hostHeader = (target.host().contains(":") ? "[" + target.host() + "]" : target.host())
                + (defaultPort ? "" : ":" + target.port());
        HttpClient configured = client.remoteAddress(() -> pinned);
        if (target.secure()) {
            configured = configured.secure();
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        // Each attempt is a span of its own, and its W3C trace context goes to the receiver (traceparent), so that a
        // team can follow a delivery into its own traces.
        Span span = tracer == null ? null : tracer.nextSpan().name("webhook delivery").start();
        Map<String, String> traceHeaders = new LinkedHashMap<>();
        if (span != null && propagator != null) {
            propagator.inject(span.context(), traceHeaders, Map::put);
        }
        return configured
                .headers(h -> {
                    headers.forEach(h::set);
                    traceHeaders.forEach(h::set);
                    h.set("Host", hostHeader);
                    h.set("Content-Type", "application/json");
                    h.set("Content-Length", String.valueOf(bytes.length));
                    h.set("User-Agent", "image-edit-proxy-webhooks/1");
                })
                .post()
                .uri(pathAndQuery)
                .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(bytes)))
                .response((response, content) -> content.then(Mono.just(new Answer(response.status().code(),
                        response.responseHeaders().get("Retry-After")))))
                .next()
                .timeout(timeout)
                .doOnError(e -> {
                    if (span != null) {
                        span.error(e);
                    }
                })
                .doFinally(signal -> {
                    if (span != null) {
                        span.end();
                    }
                });
    }

    @Override
    public void destroy() {
        connections.dispose();
    }

    record Answer(int status, String retryAfter) {
    }
}
