package com.acme.imageedit.jobs;

import java.time.Duration;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.observation.DefaultServerRequestObservationConvention;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;

/**
 * {@code http.server.requests} as Spring names and tags it, plus one bounded tag, {@code wait}: {@code true} for a
 * submit that may wait for its job (OpenAI style, without {@code async=true}, or with {@code Prefer: wait=N}), which
 * takes seconds to minutes by design, {@code false} for every other request. The accept-latency panels and the SLO
 * alert read {@code wait="false"}, so a client that waits for its image cannot pass for a slow accept.
 *
 * <p>Spring Boot's own convention backs off when this bean exists; the key set is the same on every request (Prometheus
 * wants one set per meter name), the management server's included.
 */
@Component
class SubmitWaitObservationConvention extends DefaultServerRequestObservationConvention {

    private static final KeyValue WAITS = KeyValue.of("wait", "true");
    private static final KeyValue ANSWERS_AT_ONCE = KeyValue.of("wait", "false");

    SubmitWaitObservationConvention(
            @Value("${management.observations.http.server.requests.name:http.server.requests}") String name) {
        super(name);
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(ServerRequestObservationContext context) {
        return super.getLowCardinalityKeyValues(context).and(waits(context.getCarrier()) ? WAITS : ANSWERS_AT_ONCE);
    }

    /** Whether the request is a submit that waits for its job, as {@link SubmitController} decides it. */
    static boolean waits(ServerHttpRequest request) {
        if (request == null || !HttpMethod.POST.equals(request.getMethod())
                || !HttpRequestBuckets.ROUTES.contains(request.getPath().pathWithinApplication().value())) {
            return false;
        }
        boolean async = "true".equalsIgnoreCase(request.getQueryParams().getFirst("async"));
        Long requested = WaitPreference.requested(request.getHeaders().getFirst("Prefer"));
        return !WaitPreference.bound(async, requested, Duration.ofSeconds(1)).isZero();
    }
}
