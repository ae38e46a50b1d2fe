package com.acme.imageedit.system;

import io.prometheus.metrics.tracer.common.SpanContext;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * No exemplars in {@code /actuator/prometheus} unless {@code metrics.exemplars=true}.
 *
 * <p>With tracing on, Spring Boot hands the Prometheus registry the current span, and the OpenMetrics answer (which
 * Prometheus asks for first) then carries trace ids as exemplars, also on the {@code _count} of timers without
 * buckets, such as {@code http_client_requests_seconds}. Prometheus before 2.43 (Debian 12's package is 2.42) refuses
 * such a line and drops the <em>whole</em> scrape: the target goes down after the first traced HTTP client call, every
 * panel empties, and {@code ImageEditProxyDown} fires on a healthy service. Prometheus 3 accepts them. Exemplars are
 * worth little without a trace store anyway, so they are off by default: this span context never reports a sampled
 * span, so no sample gets an exemplar, and Boot's own span context (which backs off when one exists) is not made.
 * {@code RealPrometheusTest} scrapes with Debian's Prometheus 2.42.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "metrics.exemplars", havingValue = false, matchIfMissing = true)
class PrometheusExemplars {

    @Bean
    SpanContext noExemplars() {
        return new SpanContext() {
            @Override
            public String getCurrentTraceId() {
                return null;
            }

            @Override
            public String getCurrentSpanId() {
                return null;
            }

            @Override
            public boolean isCurrentSpanSampled() {
                return false;
            }

            @Override
            public void markCurrentSpanAsExemplar() {
            }
        };
    }
}
