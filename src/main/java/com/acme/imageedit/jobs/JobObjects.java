package com.acme.imageedit.jobs;

import java.net.URI;

import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The job object as the API renders it, for features that show jobs outside a request (webhook payloads). Its links
 * use {@code jobs.public-base-url}, or, when that is not set, {@code http://localhost:<server port>}: good for a
 * single machine, so production sets the public address.
 */
@Component
public class JobObjects {

    private static final TeamPrincipal SYSTEM = new TeamPrincipal(null, true);

    private final JobRepository jobs;
    private final JobViews views;
    private final JobsProperties properties;
    private final Environment environment;

    JobObjects(JobRepository jobs, JobViews views, JobsProperties properties, Environment environment) {
        this.jobs = jobs;
        this.views = views;
        this.properties = properties;
        this.environment = environment;
    }

    /** The job object (Jackson-serialisable, without image bytes), or empty when there is no such job. */
    public Mono<Object> render(String jobId) {
        return jobs.find(jobId, SYSTEM).map(job -> views.render(job, baseUrl()));
    }

    String baseUrl() {
        URI configured = properties.publicBaseUrl();
        if (configured != null) {
            String value = configured.toString();
            return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        }
        // local.server.port is the port actually bound (server.port may be 0 in tests).
        String port = environment.getProperty("local.server.port", environment.getProperty("server.port", "8080"));
        return "http://localhost:" + port;
    }
}
