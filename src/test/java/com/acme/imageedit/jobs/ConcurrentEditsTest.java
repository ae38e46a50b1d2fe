package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** 200 edits submitted at once: every one accepted, submitted upstream exactly once, and finished with its result. */
class ConcurrentEditsTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void twoHundredConcurrentEditsAllSucceedWithOneSubmitEach() {
        simulator.reset();
        byte[] image = TestImages.png(256, 256);
        String run = "concurrent-" + System.nanoTime();

        List<String> ids = Flux.range(0, 200)
                .flatMap(i -> webClient().post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple(run + " edit " + i, image)))
                        .retrieve().bodyToMono(JSON)
                        .map(job -> (String) job.get("id")), 200)
                .collectList()
                .block(Duration.ofSeconds(60));

        assertThat(ids).hasSize(200).doesNotHaveDuplicates();
        String idList = "'" + String.join("','", ids) + "'";
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(count("select count(*) from jobs where status = 'SUCCEEDED' and id in (" + idList + ")"))
                        .isEqualTo(200));

        assertThat(simulator.stats().submitsAccepted()).isEqualTo(200);
        assertThat(simulator.stats().duplicateSubmits()).isZero();
        assertThat(count("select count(*) from job_images where role = 'RESULT' and length(bytes) > 0 and job_id in ("
                + idList + ")")).isEqualTo(200);
        assertThat(count("select count(*) from jobs where submit_attempts <> 1 and id in (" + idList + ")")).isZero();
    }
}
