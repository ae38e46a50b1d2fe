package com.acme.imageedit.system;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Wrapped;
import org.reactivestreams.Publisher;
import org.springframework.boot.r2dbc.ConnectionFactoryDecorator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Creates the pool's PostgreSQL connections apart from the request that asked for them. Reactor Netty keeps, for the
 * life of a connection, the subscriber that created it (to report its errors), and r2dbc-pool creates a connection
 * for the borrower that found none idle: each connection the pool added under load kept that borrower's whole chain
 * alive, up to the HTTP request, with whatever it held. For a submit, that is its image: a heap dump after twelve
 * 10 MB submits showed three images held this way, one per connection the burst had added, for as long as those
 * connections live (bench/upload-memory.sh, docs/performance.md). Here the creation is completed into a future and the
 * pool is handed that future's result, so the connection keeps only the future, which keeps only the connection.
 * Connections are otherwise the driver's own, unwrapped ({@code getNotifications} and the rest work as before).
 */
@Component
class DetachedConnectionCreation implements ConnectionFactoryDecorator {

    @Override
    public ConnectionFactory decorate(ConnectionFactory delegate) {
        return new Detached(delegate);
    }

    private record Detached(ConnectionFactory delegate) implements ConnectionFactory, Wrapped<ConnectionFactory> {

        @Override
        public Publisher<? extends Connection> create() {
            // toFuture subscribes at once: deferred, so each subscriber of create() gets a connection of its own;
            // cancelling the result cancels the future, which cancels the creation
            return Mono.defer(() -> Mono.fromFuture(Mono.<Connection>from(delegate.create()).toFuture()));
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return delegate.getMetadata();
        }

        @Override
        public ConnectionFactory unwrap() {
            return delegate;
        }
    }
}
