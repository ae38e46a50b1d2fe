package com.acme.imageedit.system;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request's log lines carry its trace id although Reactor restores thread locals only where asked to
 * ({@code spring.reactor.context-propagation: limited}): the refusal is logged on whatever thread the answer was
 * decided on, with the trace the caller sent in {@code traceparent}.
 */
@ExtendWith(OutputCaptureExtension.class)
class RequestLogTraceTest extends IntegrationTest {

    private static final String LOGGER = ProblemRendering.class.getName();

    @AfterEach
    void quietAgain() {
        LoggingSystem.get(getClass().getClassLoader()).setLogLevel(LOGGER, null);
    }

    @Test
    void refusalIsLoggedWithTheCallersTraceId(CapturedOutput output) {
        LoggingSystem.get(getClass().getClassLoader()).setLogLevel(LOGGER, LogLevel.DEBUG);
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

        // answered after the job lookup, i.e. on a database connection's thread, not the request's
        http().get().uri("/v1/jobs/img_zzzzzzzzzzzzzzzzzzzzzzzzzz")
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .exchange()
                .expectStatus().isNotFound();

        assertThat(output.getOut().lines()
                .filter(line -> line.contains("Request GET /v1/jobs/img_zzzzzzzzzzzzzzzzzzzzzzzzzz refused")))
                .singleElement().asString().contains(traceId);
    }
}
