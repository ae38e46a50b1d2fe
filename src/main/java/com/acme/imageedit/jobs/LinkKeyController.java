package com.acme.imageedit.jobs;

import java.time.Instant;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Admin: rotate the result-link signing key the service keeps (when no {@code jobs.link-secret} is configured). */
@RestController
class LinkKeyController {

    private final ResultLinks links;

    LinkKeyController(ResultLinks links) {
        this.links = links;
    }

    /**
     * Admin only ({@code /v1/admin/**}). New links are signed with a new key at once on this replica and within a
     * minute on the others; links signed before stay valid until they expire.
     */
    @PostMapping("/v1/admin/link-keys/rotate")
    Mono<RotationView> rotate() {
        return links.rotate().map(r -> new RotationView(r.keyId(), r.previousValidUntil()));
    }

    /** {@code {"key_id": …, "previous_valid_until": …}} */
    record RotationView(String keyId, Instant previousValidUntil) {
    }
}
