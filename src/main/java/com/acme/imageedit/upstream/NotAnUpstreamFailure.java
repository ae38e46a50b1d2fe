package com.acme.imageedit.upstream;

import java.util.function.Predicate;

/**
 * The circuit breaker's {@code ignore-exception-predicate}: a failure that is not TheRouter's (our database, a bug)
 * must neither open nor close the breaker.
 */
public final class NotAnUpstreamFailure implements Predicate<Throwable> {

    @Override
    public boolean test(Throwable failure) {
        return !(failure instanceof UpstreamException);
    }
}
