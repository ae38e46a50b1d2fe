package com.acme.imageedit.simulator;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** TheRouter's error body: {@code {"error":{"code":<http status>,"type":…,"message":…,"metadata":{"retryable":…}}}}. */
final class ErrorResponses {

    private ErrorResponses() {
    }

    static Mono<ServerResponse> badRequest(String message) {
        return error(HttpStatus.BAD_REQUEST, "invalid_request_error", message, false);
    }

    static Mono<ServerResponse> unauthorized() {
        return ServerResponse.status(HttpStatus.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body(HttpStatus.UNAUTHORIZED, "authentication_error",
                        "missing or invalid API key: send Authorization: Bearer <key>", false));
    }

    static Mono<ServerResponse> notFound(String message) {
        return error(HttpStatus.NOT_FOUND, "not_found_error", message, false);
    }

    /** {@code Retry-After} in whole seconds, rounded up and at least 1, as HTTP allows no fractions. */
    static Mono<ServerResponse> tooManyRequests(Duration retryAfter, String message) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        return ServerResponse.status(HttpStatus.TOO_MANY_REQUESTS)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(seconds))
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", message, true));
    }

    static Mono<ServerResponse> error(HttpStatus status, String type, String message, boolean retryable) {
        return ServerResponse.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body(status, type, message, retryable));
    }

    private static Map<String, Object> body(HttpStatus status, String type, String message, boolean retryable) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", status.value());
        error.put("type", type);
        error.put("message", message);
        error.put("metadata", Map.of("retryable", retryable));
        return Map.of("error", error);
    }
}
