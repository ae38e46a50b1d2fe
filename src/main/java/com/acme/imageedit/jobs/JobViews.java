package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriComponentsBuilder;

/** Renders jobs as {@link JobView}s with absolute links, taken from the configured public address or the request. */
@Component
class JobViews {

    private final JobsProperties properties;
    private final ResultLinks links;
    private final Clock clock;

    JobViews(JobsProperties properties, ResultLinks links, Clock clock) {
        this.properties = properties;
        this.links = links;
        this.clock = clock;
    }

    /** The signed link to a succeeded job's result, valid without a key until the result's retention ends. */
    String resultLink(Job job, ServerHttpRequest request) {
        return baseUrl(request) + links.path(job.id(), job.expiresAt());
    }

    JobView render(Job job, ServerHttpRequest request) {
        return render(job, baseUrl(request));
    }

    /** With links under {@code base} (no trailing slash): for job objects rendered outside a request. */
    JobView render(Job job, String base) {
        String self = base + "/v1/jobs/" + job.id();
        String content = self + "/content";
        // Once the result's retention has ended there is nothing to link to (the links would answer 410).
        boolean resultKept = job.status() == JobStatus.SUCCEEDED && clock.instant().isBefore(job.expiresAt());
        JobView.ErrorView error = job.errorCode() == null ? null
                : new JobView.ErrorView(job.errorCode(), job.errorType(), job.errorMessage());
        return new JobView(
                job.id(),
                "image_job",
                job.status().publicName(),
                job.model(),
                job.createdAt().getEpochSecond(),
                job.expiresAt().getEpochSecond(),
                self,
                resultKept ? List.of(base + links.path(job.id(), job.expiresAt())) : null,
                error,
                job.metadata(),
                timings(job),
                cost(job),
                new JobView.Links(self, resultKept ? content : null));
    }

    private static JobView.Timings timings(Job job) {
        return new JobView.Timings(job.createdAt(), job.submittedAt(), job.finishedAt(), job.deadlineAt(),
                seconds(job.createdAt(), job.submittedAt()),
                seconds(job.submittedAt(), job.finishedAt()),
                seconds(job.createdAt(), job.finishedAt()));
    }

    /** What the job cost its team, as settled when it ended; unknown while in flight. */
    private static BigDecimal cost(Job job) {
        if (!job.status().isTerminal() || job.chargedUsd() == null) {
            return null;
        }
        return job.chargedUsd().signum() == 0 ? BigDecimal.ZERO : job.chargedUsd().stripTrailingZeros();
    }

    private static Double seconds(Instant from, Instant to) {
        if (from == null || to == null) {
            return null;
        }
        return Duration.between(from, to).toMillis() / 1000.0;
    }

    String baseUrl(ServerHttpRequest request) {
        URI configured = properties.publicBaseUrl();
        if (configured != null) {
            String value = configured.toString();
            return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        }
        // The request URI already reflects X-Forwarded-* when server.forward-headers-strategy is set.
        return UriComponentsBuilder.fromUri(request.getURI()).replacePath(null).replaceQuery(null).fragment(null)
                .build().toUriString();
    }
}
