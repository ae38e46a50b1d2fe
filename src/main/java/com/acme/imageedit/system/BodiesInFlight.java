package com.acme.imageedit.system;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The per-replica bound on request body bytes in flight ({@code limits.max-bodies-in-flight}, by default a share of
 * the heap), so that concurrent uploads cannot exhaust the heap: every request body is counted from the moment a reader
 * subscribes to it until the request ends, however it ends (answered, failed, cancelled, its client gone), or until
 * its handler says that the bytes are no longer held ({@link #releaseEarly()}, after a submit is stored). A body of
 * declared length reserves that length at once, before its first byte is read; a chunked body reserves its chunks as
 * they arrive. A body that does not fit is refused 503 {@code server_busy} with {@code Retry-After}, and nothing of it
 * is stored: no reader ever sees it. A client that sent {@code Expect: 100-continue} (curl does for bodies over 1 MB)
 * has not sent a byte of it either, as Reactor Netty asks for the body only when it is read (and closes the connection
 * after such a refusal); the body of a client that sent it anyway is read and dropped by Reactor Netty a buffer at a
 * time, so that it gets its answer whole and may keep its connection.
 * <p>
 * It also cuts off chunked bodies at {@code limits.max-request-size} while they stream (a declared length over it is
 * refused by {@link RequestSizeLimit} before anything is read).
 * <p>
 * It wraps the whole HTTP handler ({@link HttpHandlerDecoratorFactory}), not a WebFilter, because the exchange reads
 * multipart bodies from the request it was created with: a request decorated by a filter would count JSON bodies
 * only. The bytes are counted as a reader takes them, that is once in memory or, for a multipart file part, on disk:
 * each body is held in memory whole at some point (a JSON body is parsed whole, a multipart image is read back whole),
 * so the count is what the request may hold, never less.
 */
@Component
public class BodiesInFlight implements HttpHandlerDecoratorFactory {

    private static final Logger log = LoggerFactory.getLogger(BodiesInFlight.class);
    /** Seconds a refused client is asked to wait: uploads on a busy replica take about that long to finish. */
    static final String RETRY_AFTER_SECONDS = "1";

    private final long capacity;
    private final long maxRequestSize;
    private final AtomicLong inFlight = new AtomicLong();
    private final Counter refused;
    private final Counter cutOff;

    BodiesInFlight(ClientLimitsProperties limits, MeterRegistry registry) {
        this.maxRequestSize = limits.maxRequestSize().toBytes();
        this.capacity = limits.bodiesInFlight(Runtime.getRuntime().maxMemory());
        Gauge.builder("imageedit.request.bodies.inflight", inFlight, AtomicLong::get).baseUnit("bytes")
                .description("Request body bytes this replica holds now (limits.max-bodies-in-flight)")
                .register(registry);
        Gauge.builder("imageedit.request.bodies.limit", () -> capacity).baseUnit("bytes")
                .description("The bound on request body bytes in flight on this replica")
                .register(registry);
        this.refused = Counter.builder("imageedit.client.cutoffs")
                .description("Requests cut off by a client limit (limits.*)")
                .tag("limit", "bodies_in_flight").register(registry);
        this.cutOff = Counter.builder("imageedit.client.cutoffs")
                .description("Requests cut off by a client limit (limits.*)")
                .tag("limit", "max_request_size").register(registry);
        log.info("Request bodies in flight are bounded at {} bytes per replica ({})", capacity,
                limits.maxBodiesInFlight() != null ? "limits.max-bodies-in-flight"
                        : "limits.bodies-in-flight-heap-share " + limits.bodiesInFlightHeapShare() + " of a "
                        + Runtime.getRuntime().maxMemory() + "-byte heap");
    }

    @Override
    public HttpHandler apply(HttpHandler handler) {
        return (request, response) -> {
            long declared = request.getHeaders().getContentLength();
            if (declared == 0 || declared < 0 && !request.getHeaders().containsHeader(HttpHeaders.TRANSFER_ENCODING)) {
                return handler.handle(request, response);
            }
            Lease lease = new Lease();
            return handler.handle(new Counted(request, response, declared, lease), response)
                    .doFinally(signal -> lease.release())
                    .contextWrite(context -> context.put(Lease.class, lease));
        };
    }

    /**
     * Gives back the bytes of the current request's body before the request ends: for handlers that hold the body no
     * longer (a submit once stored) but keep the request open (waiting for the job). A no-op outside a request.
     */
    public static Mono<Void> releaseEarly() {
        return Mono.deferContextual(context -> {
            context.<Lease>getOrEmpty(Lease.class).ifPresent(Lease::release);
            return Mono.empty();
        });
    }

    /** Whether {@code failure} is, or was caused by, a body refused under the bound. */
    public static boolean isBusy(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Busy) {
                return true;
            }
        }
        return false;
    }

    /** Request body bytes held now. */
    public long inFlight() {
        return inFlight.get();
    }

    /** The bound. */
    public long capacity() {
        return capacity;
    }

    /** Takes {@code bytes} of the bound, or nothing and false when they do not fit. */
    private boolean reserve(long bytes) {
        long current;
        do {
            current = inFlight.get();
            if (current + bytes > capacity) {
                return false;
            }
        } while (!inFlight.compareAndSet(current, current + bytes));
        return true;
    }

    private Busy busy() {
        refused.increment();
        return new Busy();
    }

    /**
     * A body refused for want of room under the bound: 503 {@code server_busy}. Readers pass it on as it is (and
     * {@link ProblemRendering} finds it under any wrapper); it is logged at debug like other refusals, since a crowd
     * of uploads would otherwise write a warning per request.
     */
    public static final class Busy extends ApiException {

        Busy() {
            super(HttpStatus.SERVICE_UNAVAILABLE, "server_busy", "body", "This replica is reading as many request "
                    + "bodies as it may hold at once (limits.max-bodies-in-flight); nothing was stored. Retry in a "
                    + "moment");
            withHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
    }

    /** One request's share of the bound, given back once. */
    private final class Lease {

        private final AtomicLong held = new AtomicLong();
        private final AtomicBoolean released = new AtomicBoolean();
        private final AtomicBoolean declaredReserved = new AtomicBoolean();

        boolean take(long bytes) {
            if (released.get() || !reserve(bytes)) {
                return false;
            }
            held.addAndGet(bytes);
            if (released.get()) {
                // released meanwhile (the request ended): give these back too
                inFlight.addAndGet(-held.getAndSet(0));
            }
            return true;
        }

        /** The declared length, once per request however often its body is asked for. */
        boolean takeDeclared(long bytes) {
            if (declaredReserved.get()) {
                return true;
            }
            if (!take(bytes)) {
                return false;
            }
            declaredReserved.set(true);
            return true;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                inFlight.addAndGet(-held.getAndSet(0));
            }
        }
    }

    /** The request whose body takes its bytes from the bound as it is read. */
    private final class Counted extends ServerHttpRequestDecorator {

        private final ServerHttpResponse response;
        private final long declared;
        private final Lease lease;

        Counted(ServerHttpRequest request, ServerHttpResponse response, long declared, Lease lease) {
            super(request);
            this.response = response;
            this.declared = declared;
            this.lease = lease;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            Flux<DataBuffer> body = super.getBody();
            if (declared >= 0) {
                // The whole declared length at once, before the body is asked for (no 100 Continue goes out if not).
                return Flux.defer(() -> lease.takeDeclared(declared) ? body : Flux.error(busy()));
            }
            return Flux.defer(() -> {
                AtomicLong seen = new AtomicLong();
                return body.handle((buffer, sink) -> {
                    int size = buffer.readableByteCount();
                    if (seen.addAndGet(size) > maxRequestSize) {
                        DataBufferUtils.release(buffer);
                        cutOff.increment();
                        response.getHeaders().set(HttpHeaders.CONNECTION, "close");
                        sink.error(new DataBufferLimitException("the request body is larger than the limit of "
                                + maxRequestSize + " bytes (limits.max-request-size)"));
                    } else if (!lease.take(size)) {
                        DataBufferUtils.release(buffer);
                        sink.error(busy());
                    } else {
                        sink.next(buffer);
                    }
                });
            });
        }
    }
}
