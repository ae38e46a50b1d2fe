package com.acme.imageedit.ops;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The metric-name extraction the dashboard and alert checks rely on. */
class PromQlTest {

    @Test
    void findsMetricsButNotFunctionsLabelsOrVariables() {
        assertThat(PromQl.metricNames("""
                histogram_quantile(0.95, sum by (le, model) (rate(imageedit_jobs_duration_seconds_bucket\
                {application="$application", model=~"$model"}[$__rate_interval])))"""))
                .containsExactly("imageedit_jobs_duration_seconds_bucket");
        assertThat(PromQl.metricNames("""
                sum(rate(a_total{outcome=~"server_error|timeout"}[5m])) / clamp_min(sum(rate(b_count[5m])), 1e-9) > 0.2
                and on (application) max without (instance) (c) offset 5m"""))
                .containsExactly("a_total", "b_count", "c");
        assertThat(PromQl.metricNames("max(imageedit_jobs_queue_oldest_age_seconds) > bool 600"))
                .containsExactly("imageedit_jobs_queue_oldest_age_seconds");
    }
}
