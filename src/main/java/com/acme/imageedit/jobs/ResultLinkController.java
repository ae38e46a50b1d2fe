package com.acme.imageedit.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import com.acme.imageedit.system.ApiException;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The signed links of {@code unsigned_urls}, outside {@code /v1} so that no key is asked for: the signature is the
 * authority. A link whose signature does not match is refused 403; a genuine one past its expiry, or whose result
 * retention has deleted, 410 {@code result_expired}.
 */
@RestController
class ResultLinkController {

    private final ResultLinks links;
    private final JobService service;
    private final Clock clock;

    ResultLinkController(ResultLinks links, JobService service, Clock clock) {
        this.links = links;
        this.service = service;
        this.clock = clock;
    }

    @GetMapping(ResultLinks.PATH + "{id}")
    Mono<ResponseEntity<byte[]>> result(@PathVariable String id,
                                        @RequestParam(name = "expires", required = false) String expires,
                                        @RequestParam(name = "key", required = false) String key,
                                        @RequestParam(name = "signature", required = false) String signature) {
        long at;
        try {
            at = Long.parseLong(String.valueOf(expires));
        } catch (NumberFormatException e) {
            return Mono.error(new ApiException(HttpStatus.FORBIDDEN, "invalid_signature", "expires",
                    "this link is not a valid signed result link"));
        }
        return links.valid(id, at, key, signature).flatMap(valid -> {
            if (!valid) {
                return Mono.error(new ApiException(HttpStatus.FORBIDDEN, "invalid_signature", "signature",
                        "this link's signature does not match it; use the link exactly as the job object gave it"));
            }
            return serve(id, at);
        });
    }

    private Mono<ResponseEntity<byte[]>> serve(String id, long at) {
        long now = clock.instant().getEpochSecond();
        if (now >= at) {
            // A link expires with the result it names (its expires is the job's expires_at).
            return Mono.error(new ApiException(HttpStatus.GONE, "result_expired", "expires",
                    "this link and the result it names expired at " + Instant.ofEpochSecond(at)));
        }
        return service.findSigned(id)
                .filter(job -> job.status() == JobStatus.SUCCEEDED)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("id", "this result does not exist")))
                .flatMap(service::result)
                // The link is a capability: caches may keep it no longer than it is valid.
                .map(image -> ImageResponses.of(id, image,
                        CacheControl.maxAge(Duration.ofSeconds(Math.max(0, at - now))).cachePrivate()));
    }
}
