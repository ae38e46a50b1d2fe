package com.acme.imageedit.jobs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.system.ApiException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads an {@code application/json} submit into the same {@link EditForm} a multipart one becomes, so that one
 * validator judges both: scalars become fields, {@code image} (base64 or a {@code data:} URL) becomes the file part,
 * and the {@code metadata} object becomes {@code metadata[key]} fields.
 * <p>
 * Memory: the body is read into one array (of its declared length; a larger declared length is refused before a byte
 * is read) and parsed with Jackson's streaming parser, which skips the image string without building it; the image is
 * decoded from the body's bytes into an array of its exact size ({@link JsonImageText}). So while a submit is read,
 * its body and its decoded image are the only copies of the image alive (before, the body was joined, made a String,
 * parsed into a tree of char buffers and a second String, cut by a regex and stripped of whitespace: five to six
 * copies). Other strings are measured before they are built, and one longer than the room left for other fields is
 * refused unread.
 * <p>
 * Errors come in the order the tree parser gave them: a syntax error anywhere in the document first, then the first
 * member in document order that is refused.
 */
@Component
class JsonEditFormReader {

    /** Room for the other fields next to a base64 image, and the longest any other string may be. */
    static final int OTHER_FIELDS = 256 * 1024;

    private final JobsProperties properties;
    /** Refuses duplicate members: which of two "prompt"s counts is for no parser to guess (multipart refuses too). */
    private final ObjectReader strict;

    JsonEditFormReader(JobsProperties properties, JsonMapper json) {
        this.properties = properties;
        // values are read one at a time from the document's parser, which goes on after each
        this.strict = json.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    Mono<EditForm> read(ServerWebExchange exchange) {
        long maxImage = properties.maxImageSize().toBytes();
        int limit = (int) Math.min(Integer.MAX_VALUE - 8, (maxImage + 2) / 3 * 4 + OTHER_FIELDS);
        long declared = exchange.getRequest().getHeaders().getContentLength();
        return BodyBytes.read(exchange.getRequest().getBody(), declared, limit)
                .onErrorMap(DataBufferLimitException.class, e -> {
                    ApiException tooLarge = new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "request_too_large",
                            "image", "the JSON body is larger than an image of " + maxImage + " bytes in base64 takes");
                    // refused by its declared length: the body was not read, so the connection cannot be reused
                    return declared > limit ? tooLarge.withHeader(HttpHeaders.CONNECTION, "close") : tooLarge;
                })
                .flatMap(body -> body.length == 0
                        ? Mono.error(ApiException.badRequest("body", "the JSON body is empty"))
                        : Mono.fromCallable(() -> toForm(body)));
    }

    private EditForm toForm(byte[] body) {
        if (!utf8(body)) {
            // Jackson would read UTF-16 and UTF-32 too, by other parsers without byte offsets; JSON is UTF-8
            throw ApiException.badRequest("body", "malformed JSON: the body must be UTF-8 without a byte order mark");
        }
        Form form = new Form(body);
        try (JsonParser parser = strict.createParser(body, 0, body.length)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                if (first != null) {
                    parser.skipChildren();
                    endOfDocument(parser);
                }
                throw ApiException.badRequest("body", "the JSON body must be an object");
            }
            while (nextIsName(parser, "body")) {
                String name = parser.currentName();
                parser.nextToken();
                form.member(name, parser);
            }
            endOfDocument(parser);
        } catch (JacksonException e) {
            throw ApiException.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
        }
        return form.toEditForm();
    }

    /**
     * Whether Jackson will read the body as UTF-8 with byte offsets from its start: no byte order mark, and no zero
     * byte in the first four (how it detects UTF-16 and UTF-32 without one).
     */
    private static boolean utf8(byte[] body) {
        if (body.length >= 2 && ((body[0] & 0xff) == 0xfe || (body[0] & 0xff) == 0xff || (body[0] & 0xff) == 0xef)) {
            return false;
        }
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the next token is a member name. A name with half a surrogate pair ("\ud800") is refused by the UTF-8
     * parser as it reads it (where the tree parser of a String took it and {@link #text} refused it): refused here as
     * text that is no Unicode, naming {@code field}.
     */
    private static boolean nextIsName(JsonParser parser, String field) {
        try {
            return parser.nextToken() == JsonToken.PROPERTY_NAME;
        } catch (StreamReadException e) {
            // "Broken surrogate pair in property name", "Unexpected low surrogate in property name"
            String message = String.valueOf(e.getOriginalMessage());
            if (message.contains("surrogate") && message.contains("property name")) {
                throw new Unreadable(field, field + " has a member name with an unpaired surrogate: not valid "
                        + "Unicode text");
            }
            throw e;
        }
    }

    private static void endOfDocument(JsonParser parser) {
        JsonToken trailing = parser.nextToken();
        if (trailing != null) {
            throw ApiException.badRequest("body", "malformed JSON: trailing token (" + trailing
                    + ") after the JSON object");
        }
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

    /** A refusal after which the parser cannot go on: it ends the reading at once. */
    private static final class Unreadable extends ApiException {

        Unreadable(String field, String message) {
            super(HttpStatus.BAD_REQUEST, "invalid_request", field, message);
        }
    }

    /**
     * The form as members are read. The first refused member is kept and the rest of the document is only parsed,
     * so that a syntax error further on still wins (as the tree parser had it) and nothing more is decoded.
     */
    private final class Form {

        private final byte[] body;
        private final Map<String, List<String>> fields = new LinkedHashMap<>();
        private final List<EditForm.Upload> uploads = new ArrayList<>();
        private ApiException refused;

        Form(byte[] body) {
            this.body = body;
        }

        void member(String name, JsonParser parser) {
            if (refused != null || parser.currentToken() == JsonToken.VALUE_NULL) {
                parser.skipChildren();
                return;
            }
            try {
                if (name.equals("image")) {
                    images(parser);
                } else if (name.equals("metadata")) {
                    metadata(parser);
                } else if (parser.currentToken().isScalarValue()) {
                    fields.computeIfAbsent(text(name, name), k -> new ArrayList<>()).add(text(name, scalar(name,
                            parser)));
                } else {
                    throw ApiException.badRequest(name, name + " must be a string or a number");
                }
            } catch (Unreadable e) {
                throw e;
            } catch (ApiException e) {
                refused = e;
                parser.skipChildren();
            }
        }

        private void images(JsonParser parser) {
            if (parser.currentToken() == JsonToken.START_ARRAY) {
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    if (refused == null) {
                        try {
                            uploads.add(new EditForm.Upload("image", image(parser)));
                        } catch (ApiException e) {
                            refused = e;
                        }
                    }
                    parser.skipChildren();
                }
            } else {
                uploads.add(new EditForm.Upload("image", image(parser)));
            }
        }

        /** Decoded from the body's bytes; the parser then skips the string without building it. */
        private byte[] image(JsonParser parser) {
            if (parser.currentToken() != JsonToken.VALUE_STRING) {
                throw ApiException.badRequest("image", "image must be a string: base64, or a data URL "
                        + "(data:image/png;base64,…)");
            }
            return JsonImageText.decode(body, quote(parser), properties.maxImageSize().toBytes());
        }

        private void metadata(JsonParser parser) {
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw ApiException.badRequest("metadata", "metadata must be an object of strings");
            }
            while (nextIsName(parser, "metadata")) {
                String key = parser.currentName();
                JsonToken value = parser.nextToken();
                if (refused != null) {
                    parser.skipChildren();
                    continue;
                }
                if (value != JsonToken.VALUE_STRING) {
                    refused = ApiException.badRequest("metadata", "metadata['" + key + "'] must be a string");
                    parser.skipChildren();
                    continue;
                }
                try {
                    fields.computeIfAbsent(Metadata.field(text("metadata", key)), k -> new ArrayList<>())
                            .add(text("metadata", scalar("metadata", parser)));
                } catch (ApiException e) {
                    refused = e;
                }
            }
        }

        /** A scalar as text, as the tree parser's node gave it; a string over the room for other fields unread. */
        private String scalar(String field, JsonParser parser) {
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                int length = JsonImageText.rawLength(body, quote(parser));
                if (length > OTHER_FIELDS) {
                    throw ApiException.badRequest(field, field + " is " + length + " bytes of JSON; no field but the "
                            + "image may be longer than " + OTHER_FIELDS);
                }
            }
            JsonNode node = strict.readTree(parser);
            return node.asString();
        }

        /** Where the current string token's opening quote is in the body. */
        private int quote(JsonParser parser) {
            long offset = parser.currentTokenLocation().getByteOffset();
            if (offset < 0 || offset >= body.length || body[(int) offset] != '"') {
                throw new IllegalStateException("the parser placed a string at byte " + offset);
            }
            return (int) offset;
        }

        EditForm toEditForm() {
            if (refused != null) {
                throw refused;
            }
            return new EditForm(fields, uploads);
        }
    }
}
