package com.acme.imageedit.jobs;

import java.time.Duration;

/** A submit that passed validation: every field within the model's bounds, the image recognised from its bytes. */
record EditRequest(
        JobsProperties.Model model,
        String prompt,
        byte[] image,
        ImageInfo imageInfo,
        String size,
        Long seed,
        Double cfg,
        Integer numInferenceSteps,
        Duration deadline,
        // Where the job's outcome is POSTed (signed with the team's default secret); null = nowhere.
        String callbackUrl) {
}
