package com.acme.imageedit.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.transaction.CannotCreateTransactionException;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/**
 * Found by the PostgreSQL-restart reliability run (docs/reliability.md): a submit that began its transaction on a pooled
 * connection whose server had just shut down failed with {@code CannotCreateTransactionException} caused by a netty
 * {@code NativeIoException} ("sendAddress(..) failed with error(-32): Broken pipe") and was answered 500. The same
 * exception chain, rendered by the service's exception handler, must be the 503 {@code database_unavailable} problem.
 */
class DatabaseFailureRenderingTest {

    @BeforeAll
    static void loadNettysNativeTransport() {
        // the exception type is netty's native one, as in the run (reactor-netty uses epoll on Linux)
        Epoll.ensureAvailability();
    }

    private final ProblemRendering rendering = new ProblemRendering(JsonMapper.builder().build());

    @Test
    void aTransactionThatCouldNotBeginOnABrokenConnectionIs503() {
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/v1/images/edits"));
        CannotCreateTransactionException failure = new CannotCreateTransactionException(
                "Could not open R2DBC Connection for transaction", Errors.newIOException("sendAddress(..)", -32));

        StepVerifier.create(rendering.handle(exchange, failure)).verifyComplete();

        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(exchange.getResponse().getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(exchange.getResponse().getHeaders().getFirst("Retry-After")).isEqualTo("2");
        assertThat(exchange.getResponse().getBodyAsString().block()).contains("database_unavailable");
    }

    @Test
    void anIoFailureOutsideTheDatabaseIsStillAnInternalError() {
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/v1/images/edits"));

        StepVerifier.create(rendering.handle(exchange, new IllegalStateException("bug",
                Errors.newIOException("sendAddress(..)", -32)))).verifyComplete();

        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
    }
}
