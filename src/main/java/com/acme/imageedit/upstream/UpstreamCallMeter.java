package com.acme.imageedit.upstream;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import reactor.core.publisher.Mono;

/**
 * Times every HTTP exchange with TheRouter (and the hosts its result URLs point to) by kind, outcome and origin. A
 * filter rather than code in each call, so that redirect hops and result candidates are counted as the requests they
 * are. The kind is the call the client made ({@link UpstreamCall}, a request attribute), never a guess from the URL;
 * the origin is {@code therouter} for a request to TheRouter's origin ({@link UpstreamUris#isTheRoutersOrigin}: the
 * account's budget pays for it) and {@code other} for one to another host (a result's storage). The time is to the
 * response headers: that is what rate limits and breakers care about.
 */
final class UpstreamCallMeter implements ExchangeFilterFunction {

    static final String CALLS = "imageedit.upstream.calls";

    private static final Duration[] SLOS = {Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

    /** A request the client sent without saying which call it belongs to; none does, and a test keeps it so. */
    static final String UNKNOWN_KIND = "unknown";

    private final MeterRegistry registry;
    private final UpstreamAddress address;

    UpstreamCallMeter(MeterRegistry registry, UpstreamAddress address) {
        this.registry = registry;
        this.address = address;
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        String kind = kind(request);
        String origin = UpstreamUris.isTheRoutersOrigin(request.url(), address.baseUrl()) ? "therouter" : "other";
        return Mono.defer(() -> {
            Timer.Sample sample = Timer.start(registry);
            AtomicBoolean recorded = new AtomicBoolean();
            return next.exchange(request)
                    .doOnSuccess(response -> record(recorded, sample, kind, origin,
                            response == null ? "no_response" : outcome(response.statusCode())))
                    .doOnError(e -> record(recorded, sample, kind, origin, errorOutcome(e)))
                    .doOnCancel(() -> record(recorded, sample, kind, origin, "cancelled"));
        });
    }

    private void record(AtomicBoolean recorded, Timer.Sample sample, String kind, String origin, String outcome) {
        if (recorded.compareAndSet(false, true)) {
            sample.stop(Timer.builder(CALLS)
                    .description("HTTP exchanges with TheRouter and its result hosts, to the response headers")
                    .serviceLevelObjectives(SLOS)
                    .tag("kind", kind)
                    .tag("outcome", outcome)
                    .tag("origin", origin)
                    .register(registry));
        }
    }

    /** The call the client said the request belongs to. */
    static String kind(ClientRequest request) {
        return request.attribute(UpstreamCall.ATTRIBUTE).filter(UpstreamCall.class::isInstance)
                .map(call -> ((UpstreamCall) call).tag()).orElse(UNKNOWN_KIND);
    }

    static String outcome(HttpStatusCode status) {
        int code = status.value();
        if (code == 429) {
            return "rate_limited";
        }
        if (status.is2xxSuccessful()) {
            return "success";
        }
        if (status.is3xxRedirection()) {
            return "redirect";
        }
        if (status.is4xxClientError()) {
            return "client_error";
        }
        return status.is5xxServerError() ? "server_error" : "other";
    }

    static String errorOutcome(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            // Netty's ReadTimeoutException and friends are not TimeoutExceptions; their names say it.
            if (t instanceof TimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return "timeout";
            }
        }
        return "io_error";
    }
}
