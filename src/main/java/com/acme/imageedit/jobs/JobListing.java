package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

import com.acme.imageedit.system.ApiException;
import org.springframework.stereotype.Component;
import org.springframework.util.MultiValueMap;

/**
 * {@code GET /v1/jobs}'s query language and its pages. The cursor is the last row's {@code (created_at, id)}, the
 * listing's sort key, so a page continues exactly after the previous one whatever was inserted meanwhile; it is encoded
 * opaquely so that clients do not build their own.
 */
@Component
class JobListing {

    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;
    private static final String CURSOR_VERSION = "c1";
    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");
    private static final Pattern UNIX_SECONDS = Pattern.compile("\\d{1,12}");

    JobQuery query(MultiValueMap<String, String> params) {
        Instant afterAt = null;
        String afterId = null;
        String after = single(params, "after");
        if (after != null) {
            String[] cursor = decode(after);
            afterAt = storable(Instant.EPOCH.plus(Long.parseLong(cursor[1]), ChronoUnit.MICROS), "after");
            afterId = cursor[2];
        }
        return new JobQuery(afterAt, afterId, statuses(params), instant(params, "created_after"),
                instant(params, "created_before"), metadata(params), limit(params));
    }

    JobPage page(List<Job> rows, int limit, Function<Job, JobView> render) {
        boolean hasMore = rows.size() > limit;
        List<Job> page = hasMore ? rows.subList(0, limit) : rows;
        String next = hasMore ? encode(page.get(page.size() - 1)) : null;
        return new JobPage("list", page.stream().map(render).toList(), hasMore, next);
    }

    static String encode(Job last) {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, last.createdAt());
        String raw = CURSOR_VERSION + ":" + micros + ":" + last.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decode(String cursor) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.UTF_8);
            String[] parts = raw.split(":", 3);
            if (parts.length == 3 && parts[0].equals(CURSOR_VERSION) && JobIds.isWellFormed(parts[2])) {
                Long.parseLong(parts[1]);
                return parts;
            }
        } catch (IllegalArgumentException e) {
            // falls through to the refusal: NumberFormatException is one too
        }
        throw ApiException.badRequest("after", "after must be a next_cursor from an earlier page of this list");
    }

    private static int limit(MultiValueMap<String, String> params) {
        String raw = single(params, "limit");
        if (raw == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(raw.strip());
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiException.badRequest("limit", "limit must be an integer from 1 to " + MAX_LIMIT);
    }

    private static List<String> statuses(MultiValueMap<String, String> params) {
        Set<String> statuses = new LinkedHashSet<>();
        for (String value : params.getOrDefault("status", List.of())) {
            if (value == null) {
                continue;
            }
            for (String name : value.split(",")) {
                String wanted = name.strip();
                if (wanted.isEmpty()) {
                    continue;
                }
                List<String> matching = new ArrayList<>();
                for (JobStatus status : JobStatus.values()) {
                    if (status.publicName().equals(wanted)) {
                        matching.add(status.name());
                    }
                }
                if (matching.isEmpty()) {
                    throw ApiException.badRequest("status", "status must be one of queued, in_progress, succeeded, "
                            + "failed, cancelled, expired (comma-separated for several)");
                }
                statuses.addAll(matching);
            }
        }
        return List.copyOf(statuses);
    }

    private static Instant instant(MultiValueMap<String, String> params, String name) {
        String raw = single(params, name);
        if (raw == null) {
            return null;
        }
        String value = raw.strip();
        try {
            return storable(UNIX_SECONDS.matcher(value).matches() ? Instant.ofEpochSecond(Long.parseLong(value))
                    : Instant.parse(value), name);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(name, name + " must be unix seconds or an ISO-8601 instant "
                    + "(2026-01-31T12:00:00Z)");
        }
    }

    /**
     * Java's instants reach a billion years either way, PostgreSQL's timestamps 4713 BC to 294276 AD: an instant outside
     * the years 1 to 9999 is a client's mistake, refused as such rather than left to the driver and the database.
     */
    private static Instant storable(Instant instant, String name) {
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw ApiException.badRequest(name, name + " must lie between the years 1 and 9999");
        }
        return instant;
    }

    private static Map<String, String> metadata(MultiValueMap<String, String> params) {
        Map<String, String> metadata = new TreeMap<>();
        for (Map.Entry<String, List<String>> param : params.entrySet()) {
            String key = Metadata.keyOf(param.getKey());
            if (key == null) {
                continue;
            }
            if (param.getValue().size() != 1) {
                throw ApiException.badRequest("metadata", param.getKey() + " was given " + param.getValue().size()
                        + " times");
            }
            if (param.getValue().get(0) == null) {
                throw ApiException.badRequest("metadata", param.getKey() + " needs a value (" + param.getKey()
                        + "=value)");
            }
            String problem = Metadata.problem(key, param.getValue().get(0));
            if (problem != null) {
                throw ApiException.badRequest("metadata", problem);
            }
            metadata.put(key, param.getValue().get(0));
        }
        return metadata;
    }

    private static String single(MultiValueMap<String, String> params, String name) {
        List<String> values = params.get(name);
        // "?limit" (a name without "=") arrives as a null value: the same as no value
        if (values == null || values.isEmpty() || values.get(0) == null || values.get(0).isBlank()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiException.badRequest(name, name + " was given " + values.size() + " times");
        }
        return values.get(0);
    }
}
