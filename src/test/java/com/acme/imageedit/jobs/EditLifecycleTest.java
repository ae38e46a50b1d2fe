package com.acme.imageedit.jobs;

import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** One edit all the way through: accepted, stored, run on the simulator, its result stored and served. */
class EditLifecycleTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void anEditIsAcceptedRunsAndItsResultIsServed() {
        byte[] input = TestImages.png(320, 240);
        MultipartBodyBuilder form = EditForms.edit("Turn this scene into a watercolor painting", input);
        form.part("size", "1024x1024");
        form.part("seed", "42");
        form.part("cfg", "4.5");
        form.part("num_inference_steps", "30");

        Map<String, Object> accepted = http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange()
                .expectStatus().isEqualTo(HttpStatus.ACCEPTED)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody(JSON).returnResult().getResponseBody();

        assertThat(accepted).containsEntry("object", "image_job").containsEntry("status", "queued")
                .containsEntry("model", "qwen/qwen-image-edit");
        String id = (String) accepted.get("id");
        assertThat(id).matches("img_[a-z2-7]{26}");
        assertThat(accepted.get("created_at")).isInstanceOf(Number.class);
        assertThat(accepted.get("expires_at")).isInstanceOf(Number.class);
        assertThat(accepted.get("polling_url")).isEqualTo(baseUrl() + "/v1/jobs/" + id);
        assertThat(count("select count(*) from job_images where role = 'INPUT' and job_id = '" + id + "'"))
                .isEqualTo(1);
        assertThat(storedImage(id, "INPUT")).as("the input as uploaded, byte for byte (bytea sent in binary)")
                .isEqualTo(input);

        AtomicReference<Map<String, Object>> job = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            job.set(http().get().uri("/v1/jobs/{id}", id).exchange().expectStatus().isOk()
                    .expectBody(JSON).returnResult().getResponseBody());
            assertThat(job.get().get("status")).isEqualTo("succeeded");
        });

        Map<String, Object> done = job.get();
        assertThat(done.get("unsigned_urls")).asList().singleElement().asString()
                .startsWith(baseUrl() + "/files/results/" + id + "?expires=").contains("&signature=");
        assertThat(done).doesNotContainKey("error");
        assertThat(done.get("cost_usd")).isEqualTo(0.048);
        @SuppressWarnings("unchecked")
        Map<String, Object> timings = (Map<String, Object>) done.get("timings");
        assertThat(timings).containsKeys("queued_at", "submitted_at", "finished_at", "total_seconds");

        byte[] result = http().get().uri(baseUrl() + "/v1/jobs/" + id + "/content").exchange()
                .expectStatus().isOk()
                .expectHeader().contentType(MediaType.IMAGE_PNG)
                .expectBody(byte[].class).returnResult().getResponseBody();
        BufferedImage decoded = TestImages.decode(result);
        assertThat(decoded.getWidth()).isPositive();
        assertThat(result).isNotEqualTo(input).isEqualTo(storedImage(id, "RESULT"));
    }

    private byte[] storedImage(String id, String role) {
        return db.sql("select bytes from job_images where job_id = :id and role = :role")
                .bind("id", id).bind("role", role)
                .map((row, meta) -> row.get("bytes", byte[].class)).one().block(Duration.ofSeconds(10));
    }

    @Test
    void aJpegInputIsAcceptedAndJudgedByItsBytesNotItsName() {
        MultipartBodyBuilder form = new MultipartBodyBuilder();
        form.part("model", "qwen/qwen-image-edit");
        form.part("prompt", "make it night");
        form.part("image", TestImages.jpeg(300, 300)).filename("photo.png").contentType(MediaType.IMAGE_PNG);

        Map<String, Object> accepted = http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();

        String id = (String) accepted.get("id");
        assertThat(db.sql("select content_type from job_images where job_id = :id and role = 'INPUT'")
                .bind("id", id).map((row, meta) -> row.get(0, String.class)).one().block())
                .isEqualTo("image/jpeg");
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(http().get().uri("/v1/jobs/{id}", id)
                .exchange().expectBody(JSON).returnResult().getResponseBody().get("status")));
    }

    @Test
    void theResultOfAJobThatHasNotSucceededIsAConflictNotAnError() {
        Map<String, Object> accepted = http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple("stays running [sim:slow]",
                        TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();

        http().get().uri("/v1/jobs/{id}/content", accepted.get("id")).exchange()
                .expectStatus().isEqualTo(HttpStatus.CONFLICT)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.error.code").isEqualTo("result_not_available");
    }
}
