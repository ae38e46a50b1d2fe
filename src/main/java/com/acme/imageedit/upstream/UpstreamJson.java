package com.acme.imageedit.upstream;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Lenient reader of TheRouter's job and error bodies. TheRouter documents little and fronts other providers, so every
 * field we do not rely on is optional, and shapes from TheRouter, OpenAI and SiliconFlow are all accepted.
 */
final class UpstreamJson {

    private static final Logger log = LoggerFactory.getLogger(UpstreamJson.class);

    private static final Set<String> KNOWN_JOB_FIELDS = Set.of("id", "object", "status", "model", "created_at",
            "expires_at", "polling_url", "unsigned_urls", "result", "data", "error");

    /** Above this a numeric timestamp can only be milliseconds (1e12 s is the year 33658). */
    private static final BigDecimal MILLIS_THRESHOLD = BigDecimal.valueOf(1_000_000_000_000L);

    private static final int BODY_EXCERPT = 200;

    private final ObjectMapper mapper;

    UpstreamJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** Thrown when a body cannot be a job; the caller decides whether that means "retry" or "outcome unknown". */
    static final class MalformedJob extends RuntimeException {
        MalformedJob(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Parses a job. {@code defaultStatus} stands in for a missing status: a submit answer with an id is still proof
     * that a job exists, whereas a poll answer without a status tells us nothing.
     */
    UpstreamJob parseJob(byte[] body, String defaultStatus) {
        JsonNode root = readTree(body);
        if (root == null || !root.isObject()) {
            throw new MalformedJob("not a JSON object: " + excerpt(body), null);
        }
        String id = text(root.get("id"));
        if (id == null || id.isBlank()) {
            throw new MalformedJob("job has no id: " + excerpt(body), null);
        }
        String status = text(root.get("status"));
        if (status == null || status.isBlank()) {
            if (defaultStatus == null) {
                throw new MalformedJob("job " + id + " has no status: " + excerpt(body), null);
            }
            status = defaultStatus;
        }
        logIgnoredFields(id, root);
        JsonNode[] dataArrays = { root.path("result").path("data"), root.path("data") };
        return new UpstreamJob(
                id,
                status.strip().toLowerCase(Locale.ROOT),
                text(root.get("model")),
                instant(root.get("created_at")),
                instant(root.get("expires_at")),
                resultUrls(root.get("unsigned_urls"), dataArrays),
                firstBase64(dataArrays),
                jobError(root.get("error")));
    }

    /**
     * Normalises any error body. Never returns {@code null}: a body we cannot read still becomes a message, so the
     * caller always has something to show and log.
     */
    UpstreamError parseError(byte[] body, String statusReason) {
        JsonNode root = readTree(body);
        if (root != null && root.isObject()) {
            JsonNode error = root.get("error");
            if (error != null && error.isObject()) {
                UpstreamError parsed = errorObject(error);
                if (parsed != null) {
                    return parsed.message() != null ? parsed : withMessage(parsed, statusReason);
                }
            }
            if (error != null && error.isString() && !error.asString().isBlank()) {
                return new UpstreamError(text(root.get("code")), text(root.get("type")), error.asString(), null);
            }
            // SiliconFlow {"code":…,"message":…} and bare {"message":…}; FastAPI-style {"detail":"…"} for good measure.
            String message = firstText(root, "message", "msg", "detail");
            if (message != null) {
                return new UpstreamError(text(root.get("code")), text(root.get("type")), message,
                        retryableHint(root));
            }
        }
        String excerpt = excerpt(body);
        return new UpstreamError(null, null, excerpt.isEmpty() ? statusReason : statusReason + ": " + excerpt, null);
    }

    /** A job's own {@code error}: an error object, a nested {@code {"error":{…}}}, or a plain string. */
    UpstreamError jobError(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isString()) {
            return node.asString().isBlank() ? null : new UpstreamError(null, null, node.asString(), null);
        }
        if (node.isObject()) {
            if (node.path("error").isObject()) {
                return jobError(node.get("error"));
            }
            UpstreamError parsed = errorObject(node);
            return parsed == null ? null : withMessage(parsed, "upstream job failed");
        }
        return new UpstreamError(null, null, node.toString(), null);
    }

    private UpstreamError errorObject(JsonNode error) {
        String code = text(error.get("code"));
        String type = text(error.get("type"));
        String message = firstText(error, "message", "msg", "detail");
        Boolean retryable = retryableHint(error);
        if (code == null && type == null && message == null && retryable == null) {
            return error.isEmpty() ? null : new UpstreamError(null, null, error.toString(), null);
        }
        return new UpstreamError(code, type, message, retryable);
    }

    private static UpstreamError withMessage(UpstreamError e, String fallback) {
        return e.message() != null ? e : new UpstreamError(e.code(), e.type(), fallback, e.retryable());
    }

    private static Boolean retryableHint(JsonNode node) {
        JsonNode hint = node.path("metadata").get("retryable");
        if (hint == null) {
            hint = node.get("retryable");
        }
        if (hint == null || hint.isNull()) {
            return null;
        }
        if (hint.isBoolean()) {
            return hint.booleanValue();
        }
        if (hint.isString()) {
            String s = hint.asString().strip();
            if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
                return Boolean.valueOf(s);
            }
        }
        return null;
    }

    private static List<String> resultUrls(JsonNode unsignedUrls, JsonNode[] dataArrays) {
        // Ordered and de-duplicated: unsigned_urls are documented, result.data[].url is what some responses carry.
        Set<String> urls = new LinkedHashSet<>();
        if (unsignedUrls != null && unsignedUrls.isArray()) {
            for (JsonNode u : unsignedUrls) {
                addIfText(urls, u);
            }
        } else {
            addIfText(urls, unsignedUrls);
        }
        for (JsonNode data : dataArrays) {
            if (data.isArray()) {
                for (JsonNode item : data) {
                    addIfText(urls, item.get("url"));
                }
            }
        }
        return List.copyOf(new ArrayList<>(urls));
    }

    private static void addIfText(Set<String> urls, JsonNode node) {
        String s = text(node);
        if (s != null && !s.isBlank()) {
            urls.add(s.strip());
        }
    }

    private static String firstBase64(JsonNode[] dataArrays) {
        for (JsonNode data : dataArrays) {
            if (data.isArray()) {
                for (JsonNode item : data) {
                    String b64 = text(item.get("b64_json"));
                    if (b64 != null && !b64.isBlank()) {
                        return b64;
                    }
                }
            }
        }
        return null;
    }

    /** Unix seconds or millis (int or float), or ISO-8601 with or without offset; anything else is dropped. */
    static Instant instant(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            if (node.isNumber()) {
                return fromEpoch(node.decimalValue());
            }
            if (node.isString()) {
                return fromText(node.asString().strip());
            }
        } catch (ArithmeticException | DateTimeParseException e) {
            log.debug("Ignoring unparsable timestamp {}", node);
        }
        return null;
    }

    private static Instant fromText(String s) {
        if (s.isEmpty()) {
            return null;
        }
        if (s.matches("-?\\d+(\\.\\d+)?")) {
            return fromEpoch(new BigDecimal(s));
        }
        // Some serializers write "2026-05-13 10:00:00": a space where ISO wants 'T'.
        String iso = s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
        try {
            return OffsetDateTime.parse(iso).toInstant();
        } catch (DateTimeParseException withoutOffset) {
            // No offset: TheRouter's clocks are UTC, so that is the only sane reading.
            return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC);
        }
    }

    private static Instant fromEpoch(BigDecimal value) {
        BigDecimal seconds = value.abs().compareTo(MILLIS_THRESHOLD) > 0 ? value.movePointLeft(3) : value;
        long whole = seconds.setScale(0, RoundingMode.FLOOR).longValueExact();
        long nanos = seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9).longValue();
        return Instant.ofEpochSecond(whole, nanos);
    }

    private void logIgnoredFields(String id, JsonNode root) {
        if (log.isDebugEnabled()) {
            List<String> ignored = root.propertyNames().stream().filter(n -> !KNOWN_JOB_FIELDS.contains(n)).toList();
            if (!ignored.isEmpty()) {
                log.debug("Job {}: ignoring unknown fields {}", id, ignored);
            }
        }
    }

    private JsonNode readTree(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return mapper.readTree(body);
        } catch (JacksonException e) {
            return null;
        }
    }

    private static String firstText(JsonNode node, String... names) {
        for (String name : names) {
            String s = text(node.get(name));
            if (s != null && !s.isBlank()) {
                return s;
            }
        }
        return null;
    }

    /** Strings as-is, numbers as digits (so code 502 and "502" compare equal), anything else absent. */
    private static String text(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isString()) {
            return node.asString();
        }
        if (node.isNumber() || node.isBoolean()) {
            return node.asString();
        }
        return null;
    }

    static String excerpt(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        String s = new String(body, StandardCharsets.UTF_8).strip();
        return s.length() <= BODY_EXCERPT ? s : s.substring(0, BODY_EXCERPT) + "…";
    }
}
