package com.acme.imageedit.upstream;

import java.util.function.Predicate;

/**
 * The circuit breaker's failure test ({@code record-failure-predicate}): only signs of a sick upstream count. A 429 is
 * the account's rate limit speaking, not sickness, and is answered by the shared pause instead; refusals and unknown
 * jobs show a working upstream.
 */
public final class CountsAgainstUpstream implements Predicate<Throwable> {

    @Override
    public boolean test(Throwable failure) {
        if (failure instanceof UpstreamException.OutcomeUnknown) {
            return true;
        }
        return failure instanceof UpstreamException.Retryable retryable && retryable.httpStatus() != 429;
    }
}
