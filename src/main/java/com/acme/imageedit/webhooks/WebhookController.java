package com.acme.imageedit.webhooks;

import java.util.ArrayList;
import java.util.List;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Team webhook subscriptions and the team's default secret (which signs per-job {@code callback_url} deliveries).
 * A team sees only its own subscriptions (another team's is a 404); an admin sees all but, having no team, creates
 * none and has no default secret.
 */
@RestController
class WebhookController {

    private final SubscriptionRepository subscriptions;
    private final TeamSecrets teamSecrets;
    private final WebhookUrlGuard guard;
    private final WebhooksProperties properties;

    WebhookController(SubscriptionRepository subscriptions, TeamSecrets teamSecrets, WebhookUrlGuard guard,
                      WebhooksProperties properties) {
        this.subscriptions = subscriptions;
        this.teamSecrets = teamSecrets;
        this.guard = guard;
        this.properties = properties;
    }

    @GetMapping("/v1/webhooks/default/secret")
    Mono<WebhookViews.SecretView> defaultSecret(@AuthenticationPrincipal TeamPrincipal caller) {
        return teamSecrets.getOrCreate(team(caller)).map(WebhookViews.SecretView::of);
    }

    @PostMapping("/v1/webhooks/default/secret/rotate")
    Mono<WebhookViews.SecretView> rotateDefaultSecret(@AuthenticationPrincipal TeamPrincipal caller) {
        return teamSecrets.rotate(team(caller), properties.rotationOverlap()).map(WebhookViews.SecretView::of);
    }

    @PostMapping("/v1/webhooks")
    Mono<ResponseEntity<WebhookViews.SubscriptionView>> create(@AuthenticationPrincipal TeamPrincipal caller,
                                                               @RequestBody SubscriptionRequest request) {
        String team = team(caller);
        List<String> events = request.events() == null ? EventTypes.TERMINAL : events(request.events());
        String description = description(request.description());
        return guard.checkGiven(request.url(), "url")
                .flatMap(target -> subscriptions.create(team, request.url().strip(), events, description,
                        request.enabled() == null || request.enabled()))
                .map(created -> ResponseEntity.status(HttpStatus.CREATED)
                        .header("Location", "/v1/webhooks/" + created.id())
                        .body(WebhookViews.SubscriptionView.of(created, subscriptions.secrets(created).current())));
    }

    @GetMapping("/v1/webhooks")
    Mono<WebhookViews.ListView<WebhookViews.SubscriptionView>> list(@AuthenticationPrincipal TeamPrincipal caller) {
        return subscriptions.list(caller).map(s -> WebhookViews.SubscriptionView.of(s, null)).collectList()
                .map(all -> new WebhookViews.ListView<>("list", all));
    }

    @GetMapping("/v1/webhooks/{id}")
    Mono<WebhookViews.SubscriptionView> get(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id) {
        return subscriptions.find(id, caller).switchIfEmpty(Mono.error(() -> unknown(id)))
                .map(s -> WebhookViews.SubscriptionView.of(s, null));
    }

    @PatchMapping("/v1/webhooks/{id}")
    Mono<WebhookViews.SubscriptionView> update(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id,
                                               @RequestBody SubscriptionRequest request) {
        List<String> events = request.events() == null ? null : events(request.events());
        String description = description(request.description());
        Mono<String> url = request.url() == null ? Mono.just("")
                : guard.checkGiven(request.url(), "url").map(target -> request.url().strip());
        return url.flatMap(checked -> subscriptions.update(id, caller, checked.isEmpty() ? null : checked, events,
                        description, request.enabled()))
                .switchIfEmpty(Mono.error(() -> unknown(id)))
                .map(s -> WebhookViews.SubscriptionView.of(s, null));
    }

    @DeleteMapping("/v1/webhooks/{id}")
    Mono<ResponseEntity<Void>> delete(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id) {
        return subscriptions.delete(id, caller)
                .flatMap(deleted -> deleted ? Mono.just(ResponseEntity.noContent().<Void>build())
                        : Mono.error(unknown(id)));
    }

    @GetMapping("/v1/webhooks/{id}/secret")
    Mono<WebhookViews.SecretView> secret(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id) {
        return subscriptions.find(id, caller).switchIfEmpty(Mono.error(() -> unknown(id)))
                .map(s -> WebhookViews.SecretView.of(subscriptions.secrets(s)));
    }

    @PostMapping("/v1/webhooks/{id}/secret/rotate")
    Mono<WebhookViews.SecretView> rotate(@AuthenticationPrincipal TeamPrincipal caller, @PathVariable String id) {
        return subscriptions.rotate(id, caller, properties.rotationOverlap())
                .switchIfEmpty(Mono.error(() -> unknown(id)))
                .map(s -> WebhookViews.SecretView.of(subscriptions.secrets(s)));
    }

    private static String team(TeamPrincipal caller) {
        if (caller.admin()) {
            throw ApiException.forbidden("Admin keys have no team: subscriptions and secrets belong to a team; use "
                    + "that team's key");
        }
        return caller.teamId();
    }

    private static List<String> events(List<String> requested) {
        if (requested.isEmpty()) {
            throw ApiException.badRequest("events", "events must name at least one of " + EventTypes.ALL);
        }
        List<String> events = new ArrayList<>();
        for (String event : requested) {
            if (event == null || !EventTypes.ALL.contains(event)) {
                throw ApiException.badRequest("events", "unknown event '" + event + "'; known events: "
                        + EventTypes.ALL);
            }
            if (!events.contains(event)) {
                events.add(event);
            }
        }
        return events;
    }

    private static String description(String description) {
        if (description != null && description.length() > 200) {
            throw ApiException.badRequest("description", "description must be at most 200 characters");
        }
        return description;
    }

    private static ApiException unknown(String id) {
        return ApiException.notFound("id", "no webhook subscription " + (id.length() > 64 ? id.substring(0, 64) + "…"
                : id));
    }
}
