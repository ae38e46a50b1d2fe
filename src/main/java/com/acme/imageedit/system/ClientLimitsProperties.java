package com.acme.imageedit.system;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
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
 * @param maxBodiesInFlight  request body bytes this replica holds at once, over all requests (see
 *                           {@link BodiesInFlight}); a body that would take it past this is refused 503 with
 *                           {@code Retry-After} before it is read. Empty: {@code bodiesInFlightHeapShare} of the
 *                           maximum heap. Must be at least {@code maxRequestSize}, or the largest requests could never
 *                           be served
 * @param bodiesInFlightHeapShare the share of the maximum heap ({@code -Xmx}) that bounds bodies in flight when
 *                           {@code maxBodiesInFlight} is empty: between 0 and 1. A JSON submit holds its body and its
 *                           decoded image (1.75 times the body) while it is read, so 0.25 keeps them under half the
 *                           heap
 */
@ConfigurationProperties("limits")
record ClientLimitsProperties(@DefaultValue("2m") Duration requestTimeout,
                              @DefaultValue("30s") Duration readTimeout,
                              @DefaultValue("16MB") DataSize maxRequestSize,
                              @Nullable DataSize maxBodiesInFlight,
                              @DefaultValue("0.25") double bodiesInFlightHeapShare) {

    ClientLimitsProperties {
        for (Duration d : new Duration[]{requestTimeout, readTimeout}) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("limits.* timeouts must not be negative (zero turns one off)");
            }
        }
        if (maxRequestSize.toBytes() <= 0) {
            throw new IllegalArgumentException("limits.max-request-size must be positive");
        }
        if (!(bodiesInFlightHeapShare > 0 && bodiesInFlightHeapShare <= 1)) {
            throw new IllegalArgumentException("limits.bodies-in-flight-heap-share must be above 0 and at most 1, not "
                    + bodiesInFlightHeapShare);
        }
        if (maxBodiesInFlight != null && maxBodiesInFlight.toBytes() < maxRequestSize.toBytes()) {
            throw new IllegalArgumentException("limits.max-bodies-in-flight (" + maxBodiesInFlight.toBytes()
                    + " bytes) must be at least limits.max-request-size (" + maxRequestSize.toBytes() + " bytes): "
                    + "the largest requests could never be served");
        }
    }

    /**
     * The bound on request body bytes in flight: {@code maxBodiesInFlight}, or the heap share of {@code maxHeap},
     * but never under {@code maxRequestSize}.
     */
    long bodiesInFlight(long maxHeap) {
        if (maxBodiesInFlight != null) {
            return maxBodiesInFlight.toBytes();
        }
        return Math.max(maxRequestSize.toBytes(), (long) (maxHeap * bodiesInFlightHeapShare));
    }
}
