package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input gets a 4xx problem+json that names the field at fault, never a 5xx, and nothing is stored for it.
 * Each case is a request as a careless or hostile client would send it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadRequestsTest extends IntegrationTest {

    private static final byte[] PNG = TestImages.png(256, 256);

    @BeforeAll
    void startFromAnEmptyTable() {
        db.sql("truncate jobs cascade").then().block(Duration.ofSeconds(10));
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                multipart("no image", 400, "image", f -> f.remove("image")),
                multipart("empty image", 400, "image", f -> image(f, new byte[0], "empty.png")),
                multipart("a text file named .png", 415, "image",
                        f -> image(f, "hello, I am text".getBytes(StandardCharsets.UTF_8), "fake.png")),
                multipart("an 11 MB image", 413, "image", f -> image(f, bigPng(11 * 1024 * 1024), "big.png")),
                multipart("image as a text field", 400, "image", f -> {
                    f.remove("image");
                    f.add("image", text("iVBORw0KGgo="));
                }),
                multipart("two images", 400, "image", f -> f.add("image", file("image", PNG, "second.png"))),
                multipart("missing prompt", 400, "prompt", f -> f.remove("prompt")),
                multipart("blank prompt", 400, "prompt", f -> replace(f, "prompt", "   ")),
                multipart("prompt too long", 400, "prompt", f -> replace(f, "prompt", "x".repeat(4001))),
                multipart("seed -1", 400, "seed", f -> f.add("seed", text("-1"))),
                multipart("seed not a number", 400, "seed", f -> f.add("seed", text("forty-two"))),
                multipart("seed too large", 400, "seed", f -> f.add("seed", text("10000000000"))),
                multipart("steps 0", 400, "num_inference_steps", f -> f.add("num_inference_steps", text("0"))),
                multipart("steps 101", 400, "num_inference_steps", f -> f.add("num_inference_steps", text("101"))),
                multipart("cfg 25", 400, "cfg", f -> f.add("cfg", text("25"))),
                multipart("cfg NaN", 400, "cfg", f -> f.add("cfg", text("NaN"))),
                multipart("size 5000x5000", 400, "size", f -> f.add("size", text("5000x5000"))),
                multipart("size nonsense", 400, "size", f -> f.add("size", text("big"))),
                multipart("unknown model", 400, "model", f -> replace(f, "model", "acme/teleporter")),
                multipart("n = 2", 400, "n", f -> f.add("n", text("2"))),
                multipart("deadline too short", 400, "deadline_seconds", f -> f.add("deadline_seconds", text("0"))),
                raw("malformed multipart", 400, "body", MediaType.parseMediaType("multipart/form-data; boundary=xyz"),
                        "--xyz\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nunterminated"),
                raw("multipart without boundary", 400, "Content-Type", MediaType.MULTIPART_FORM_DATA, "whatever"),
                raw("wrong content type", 415, "Content-Type", MediaType.TEXT_PLAIN, "prompt=hello"),
                raw("JSON is not multipart", 415, "Content-Type", MediaType.APPLICATION_XML, "<edit/>"),
                get("unknown job id", 404, "id", "/v1/jobs/img_aaaaaaaaaaaaaaaaaaaaaaaaaa"),
                get("path tricks in the job id", 400, "path", "/v1/jobs/..%2F..%2Fetc%2Fpasswd"),
                get("malformed job id", 404, "id", "/v1/jobs/IMG_NOT-OURS"),
                get("content of unknown job", 404, "id", "/v1/jobs/img_bbbbbbbbbbbbbbbbbbbbbbbbbb/content"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void isRefusedWithAProblemNamingTheField(String name, Request request, int status, String field) {
        request.send(http())
                .expectStatus().isEqualTo(status)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(status)
                .jsonPath("$.field").isEqualTo(field)
                .jsonPath("$.error.param").isEqualTo(field)
                .jsonPath("$.detail").isNotEmpty()
                .jsonPath("$.error.message").isNotEmpty();

        assertThat(count("select count(*) from jobs")).as("jobs stored").isZero();
        assertThat(count("select count(*) from job_images")).as("images stored").isZero();
    }

    interface Request {
        WebTestClient.ResponseSpec send(WebTestClient client);
    }

    private static Arguments multipart(String name, int status, String field, Consumer<MultiValueMap<String, HttpEntity<?>>> spoil) {
        Request request = client -> {
            MultipartBodyBuilder form = new MultipartBodyBuilder();
            form.part("model", "qwen/qwen-image-edit");
            form.part("prompt", "make it blue");
            form.part("image", PNG).filename("input.png").contentType(MediaType.IMAGE_PNG);
            MultiValueMap<String, HttpEntity<?>> parts = form.build();
            spoil.accept(parts);
            return client.post().uri("/v1/images/edits?async=true")
                    .body(BodyInserters.fromMultipartData(parts)).exchange();
        };
        return Arguments.of(name, request, status, field);
    }

    private static Arguments raw(String name, int status, String field, MediaType type, String body) {
        Request request = client -> client.method(HttpMethod.POST).uri("/v1/images/edits?async=true")
                .contentType(type).bodyValue(body).exchange();
        return Arguments.of(name, request, status, field);
    }

    private static Arguments get(String name, int status, String field, String path) {
        Request request = client -> client.get().uri(path).exchange();
        return Arguments.of(name, request, status, field);
    }

    private static void image(MultiValueMap<String, HttpEntity<?>> form, byte[] bytes, String filename) {
        form.set("image", file("image", bytes, filename));
    }

    private static void replace(MultiValueMap<String, HttpEntity<?>> form, String name, String value) {
        form.set(name, text(value));
    }

    private static HttpEntity<?> text(String value) {
        MultipartBodyBuilder part = new MultipartBodyBuilder();
        part.part("x", value);
        return part.build().getFirst("x");
    }

    private static HttpEntity<?> file(String name, byte[] bytes, String filename) {
        MultipartBodyBuilder part = new MultipartBodyBuilder();
        part.part(name, bytes).filename(filename).contentType(MediaType.IMAGE_PNG);
        return part.build().getFirst(name);
    }

    /** A valid PNG header padded to {@code size} bytes: big enough to hit the limit, cheap to make. */
    private static byte[] bigPng(int size) {
        byte[] bytes = new byte[size];
        System.arraycopy(PNG, 0, bytes, 0, PNG.length);
        return bytes;
    }
}
