package com.acme.imageedit.upstream;

import reactor.core.publisher.Mono;

/**
 * What a request to TheRouter's origin passes on its way out: the account's shared budget and the circuit breaker (the
 * dispatcher's gate). Submits and polls are passed through it by their callers, because a submit must be marked sent
 * inside it; a result download passes each request that goes to TheRouter's origin through it itself (every redirect
 * hop that stays there is one), and requests to other hosts not at all ({@link UpstreamUris#isTheRoutersOrigin}).
 */
public interface OriginGate {

    /** No guard at all, for tools and tests that talk to TheRouter directly. */
    OriginGate NONE = new OriginGate() {
        @Override
        public <T> Mono<T> call(UpstreamCall call, Mono<T> request) {
            return request;
        }
    };

    /**
     * Subscribes to {@code request} once it may leave. When it may not (breaker open, no budget in time), fails with an
     * error that is not an {@link UpstreamException}, and the request was never sent.
     */
    <T> Mono<T> call(UpstreamCall call, Mono<T> request);
}
