package com.acme.imageedit.upstream;

/**
 * What the proxy sends to TheRouter for one job. Optional parameters are {@code null} when the client did not set them,
 * so that TheRouter applies its own defaults.
 */
public record UpstreamSubmission(
        String model,
        String prompt,
        byte[] image,
        String imageContentType,
        String size,
        Long seed,
        Double cfg,
        Integer numInferenceSteps) {
}
