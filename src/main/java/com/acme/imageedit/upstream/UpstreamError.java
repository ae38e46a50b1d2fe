package com.acme.imageedit.upstream;

/**
 * An error as TheRouter (or SiliconFlow, or an OpenAI-style body) described it, normalised.
 *
 * @param code      the upstream's code as text (numeric codes are rendered as digits), or {@code null}
 * @param type      the upstream's error type, or {@code null}
 * @param message   a human message, never {@code null}
 * @param retryable the upstream's own {@code metadata.retryable} hint, or {@code null} when it gave none
 */
public record UpstreamError(String code, String type, String message, Boolean retryable) {
}
