package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.system.ApiException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads an {@code application/json} submit into the same {@link EditForm} a multipart one becomes, so that one
 * validator judges both: scalars become fields, {@code image} (base64 or a {@code data:} URL) becomes the file part,
 * and the {@code metadata} object becomes {@code metadata[key]} fields. The body is cut off at what the largest image
 * takes in base64, before it is parsed.
 */
@Component
class JsonEditFormReader {

    private static final Pattern DATA_URL = Pattern.compile("data:([\\w.+-]+/[\\w.+-]+)?(;[^,]*)?;base64,(.*)",
            Pattern.DOTALL);
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    /** Room for the other fields next to a base64 image. */
    private static final int OTHER_FIELDS = 256 * 1024;

    private final JobsProperties properties;
    /** Refuses duplicate members: which of two "prompt"s counts is for no parser to guess (multipart refuses too). */
    private final ObjectReader strict;

    JsonEditFormReader(JobsProperties properties, JsonMapper json) {
        this.properties = properties;
        this.strict = json.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    Mono<EditForm> read(ServerWebExchange exchange) {
        long maxImage = properties.maxImageSize().toBytes();
        int limit = (int) Math.min(Integer.MAX_VALUE - 8, (maxImage + 2) / 3 * 4 + OTHER_FIELDS);
        return DataBufferUtils.join(exchange.getRequest().getBody(), limit)
                .map(buffer -> {
                    try {
                        return buffer.toString(StandardCharsets.UTF_8);
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .onErrorMap(DataBufferLimitException.class, e -> new ApiException(HttpStatus.PAYLOAD_TOO_LARGE,
                        "request_too_large", "image", "the JSON body is larger than an image of " + maxImage
                        + " bytes in base64 takes"))
                .switchIfEmpty(Mono.error(() -> ApiException.badRequest("body", "the JSON body is empty")))
                .map(this::toForm);
    }

    private EditForm toForm(String body) {
        JsonNode root;
        try {
            root = strict.readTree(body);
        } catch (JacksonException e) {
            throw ApiException.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiException.badRequest("body", "the JSON body must be an object");
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        List<EditForm.Upload> uploads = new ArrayList<>();
        for (Map.Entry<String, JsonNode> member : root.properties()) {
            String name = member.getKey();
            JsonNode value = member.getValue();
            if (value.isNull()) {
                continue;
            }
            if (name.equals("image")) {
                if (value.isArray()) {
                    value.forEach(item -> uploads.add(new EditForm.Upload("image", image(item))));
                } else {
                    uploads.add(new EditForm.Upload("image", image(value)));
                }
            } else if (name.equals("metadata")) {
                metadata(value, fields);
            } else if (value.isValueNode()) {
                fields.computeIfAbsent(text(name, name), k -> new ArrayList<>()).add(text(name, value.asString()));
            } else {
                throw ApiException.badRequest(name, name + " must be a string or a number");
            }
        }
        return new EditForm(fields, uploads);
    }

    /**
     * JSON may escape half a surrogate pair ("\ud800") that no UTF-8 text can hold: stored, it would silently become
     * '?'. Refused instead, naming the field.
     */
    private static String text(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.badRequest(field, field + " contains an unpaired surrogate (\\u" + Integer.toHexString(c)
                        + "): not valid Unicode text");
            }
        }
        return value;
    }

    private byte[] image(JsonNode value) {
        if (!value.isString()) {
            throw ApiException.badRequest("image", "image must be a string: base64, or a data URL "
                    + "(data:image/png;base64,…)");
        }
        String text = value.asString().strip();
        Matcher dataUrl = DATA_URL.matcher(text);
        String base64 = dataUrl.matches() ? dataUrl.group(3) : text;
        if (text.startsWith("http://") || text.startsWith("https://")) {
            throw ApiException.badRequest("image", "image URLs are not fetched; send the image as base64 or a data URL");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(WHITESPACE.matcher(base64).replaceAll(""));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("image", "image is not valid base64: " + e.getMessage());
        }
        if (bytes.length > properties.maxImageSize().toBytes()) {
            throw new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "image_too_large", "image",
                    "image is larger than " + properties.maxImageSize().toBytes() + " bytes");
        }
        return bytes;
    }

    private static void metadata(JsonNode value, Map<String, List<String>> fields) {
        if (!value.isObject()) {
            throw ApiException.badRequest("metadata", "metadata must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            if (!entry.getValue().isString()) {
                throw ApiException.badRequest("metadata", "metadata['" + entry.getKey() + "'] must be a string");
            }
            fields.computeIfAbsent(Metadata.field(text("metadata", entry.getKey())), k -> new ArrayList<>())
                    .add(text("metadata", entry.getValue().asString()));
        }
    }
}
