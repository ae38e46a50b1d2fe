package com.acme.imageedit.upstream;

import java.time.Duration;

import org.springframework.beans.factory.DisposableBean;
import reactor.netty.resources.ConnectionProvider;

/**
 * TheRouter's own connection pool. Idle connections are dropped well before a typical 60 s server/load-balancer
 * keep-alive, because a reset on a stale pooled connection after the body went out makes a submit "outcome unknown".
 * Wrapped in a package-private type so that no other bean can be confused with it.
 */
final class TheRouterConnections implements DisposableBean {

    static final Duration MAX_IDLE = Duration.ofSeconds(20);

    private final ConnectionProvider provider = ConnectionProvider.builder("therouter")
            .maxConnections(100)
            .maxIdleTime(MAX_IDLE)
            .evictInBackground(Duration.ofSeconds(30))
            .build();

    ConnectionProvider provider() {
        return provider;
    }

    @Override
    public void destroy() {
        provider.dispose();
    }
}
