package com.acme.imageedit.upstream;

import java.util.function.Predicate;

/**
 * The in-place retry test of idempotent calls ({@code retry-exception-predicate}): transient trouble only. A 429 or
 * any answer with {@code Retry-After} is not retried in place: the shared pause makes every replica wait instead.
 */
public final class WorthRetryingNow implements Predicate<Throwable> {

    @Override
    public boolean test(Throwable failure) {
        return failure instanceof UpstreamException.Retryable retryable && retryable.httpStatus() != 429
                && retryable.retryAfter() == null;
    }
}
