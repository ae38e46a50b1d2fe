package com.acme.imageedit.system;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Wrapped;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A connection's creator keeps, like Reactor Netty's, the sink it completed for as long as the connection lives: the
 * subscriber that asked for the connection, and what that subscriber's chain holds (here a 10 MB array, a request's
 * image), must still become garbage once it has its connection.
 */
class DetachedConnectionCreationTest {

    /** A driver whose connections keep the sink that created them, as Reactor Netty's NewConnectionObserver does. */
    private static final class RetainingDriver implements ConnectionFactory {

        final List<MonoSink<Connection>> kept = new ArrayList<>();

        @Override
        public Publisher<? extends Connection> create() {
            return Mono.create(sink -> {
                kept.add(sink);
                sink.success(Mockito.mock(Connection.class));
            });
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return () -> "retaining";
        }
    }

    @Test
    void aCreatedConnectionDoesNotKeepTheChainThatAskedForIt() {
        RetainingDriver driver = new RetainingDriver();
        ConnectionFactory detached = new DetachedConnectionCreation().decorate(driver);

        WeakReference<byte[]> image = borrowHolding(detached);

        assertThat(driver.kept).hasSize(1);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            System.gc();
            return image.get() == null;
        });
    }

    @Test
    void withoutItTheChainIsKept() {
        RetainingDriver driver = new RetainingDriver();

        WeakReference<byte[]> image = borrowHolding(driver);

        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        assertThat(image.get()).as("the image, kept through the sink the driver holds").isNotNull();
        assertThat(driver.kept).hasSize(1);
    }

    @Test
    void itUnwrapsToTheDriversFactoryAndCreatesOneConnectionPerSubscriber() {
        RetainingDriver driver = new RetainingDriver();
        ConnectionFactory detached = new DetachedConnectionCreation().decorate(driver);
        Mono<Connection> create = Mono.from(detached.create());

        assertThat(create.block()).isNotSameAs(create.block());
        assertThat(driver.kept).hasSize(2);
        assertThat(((Wrapped<?>) detached).unwrap()).isSameAs(driver);
        assertThat(detached.getMetadata().getName()).isEqualTo("retaining");
    }

    /** Borrows a connection in a chain whose last step captured a 10 MB array, as a submit's chain holds its image. */
    private static WeakReference<byte[]> borrowHolding(ConnectionFactory factory) {
        byte[] bytes = new byte[10 * 1024 * 1024];
        WeakReference<byte[]> image = new WeakReference<>(bytes);
        Integer length = Mono.from(factory.create()).map(connection -> bytes.length).block();
        assertThat(length).isEqualTo(bytes.length);
        return image;
    }
}
