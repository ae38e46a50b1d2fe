package com.acme.imageedit.webhooks;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonInclude;

/** What the webhook API answers. Secrets appear only where a caller asks for them, never in lists. */
final class WebhookViews {

    private WebhookViews() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SubscriptionView(String id, String object, String url, List<String> events, String description,
                            boolean enabled, String disabledReason, Instant createdAt, Instant updatedAt,
                            String secret) {

        static SubscriptionView of(Subscription s, String secret) {
            return new SubscriptionView(s.id(), "webhook_subscription", s.url(), s.events(), s.description(),
                    s.enabled(), s.disabledReason(), s.createdAt(), s.updatedAt(), secret);
        }
    }

    /** A signing secret ({@code key}, as Replicate names it) and, during a rotation, when the previous one stops. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SecretView(String key, Instant previousKeyExpiresAt) {

        static SecretView of(SigningSecrets secrets) {
            boolean overlapping = secrets.previous() != null && secrets.previousExpiresAt() != null
                    && secrets.previousExpiresAt().isAfter(Instant.now());
            return new SecretView(secrets.current(), overlapping ? secrets.previousExpiresAt() : null);
        }
    }

    record ListView<T>(String object, List<T> data) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeliveryView(String id, String object, String eventType, String jobId, String target,
                        String subscriptionId, String url, String status, int attemptCount, Integer lastStatusCode,
                        String lastError, Instant nextAttemptAt, Instant createdAt, Instant deliveredAt,
                        Instant finishedAt, List<AttemptView> attempts) {

        static DeliveryView of(Delivery d, List<Attempt> attempts) {
            String status = d.status().toLowerCase(Locale.ROOT);
            return new DeliveryView(d.id(), "webhook_delivery", d.eventType(), d.jobId(),
                    d.target().toLowerCase(Locale.ROOT), d.subscriptionId(), d.url(), status, d.attempts(),
                    d.lastStatus(), d.lastError(), status.equals("pending") ? d.nextAttemptAt() : null, d.createdAt(),
                    d.deliveredAt(), d.finishedAt(), attempts.stream().map(AttemptView::of).toList());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record AttemptView(int attempt, Instant startedAt, Integer statusCode, int latencyMs, String error,
                       String worker) {

        static AttemptView of(Attempt a) {
            return new AttemptView(a.attempt(), a.startedAt(), a.statusCode(), a.latencyMs(), a.error(), a.worker());
        }
    }
}
