package com.acme.imageedit.webhooks;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The delivery log (each delivery with its attempts) and manual redelivery, scoped to the caller's team. */
@RestController
class DeliveryController {

    private static final Set<String> STATUSES = Set.of("pending", "delivered", "failed");

    private final DeliveryRepository deliveries;
    private final WebhookWorkers workers;

    DeliveryController(DeliveryRepository deliveries, WebhookWorkers workers) {
        this.deliveries = deliveries;
        this.workers = workers;
    }

    /** Newest first; filters {@code job_id}, {@code subscription_id}, {@code status}; {@code limit} 1–100 (20). */
    @GetMapping("/v1/webhooks/deliveries")
    Mono<WebhookViews.ListView<WebhookViews.DeliveryView>> list(
            @AuthenticationPrincipal TeamPrincipal caller,
            @RequestParam(name = "job_id", required = false) String jobId,
            @RequestParam(name = "subscription_id", required = false) String subscriptionId,
            @RequestParam(name = "status", required = false) String status,
            @RequestParam(name = "limit", required = false) String limit) {
        if (status != null && !STATUSES.contains(status)) {
            throw ApiException.badRequest("status", "status must be one of " + STATUSES);
        }
        int size = limit(limit);
        return deliveries.list(caller, jobId, subscriptionId, status == null ? null : status.toUpperCase(Locale.ROOT),
                        size)
                .concatMap(d -> deliveries.attempts(d.id()).map(attempts -> WebhookViews.DeliveryView.of(d, attempts)))
                .collectList()
                .map(all -> new WebhookViews.ListView<>("list", all));
    }

    @GetMapping("/v1/webhooks/deliveries/{id}")
    Mono<WebhookViews.DeliveryView> get(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id) {
        return deliveries.find(id, caller).switchIfEmpty(Mono.error(() -> unknown(id)))
                .flatMap(d -> deliveries.attempts(d.id()).map(attempts -> WebhookViews.DeliveryView.of(d, attempts)));
    }

    /**
     * Sends the delivery again, now, with a fresh retry schedule and the same webhook-id and body (receivers that
     * de-duplicate by webhook-id see it as the same message). 409 while a sender holds it.
     */
    @PostMapping("/v1/webhooks/deliveries/{id}/redeliver")
    Mono<ResponseEntity<WebhookViews.DeliveryView>> redeliver(@AuthenticationPrincipal TeamPrincipal caller,
                                                              @PathVariable String id) {
        return deliveries.find(id, caller).switchIfEmpty(Mono.error(() -> unknown(id)))
                .flatMap(found -> deliveries.redeliver(id, caller)
                        .switchIfEmpty(Mono.error(() -> ApiException.conflict("delivery_in_flight",
                                "delivery " + id + " is being attempted right now; try again in a moment"))))
                .doOnNext(d -> workers.wake())
                .map(d -> ResponseEntity.status(HttpStatus.ACCEPTED)
                        .body(WebhookViews.DeliveryView.of(d, List.of())));
    }

    private static int limit(String raw) {
        if (raw == null || raw.isBlank()) {
            return 20;
        }
        try {
            int value = Integer.parseInt(raw.strip());
            if (value >= 1 && value <= 100) {
                return value;
            }
        } catch (NumberFormatException e) {
            // falls through to the refusal
        }
        throw ApiException.badRequest("limit", "limit must be an integer between 1 and 100");
    }

    private static ApiException unknown(String id) {
        return ApiException.notFound("id", "no webhook delivery " + (id.length() > 64 ? id.substring(0, 64) + "…"
                : id));
    }
}
