package com.acme.imageedit.upstream;

import java.time.Duration;

/**
 * Every failure of a call to TheRouter, typed by what the caller must do about it. The client never swallows an upstream
 * error into an empty result.
 */
public abstract sealed class UpstreamException extends RuntimeException
        permits UpstreamException.Rejected, UpstreamException.Retryable, UpstreamException.OutcomeUnknown,
        UpstreamException.NotFound {

    private final int httpStatus;
    private final UpstreamError error;

    UpstreamException(String message, int httpStatus, UpstreamError error, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.error = error;
    }

    /** The HTTP status the upstream answered, or 0 when no response arrived. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The upstream's error body, normalised, or {@code null} when there was none. */
    public UpstreamError error() {
        return error;
    }

    /** The request was understood and refused (400, 401, 403, 413, 422, …): retrying the same request cannot help. */
    public static final class Rejected extends UpstreamException {
        public Rejected(String message, int httpStatus, UpstreamError error) {
            super(message, httpStatus, error, null);
        }
    }

    /**
     * Worth retrying later: 408, 429, 5xx, or a failure known to have happened before the request was sent.
     * {@code retryAfter} is the upstream's {@code Retry-After}, or {@code null} when it sent none.
     */
    public static final class Retryable extends UpstreamException {
        private final Duration retryAfter;

        public Retryable(String message, int httpStatus, UpstreamError error, Duration retryAfter, Throwable cause) {
            super(message, httpStatus, error, cause);
            this.retryAfter = retryAfter;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /**
     * A submit whose request body may have reached the upstream but whose answer was lost (timeout or connection
     * closed after sending). The upstream may have created, and will bill, a job we know nothing about.
     */
    public static final class OutcomeUnknown extends UpstreamException {
        public OutcomeUnknown(String message, Throwable cause) {
            super(message, 0, null, cause);
        }
    }

    /** The upstream does not know the job (404 on poll or download). */
    public static final class NotFound extends UpstreamException {
        public NotFound(String message, UpstreamError error) {
            super(message, 404, error, null);
        }
    }
}
