package com.acme.imageedit.jobs;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job's {@code metadata}: a small map of strings the client attaches to find its jobs again. Bounded so that a
 * client cannot turn it into storage: {@value #MAX_KEYS} keys of at most {@value #MAX_KEY_LENGTH} characters, values
 * of at most {@value #MAX_VALUE_LENGTH}.
 */
final class Metadata {

    static final int MAX_KEYS = 16;
    static final int MAX_KEY_LENGTH = 40;
    static final int MAX_VALUE_LENGTH = 500;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<TreeMap<String, String>> MAP = new TypeReference<>() {
    };

    private Metadata() {
    }

    /**
     * The keys of form fields named {@code metadata[key]}, the one encoding both multipart and JSON bodies and the list
     * filter share; null when {@code field} is not such a name.
     */
    static String keyOf(String field) {
        if (field.startsWith("metadata[") && field.endsWith("]")) {
            return field.substring("metadata[".length(), field.length() - 1);
        }
        return null;
    }

    static String field(String key) {
        return "metadata[" + key + "]";
    }

    /** Checks one entry, answering why it is refused, or null. */
    static String problem(String key, String value) {
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            return "metadata keys must be 1 to " + MAX_KEY_LENGTH + " characters long";
        }
        if (key.chars().anyMatch(c -> Character.isISOControl(c) || c == '[' || c == ']')) {
            return "metadata keys must not contain control characters or brackets";
        }
        if (value.length() > MAX_VALUE_LENGTH) {
            return "metadata['" + key + "'] is longer than " + MAX_VALUE_LENGTH + " characters";
        }
        if (value.indexOf('\0') >= 0) {
            return "metadata values must not contain NUL characters";
        }
        return null;
    }

    static String toJson(Map<String, String> metadata) {
        return JSON.writeValueAsString(new TreeMap<>(metadata));
    }

    static SortedMap<String, String> fromJson(String json) {
        if (json == null || json.isBlank()) {
            return Collections.emptySortedMap();
        }
        return Collections.unmodifiableSortedMap(JSON.readValue(json, MAP));
    }
}
