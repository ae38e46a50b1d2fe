package com.acme.imageedit.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

class UpstreamJsonTest {

    private final UpstreamJson json = new UpstreamJson(JsonMapper.builder().build());

    private UpstreamJob job(String body) {
        return json.parseJob(body.getBytes(StandardCharsets.UTF_8), null);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1778637249                  | 2026-05-13T01:54:09Z",
            "1778637249.25               | 2026-05-13T01:54:09.250Z",
            "1778637249250               | 2026-05-13T01:54:09.250Z",
            "'\"1778637249\"'            | 2026-05-13T01:54:09Z",
            "'\"2026-05-13T01:54:09Z\"'  | 2026-05-13T01:54:09Z",
            "'\"2026-05-13T01:54:09.5Z\"' | 2026-05-13T01:54:09.500Z",
            "'\"2026-05-13T03:54:09+02:00\"' | 2026-05-13T01:54:09Z",
            "'\"2026-05-13T01:54:09\"'   | 2026-05-13T01:54:09Z",
            "'\"2026-05-13 01:54:09\"'   | 2026-05-13T01:54:09Z" })
    void timestampsInEveryForm(String raw, String expected) {
        UpstreamJob job = job("{\"id\":\"j\",\"status\":\"queued\",\"created_at\":" + raw + "}");
        assertThat(job.createdAt()).isEqualTo(Instant.parse(expected));
    }

    @Test
    void unreadableTimestampsAreDroppedNotFatal() {
        UpstreamJob job = job("{\"id\":\"j\",\"status\":\"queued\",\"created_at\":\"yesterday\",\"expires_at\":{}}");
        assertThat(job.createdAt()).isNull();
        assertThat(job.expiresAt()).isNull();
    }

    @Test
    void urlsAreDeduplicatedInOrder() {
        UpstreamJob job = job("""
                {"id":"j","status":"succeeded","unsigned_urls":["u1","u2"],
                 "result":{"data":[{"url":"u2"},{"url":"u3"}]}}""");
        assertThat(job.resultUrls()).containsExactly("u1", "u2", "u3");
    }

    @Test
    void jobWithoutIdOrNotAnObjectIsMalformed() {
        assertThatThrownBy(() -> job("{\"status\":\"queued\"}")).isInstanceOf(UpstreamJson.MalformedJob.class);
        assertThatThrownBy(() -> job("[1,2]")).isInstanceOf(UpstreamJson.MalformedJob.class);
        assertThatThrownBy(() -> job("")).isInstanceOf(UpstreamJson.MalformedJob.class);
    }

    @Test
    void jobErrorShapes() {
        assertThat(job("{\"id\":\"j\",\"status\":\"failed\",\"error\":{\"code\":20015,\"message\":\"bad\"}}").error())
                .isEqualTo(new UpstreamError("20015", null, "bad", null));
        assertThat(job("{\"id\":\"j\",\"status\":\"failed\",\"error\":{\"error\":{\"code\":\"x\",\"message\":\"m\","
                + "\"metadata\":{\"retryable\":\"false\"}}}}").error())
                .isEqualTo(new UpstreamError("x", null, "m", false));
        assertThat(job("{\"id\":\"j\",\"status\":\"failed\",\"error\":{\"type\":\"content_filter\"}}").error())
                .isEqualTo(new UpstreamError(null, "content_filter", "upstream job failed", null));
        assertThat(job("{\"id\":\"j\",\"status\":\"failed\",\"error\":null}").error()).isNull();
    }

    @Test
    void errorWithStringCodeNextToPlainErrorString() {
        UpstreamError e = json.parseError("{\"error\":\"quota\",\"code\":\"insufficient_quota\"}"
                .getBytes(StandardCharsets.UTF_8), "Payment Required");
        assertThat(e).isEqualTo(new UpstreamError("insufficient_quota", null, "quota", null));
    }
}
