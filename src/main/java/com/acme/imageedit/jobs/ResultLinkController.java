package com.acme.imageedit.jobs;

import java.time.Duration;
import java.time.Instant;

import com.acme.imageedit.system.ApiException;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The signed links of {@code unsigned_urls}, outside {@code /v1} so that no key is asked for: the signature is the
 * authority. A link whose signature does not match is refused 403; a genuine one past its expiry 410.
 */
@RestController
class ResultLinkController {

    private final ResultLinks links;
    private final JobService service;

    ResultLinkController(ResultLinks links, JobService service) {
        this.links = links;
        this.service = service;
    }

    @GetMapping(ResultLinks.PATH + "{id}")
    Mono<ResponseEntity<byte[]>> result(@PathVariable String id,
                                        @RequestParam(name = "expires", required = false) String expires,
                                        @RequestParam(name = "signature", required = false) String signature) {
        long at;
        try {
            at = Long.parseLong(String.valueOf(expires));
        } catch (NumberFormatException e) {
            return Mono.error(new ApiException(HttpStatus.FORBIDDEN, "invalid_signature", "expires",
                    "this link is not a valid signed result link"));
        }
        if (!links.valid(id, at, signature)) {
            return Mono.error(new ApiException(HttpStatus.FORBIDDEN, "invalid_signature", "signature",
                    "this link's signature does not match it; use the link exactly as the job object gave it"));
        }
        if (Instant.now().getEpochSecond() >= at) {
            return Mono.error(new ApiException(HttpStatus.GONE, "link_expired", "expires",
                    "this link expired at " + Instant.ofEpochSecond(at) + " with the result's retention"));
        }
        return service.findSigned(id)
                .filter(job -> job.status() == JobStatus.SUCCEEDED)
                .flatMap(job -> service.result(id))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("id", "this result no longer exists")))
                .map(image -> ResponseEntity.ok()
                        .contentType(MediaType.parseMediaType(image.contentType()))
                        // The link is a capability: caches may keep it no longer than it is valid.
                        .cacheControl(CacheControl.maxAge(Duration.ofSeconds(
                                Math.max(0, at - Instant.now().getEpochSecond()))).cachePrivate())
                        .eTag('"' + id + '"')
                        .body(image.bytes()));
    }
}
