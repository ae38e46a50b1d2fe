package com.acme.imageedit.jobs;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * OpenAI's images answer, for submits without {@code async=true} whose job succeeded in time:
 * {@code {"created":…,"data":[{"b64_json":…}]}}, or {@code url} (our signed link) with {@code response_format=url}.
 */
record ImagesResponse(long created, List<Image> data) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Image(String b64Json, String url) {
    }
}
