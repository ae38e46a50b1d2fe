package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.Replicas;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two complete replicas (the shared test context and a second application context with its own web server and
 * workers) on one database and one TheRouter: 1,000 jobs, each submitted upstream exactly once, none left behind, and
 * both replicas doing a share of the work.
 */
class TwoReplicasTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Autowired
    private R2dbcConnectionDetails r2dbc;

    @Autowired
    private FlywayConnectionDetails flyway;

    private final Replicas replicas = new Replicas();

    @AfterEach
    void stopReplicaB() {
        replicas.close();
    }

    @Test
    void twoReplicasShareTheWorkAndSubmitEveryJobExactlyOnce() {
        ConfigurableApplicationContext replicaB = replicas.start(r2dbc, flyway, simulator.baseUrl(), "replica-b");
        simulator.reset();

        String run = "replicas-" + System.nanoTime();
        byte[] image = TestImages.png(256, 256);
        WebClient replicaA = webClient();
        WebClient replicaBClient = Replicas.client(replicaB);
        List<String> ids = Flux.range(0, 1000)
                .flatMap(i -> (i % 2 == 0 ? replicaA : replicaBClient).post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple(run + " job " + i, image)))
                        .retrieve().bodyToMono(JSON)
                        .map(job -> (String) job.get("id")), 64)
                .collectList()
                .block(Duration.ofMinutes(2));
        assertThat(ids).hasSize(1000).doesNotHaveDuplicates();

        String idList = "'" + String.join("','", ids) + "'";
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(count("select count(*) from jobs where status = 'SUCCEEDED' and id in (" + idList + ")"))
                        .isEqualTo(1000));

        assertThat(simulator.stats().submitsAccepted()).isEqualTo(1000);
        assertThat(simulator.stats().duplicateSubmits()).isZero();
        assertThat(count("select count(*) from jobs where submit_attempts <> 1 and id in (" + idList + ")")).isZero();
        assertThat(count("select count(*) from jobs where leased_by is not null and id in (" + idList + ")")).isZero();
        assertThat(count("select count(*) from job_images where role = 'RESULT' and job_id in (" + idList + ")"))
                .isEqualTo(1000);
        long byB = count("select count(*) from jobs where submitted_by = 'replica-b' and id in (" + idList + ")");
        assertThat(byB).as("jobs submitted by replica B").isBetween(1L, 999L);
    }
}
