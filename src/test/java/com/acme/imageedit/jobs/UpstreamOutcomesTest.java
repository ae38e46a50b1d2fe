package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** How TheRouter's unhappy endings, and our own deadline, show in the job object. */
class UpstreamOutcomesTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    /**
     * The cost follows what TheRouter bills: nothing for a job it failed, expired or refused; the full price for one
     * we gave up on (our deadline) while it was running upstream.
     */
    @ParameterizedTest(name = "{0} -> {1} / {2}")
    @CsvSource({
            "'[sim:fail] paint it',    failed,  upstream_failed,   upstream_error,        '', 0",
            "'[sim:expire] paint it',  expired, upstream_expired,  upstream_error,        '', 0",
            "'[sim:reject] paint it',  failed,  upstream_rejected, invalid_request_error, '', 0",
            "'[sim:slow] paint it',    expired, deadline_exceeded, timeout_error,         1,  0.048"
    })
    void unhappyEndingsCarryStableErrorCodes(String prompt, String status, String code, String type,
                                             String deadlineSeconds, double cost) {
        MultipartBodyBuilder form = EditForms.edit(prompt, TestImages.png(256, 256));
        if (!deadlineSeconds.isBlank()) {
            form.part("deadline_seconds", deadlineSeconds);
        }
        String id = (String) http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            Map<String, Object> job = http().get().uri("/v1/jobs/{id}", id).exchange().expectStatus().isOk()
                    .expectBody(JSON).returnResult().getResponseBody();
            assertThat(job.get("status")).isEqualTo(status);
            @SuppressWarnings("unchecked")
            Map<String, Object> error = (Map<String, Object>) job.get("error");
            assertThat(error).containsEntry("code", code).containsEntry("type", type);
            assertThat((String) error.get("message")).isNotBlank();
            assertThat(job).doesNotContainKey("unsigned_urls");
            assertThat(((Number) job.get("cost_usd")).doubleValue()).isEqualTo(cost);
        });
        assertThat(count("select count(*) from job_images where role = 'RESULT' and job_id = '" + id + "'"))
                .isZero();
    }
}
