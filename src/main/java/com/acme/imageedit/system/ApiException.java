package com.acme.imageedit.system;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.http.HttpStatus;

/**
 * A request the service refuses, rendered as RFC 9457 problem+json by {@link ProblemRendering}. {@code field} names the
 * request field at fault (or is {@code null}), so that clients can show the message next to it.
 */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final String field;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Map<String, Object> extensions = new LinkedHashMap<>();

    public ApiException(HttpStatus status, String code, String field, String message) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    public static ApiException badRequest(String field, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, "invalid_request", field, message);
    }

    public static ApiException notFound(String field, String message) {
        return new ApiException(HttpStatus.NOT_FOUND, "not_found", field, message);
    }

    public static ApiException conflict(String code, String message) {
        return new ApiException(HttpStatus.CONFLICT, code, null, message);
    }

    /** Adds a response header to the problem, such as {@code Retry-After}. */
    public ApiException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public Map<String, String> headers() {
        return Map.copyOf(headers);
    }

    /** Adds a member to the problem body, such as {@code remaining_usd} of a refused budget. */
    public ApiException with(String member, Object value) {
        extensions.put(member, value);
        return this;
    }

    public Map<String, Object> extensions() {
        return Map.copyOf(extensions);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(HttpStatus.UNAUTHORIZED, "invalid_api_key", "Authorization", message)
                .withHeader("WWW-Authenticate", "Bearer");
    }

    public static ApiException forbidden(String message) {
        return new ApiException(HttpStatus.FORBIDDEN, "forbidden", null, message);
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }
}
