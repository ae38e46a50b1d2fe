package com.acme.imageedit.system;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import io.netty.handler.timeout.ReadTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every error the service answers, from any layer (controllers, codecs, routing), becomes RFC 9457
 * {@code application/problem+json}. The body also carries an {@code error} object shaped like TheRouter's and OpenAI's
 * ({@code code}, {@code type}, {@code message}, {@code param}), so that clients written for them read our errors too.
 * It runs before Spring Boot's own error handler (order -1) so that no error escapes in another shape.
 */
@Component
@Order(-2)
public class ProblemRendering implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemRendering.class);
    private static final String REQUEST_TIMEOUT_EXCEPTION = "reactor.netty.http.server.RequestTimeoutException";
    private static final String PROBLEM_BASE = "https://image-edit-proxy.internal/problems/";
    /*
     * Reactor restores thread locals only in handle/tap operators (spring.reactor.context-propagation: limited), so
     * the request's trace context is put in place here, from the subscriber context, for the log line's trace id.
     */
    private static final ContextSnapshotFactory SNAPSHOTS = ContextSnapshotFactory.builder().build();

    private final JsonMapper json;

    ProblemRendering(JsonMapper json) {
        this.json = json;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(failure);
        }
        InvalidMediaTypeException badType = findCause(failure, InvalidMediaTypeException.class);
        if (badType != null) {
            // A header that is no media type at all: the client's fault, named by header.
            String contentType = exchange.getRequest().getHeaders().getFirst(HttpHeaders.CONTENT_TYPE);
            String header = badType.getMediaType().equals(contentType) ? HttpHeaders.CONTENT_TYPE : HttpHeaders.ACCEPT;
            return write(exchange, new Problem(HttpStatus.BAD_REQUEST, "invalid_request", header,
                    header + " is not a valid media type: " + badType.getMessage(), Map.of(), Map.of()), failure);
        }
        return write(exchange, toProblem(failure), failure);
    }

    /** Writes a refusal decided outside a controller (for example by the security filters). */
    public Mono<Void> write(ServerWebExchange exchange, ApiException refusal) {
        return write(exchange, toProblem(refusal), refusal);
    }

    private Mono<Void> write(ServerWebExchange exchange, Problem problem, Throwable failure) {
        if (!logged(problem, failure)) {
            // refusals (401, 404, 429 …) log at debug: no context to restore for a line nobody reads
            return render(exchange, problem);
        }
        return Mono.deferContextual(context -> {
            try (ContextSnapshot.Scope traced = SNAPSHOTS.setThreadLocalsFrom(context)) {
                log(exchange, problem, failure);
            }
            return render(exchange, problem);
        });
    }

    private static boolean logged(Problem problem, Throwable failure) {
        return problem.status().is5xxServerError() && !isBusy(failure) ? log.isWarnEnabled() : log.isDebugEnabled();
    }

    /** A body refused under the in-flight bound: a refusal like a 429, not a failure. */
    private static boolean isBusy(Throwable failure) {
        return BodiesInFlight.isBusy(failure);
    }

    private static void log(ServerWebExchange exchange, Problem problem, Throwable failure) {
        if (isBusy(failure)) {
            log.debug("Request {} {} refused: {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(),
                    failure.getMessage());
        } else if (problem.status().value() == HttpStatus.SERVICE_UNAVAILABLE.value()) {
            // an outage produces one of these per request: one line each, not a stack trace
            log.warn("Request {} {} answered 503: {}", exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath(), failure.toString());
        } else if (problem.status().is5xxServerError()) {
            log.error("Request {} {} failed", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), failure);
        } else {
            log.debug("Request {} {} refused: {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(),
                    failure.toString());
        }
    }

    private Mono<Void> render(ServerWebExchange exchange, Problem problem) {
        ServerHttpResponse response = exchange.getResponse();
        Map<String, Object> body = problem.body(exchange.getRequest().getPath().value());
        byte[] bytes = json.writeValueAsBytes(body);
        response.setStatusCode(problem.status());
        HttpHeaders headers = response.getHeaders();
        headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        headers.setContentLength(bytes.length);
        problem.headers().forEach(headers::set);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }

    private Problem toProblem(Throwable failure) {
        // a body refused under the in-flight bound, whatever a reader wrapped it in
        BodiesInFlight.Busy busy = findCause(failure, BodiesInFlight.Busy.class);
        if (busy != null || failure instanceof ApiException) {
            ApiException api = busy != null ? busy : (ApiException) failure;
            return new Problem(api.status(), api.code(), api.field(), api.getMessage(), api.headers(),
                    api.extensions());
        }
        if (isClientTimeout(failure)) {
            return new Problem(HttpStatus.REQUEST_TIMEOUT, "request_timeout", "body",
                    "The request body was not received in time (limits.request-timeout, limits.read-timeout)",
                    Map.of(HttpHeaders.CONNECTION, "close"), Map.of());
        }
        Throwable limit = findCause(failure, DataBufferLimitException.class);
        if (limit != null) {
            return new Problem(HttpStatus.PAYLOAD_TOO_LARGE, "request_too_large", "body",
                    "The request body or one of its parts is too large: " + limit.getMessage(), Map.of(), Map.of());
        }
        if (failure instanceof UnsupportedMediaTypeStatusException unsupported) {
            return new Problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Content-Type",
                    "Content-Type " + unsupported.getContentType() + " is not supported here; use one of "
                            + unsupported.getSupportedMediaTypes(), Map.of(), Map.of());
        }
        if (failure instanceof MethodNotAllowedException notAllowed) {
            return new Problem(HttpStatus.METHOD_NOT_ALLOWED, "method_not_allowed", null, notAllowed.getReason(),
                    Map.of(HttpHeaders.ALLOW, String.join(", ",
                            notAllowed.getSupportedMethods().stream().map(Object::toString).toList())), Map.of());
        }
        if (failure instanceof NotAcceptableStatusException) {
            return new Problem(HttpStatus.NOT_ACCEPTABLE, "not_acceptable", "Accept",
                    "None of the accepted media types can be produced", Map.of(), Map.of());
        }
        if (failure instanceof ServerWebInputException input) {
            return new Problem(HttpStatus.BAD_REQUEST, "invalid_request", "body",
                    "The request could not be read: " + rootMessage(input), Map.of(), Map.of());
        }
        if (failure instanceof DecodingException decoding) {
            return new Problem(HttpStatus.BAD_REQUEST, "invalid_request", "body",
                    "The request could not be read: " + rootMessage(decoding), Map.of(), Map.of());
        }
        if (failure instanceof ResponseStatusException status) {
            HttpStatus resolved = HttpStatus.resolve(status.getStatusCode().value());
            HttpStatus code = resolved == null ? HttpStatus.INTERNAL_SERVER_ERROR : resolved;
            String message = status.getReason() != null ? status.getReason() : code.getReasonPhrase();
            return new Problem(code, code == HttpStatus.NOT_FOUND ? "not_found" : "http_" + code.value(), null,
                    message, Map.of(), Map.of());
        }
        if (DatabaseOutage.causedBy(failure)) {
            return new Problem(HttpStatus.SERVICE_UNAVAILABLE, "database_unavailable", null,
                    "The service cannot reach its database right now; nothing was stored. Retry shortly",
                    Map.of(HttpHeaders.RETRY_AFTER, "2"), Map.of());
        }
        return new Problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error", null,
                "The service failed to handle the request; it has been logged", Map.of(), Map.of());
    }

    /** Whether a request failed because its client was too slow to send it (Reactor Netty's request/read timeouts). */
    public static boolean isClientTimeout(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            // Reactor Netty's RequestTimeoutException is package-private: known by name
            if (t instanceof ReadTimeoutException || t.getClass().getName().equals(REQUEST_TIMEOUT_EXCEPTION)) {
                return true;
            }
        }
        return false;
    }

    private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        if (message == null) {
            return root.getClass().getSimpleName();
        }
        return message.length() > 300 ? message.substring(0, 300) + "…" : message;
    }

    private record Problem(HttpStatusCode status, String code, String field, String message,
                           Map<String, String> headers, Map<String, Object> extensions) {

        Map<String, Object> body(String instance) {
            HttpStatus httpStatus = HttpStatus.resolve(status.value());
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", code);
            error.put("type", errorType());
            error.put("message", message);
            if (field != null) {
                error.put("param", field);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("type", URI.create(PROBLEM_BASE + code.replace('_', '-')).toString());
            body.put("title", httpStatus == null ? "Error" : httpStatus.getReasonPhrase());
            body.put("status", status.value());
            body.put("detail", message);
            body.put("instance", instance);
            if (field != null) {
                body.put("field", field);
            }
            extensions.forEach(body::putIfAbsent);
            body.put("error", error);
            return body;
        }

        private String errorType() {
            int value = status.value();
            if (value == 401 || value == 403) {
                return "authentication_error";
            }
            if (value == 402) {
                return "budget_error";
            }
            if (value == 404) {
                return "not_found_error";
            }
            if (value == 429) {
                return "rate_limit_error";
            }
            if (value >= 500) {
                return value == 503 ? "service_unavailable" : "server_error";
            }
            return "invalid_request_error";
        }
    }
}
