package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Fixed SLO buckets on {@code http.server.requests}: ten on the submit routes, so that accept latency can be charted
 * and alerted on across replicas ({@code histogram_quantile}; 1 s, the accept SLO's threshold, is one of them), and a
 * single one (1 s) on every other route.
 *
 * <p>Why not ten everywhere: every bucket is one more series per uri, method, status, outcome, exception and
 * {@code wait}, and the scrape of a long-running process (the test suite's shared one) passed a quarter of a megabyte
 * for panels nobody reads. Why not none elsewhere: Prometheus' registry wants one type per metric name, and a timer
 * without buckets is exported as a summary, so a mix fails every scrape (ClassCastException between the histogram and
 * summary snapshots). One bucket keeps every series a histogram and still tells, per route, the share answered within
 * a second. The uri tag is Spring's route pattern, so the set stays bounded; add a route to {@link #ROUTES} when a
 * panel needs its quantiles.
 */
@Component
class HttpRequestBuckets implements MeterFilter {

    static final Set<String> ROUTES = Set.of("/v1/images/edits", "/v1/images/generations");
    private static final double[] ACCEPT_SLOS = nanos(Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10));
    private static final double[] OTHER_SLOS = nanos(Duration.ofSeconds(1));

    private final String name;

    HttpRequestBuckets(@Value("${management.observations.http.server.requests.name:http.server.requests}")
                       String name) {
        this.name = name;
    }

    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER || !name.equals(id.getName())) {
            return config;
        }
        double[] slos = ROUTES.contains(id.getTag("uri")) ? ACCEPT_SLOS : OTHER_SLOS;
        return DistributionStatisticConfig.builder().serviceLevelObjectives(slos).build().merge(config);
    }

    private static double[] nanos(Duration... boundaries) {
        return Arrays.stream(boundaries).mapToDouble(Duration::toNanos).toArray();
    }
}
