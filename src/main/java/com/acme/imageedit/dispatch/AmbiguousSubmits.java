package com.acme.imageedit.dispatch;

import java.util.Locale;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The one meter of submits whose outcome is unknown, by what the policy did and how the outcome got lost. */
final class AmbiguousSubmits {

    private AmbiguousSubmits() {
    }

    /**
     * @param cause {@code answer_lost} (the connection failed after the request was sent) or {@code worker_lost} (the
     *              submitting worker's lease ran out after it marked the job sent)
     */
    static Counter counter(MeterRegistry meters, DispatchProperties.AmbiguousSubmitPolicy policy, String cause) {
        return Counter.builder("imageedit.upstream.submits.ambiguous")
                .description("Submits that may have reached TheRouter without us learning the outcome")
                .tag("policy", policy.name().toLowerCase(Locale.ROOT))
                .tag("cause", cause)
                .register(meters);
    }
}
