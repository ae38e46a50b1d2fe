package com.acme.imageedit.system;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How long and how much a client may take to send a request body, so that slow (slowloris-style) and oversized
 * requests are cut off instead of holding a connection, memory or disk. The request head (line and headers) is bounded
 * by {@code server.netty.idle-timeout}: it must be complete that long after the connection opened or its previous
 * response was sent, however the client paces its bytes (Reactor Netty's idle handler sits behind the HTTP codec and
 * sees no partial head).
 *
 * @param requestTimeout     longest time from the end of the headers to the end of the body (Reactor Netty's
 *                           {@code requestTimeout}); zero turns it off. Must allow the largest image at the slowest
 *                           client speed you want to serve (10 MB at 1 Mbit/s takes 84 s)
 * @param readTimeout        longest silence while a request body is being read (Reactor Netty's {@code readTimeout});
 *                           zero turns it off
 * @param maxRequestSize     largest request body on any endpoint: a larger {@code Content-Length} is answered 413
 *                           before a byte of the body is read, and a chunked body is cut off once it grows past it.
 *                           Must exceed a JSON submit of the largest image (base64 is 4/3 of
 *                           {@code jobs.max-image-size}) plus 256 KB of other fields
 */
@ConfigurationProperties("limits")
record ClientLimitsProperties(@DefaultValue("2m") Duration requestTimeout,
                              @DefaultValue("30s") Duration readTimeout,
                              @DefaultValue("16MB") DataSize maxRequestSize) {

    ClientLimitsProperties {
        for (Duration d : new Duration[]{requestTimeout, readTimeout}) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("limits.* timeouts must not be negative (zero turns one off)");
            }
        }
        if (maxRequestSize.toBytes() <= 0) {
            throw new IllegalArgumentException("limits.max-request-size must be positive");
        }
    }
}
