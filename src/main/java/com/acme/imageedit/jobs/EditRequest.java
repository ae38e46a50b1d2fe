package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.Map;

/**
 * A submit that passed validation: every field within the model's bounds, the image recognised from its bytes. A
 * generation ({@code operation} GENERATE) has no image ({@code image} and {@code imageInfo} are null).
 *
 * @param metadata       the client's string map, sorted by key
 * @param responseFormat how a waiting (OpenAI-style) answer carries the image: {@code b64_json} or {@code url}; not part
 *                       of the job
 */
record EditRequest(
        JobsProperties.Kind operation,
        JobsProperties.Model model,
        String prompt,
        byte[] image,
        ImageInfo imageInfo,
        String size,
        Long seed,
        Double cfg,
        Integer numInferenceSteps,
        Duration deadline,
        Map<String, String> metadata,
        String responseFormat,
        // Where the job's outcome is POSTed (signed with the team's default secret); null = nowhere.
        String callbackUrl) {

}
