package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** JSON submits (base64 or data URL images), generations (with either kind of model), metadata, and bad JSON. */
class JsonAndGenerationsTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void aJsonEditWithADataUrlAndMetadataRunsLikeAMultipartOne() {
        String png = Base64.getEncoder().encodeToString(TestImages.png(300, 200));
        Map<String, Object> job = http().post().uri("/v1/images/edits?async=true")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("model", "qwen/qwen-image-edit", "prompt", "json edit",
                        "image", "data:image/png;base64," + png, "seed", 7, "cfg", 4.5,
                        "metadata", Map.of("ticket", "T-1", "owner", "ops")))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();
        assertThat(job.get("metadata")).isEqualTo(Map.of("ticket", "T-1", "owner", "ops"));
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(status((String) job.get("id"))));
        assertThat(count("select count(*) from jobs where seed = 7 and cfg = 4.5 and id = '" + job.get("id") + "'"))
                .isEqualTo(1);
    }

    @Test
    void aGenerationAsTheModelPageSendsItRunsWithAGenerationModel() {
        Map<String, Object> job = http().post().uri("/v1/images/generations?async=true")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("model", "qwen/qwen-image", "prompt",
                        "A cinematic product render with soft studio lighting"))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();
        assertThat(job).containsEntry("model", "qwen/qwen-image").containsEntry("status", "queued");
        String id = (String) job.get("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(status(id)));
        byte[] image = http().get().uri("/v1/jobs/{id}/content", id).exchange().expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(TestImages.decode(image).getWidth()).isPositive();
        assertThat(count("select count(*) from job_images where role = 'INPUT' and job_id = '" + id + "'")).isZero();
    }

    @Test
    void aWaitingMultipartGenerationAnswersOpenAisShape() {
        MultipartBodyBuilder form = new MultipartBodyBuilder();
        form.part("prompt", "a lighthouse at dusk");
        Map<String, Object> answer = http().post().uri("/v1/images/generations")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> data = (List<Map<String, Object>>) answer.get("data");
        assertThat(TestImages.decode(Base64.getDecoder().decode((String) data.get(0).get("b64_json"))).getWidth())
                .isPositive();
    }

    @Test
    void anEditModelOnTheGenerationsEndpointIsForwardedAsTheModelPageSendsIt() {
        // TheRouter's model page posts its edit model to /generations without an image: a drop-in forwards it so.
        Map<String, Object> job = http().post().uri("/v1/images/generations?async=true")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("model", "qwen/qwen-image-edit", "prompt", "A cinematic product render"))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();
        assertThat(job).containsEntry("model", "qwen/qwen-image-edit");
        String id = (String) job.get("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(status(id)));
        assertThat(count("select count(*) from jobs where operation = 'GENERATE' and id = '" + id + "'")).isEqualTo(1);
        String upstreamId = db.sql("select upstream_id from jobs where id = :id").bind("id", id)
                .map((row, meta) -> row.get(0, String.class)).one().block(Duration.ofSeconds(5));
        assertThat(simulator.upstreamIdsByPrompt().get("A cinematic product render")).containsExactly(upstreamId);
    }

    @Test
    void aGenerationModelOnTheEditsEndpointIs400NamingModel() {
        http().post().uri("/v1/images/edits?async=true").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("model", "qwen/qwen-image", "prompt", "edit with a generator",
                        "image", Base64.getEncoder().encodeToString(TestImages.png(256, 256))))
                .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("model")
                .jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("qwen/qwen-image-edit"));
        assertThat(count("select count(*) from jobs where prompt = 'edit with a generator'")).isZero();
    }

    @Test
    void badJsonAndMetadataAreProblemsNamingTheField() {
        rejected("{\"prompt\": \"x\", \"image\": \"not base64!!\"}", "image");
        rejected("{\"prompt\": \"x\", \"image\": 12}", "image");
        rejected("{\"prompt\": \"x\"", "body");
        rejected("[1, 2]", "body");
        String png = Base64.getEncoder().encodeToString(TestImages.png(256, 256));
        rejected("{\"prompt\": \"x\", \"image\": \"" + png + "\", \"metadata\": {\"n\": 1}}", "metadata");
        rejected("{\"prompt\": \"x\", \"image\": \"" + png + "\", \"metadata\": {\"" + "k".repeat(41)
                + "\": \"v\"}}", "metadata");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\": \"v\"");
        }
        rejected("{\"prompt\": \"x\", \"image\": \"" + png + "\", \"metadata\": {" + many + "}}", "metadata");
        rejected("{\"prompt\": \"x\", \"image\": \"" + png + "\", \"response_format\": \"gif\"}", "response_format");
        http().post().uri("/v1/images/generations?async=true").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt\": \"x\", \"image\": \"" + png + "\"}")
                .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("image");
    }

    private void rejected(String body, String field) {
        http().post().uri("/v1/images/edits?async=true").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.field").isEqualTo(field);
    }

    private String status(String id) {
        return (String) http().get().uri("/v1/jobs/{id}", id).exchange().expectBody(JSON).returnResult()
                .getResponseBody().get("status");
    }
}
