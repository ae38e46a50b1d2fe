package com.acme.imageedit.jobs;

import reactor.core.publisher.Mono;

/**
 * Judges a submit's {@code callback_url} before the job is stored. Implemented by the webhooks feature (its SSRF
 * guard), so that the job API need not know how URLs are judged.
 */
public interface CallbackUrlCheck {

    /**
     * Completes empty when {@code url} may receive callbacks; otherwise fails with a 400
     * {@link com.acme.imageedit.system.ApiException} naming the field {@code callback_url}.
     */
    Mono<Void> check(String url);
}
