package com.acme.imageedit.jobs;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.system.ApiException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Flux;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streaming JSON reader: what it allocates to read a submit of the largest image (the body and the image, and
 * little else), and that it makes of generated documents what the tree reader it replaced made of them
 * ({@link #reference}): the same fields and images, or a refusal with the same status naming the same field.
 */
class JsonEditFormReaderTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long MAX_IMAGE = 10L * 1024 * 1024;
    /** A member name that is, or ends with, the first half of a surrogate pair. */
    private static final Pattern LONE_SURROGATE_NAME = Pattern.compile("\\\\ud[89ab][0-9a-f]{2}\":");

    private static JsonEditFormReader reader(long maxImage) {
        JobsProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "jobs.max-image-size", maxImage + "B",
                "jobs.models[0].id", "qwen/qwen-image-edit",
                "jobs.models[0].price-usd", "0.048"))).bind("jobs", JobsProperties.class).get();
        return new JsonEditFormReader(properties, JSON);
    }

    private static MockServerWebExchange exchange(byte[] body, boolean declared) {
        DefaultDataBufferFactory buffers = DefaultDataBufferFactory.sharedInstance;
        List<DataBuffer> chunks = new ArrayList<>();
        for (int at = 0; at < body.length; at += 65536) {
            // slices of the array, as the network would hand them over (wrapped, not copied)
            chunks.add(buffers.wrap(ByteBuffer.wrap(body, at, Math.min(65536, body.length - at)).slice()));
        }
        MockServerHttpRequest.BodyBuilder request = MockServerHttpRequest.post("/v1/images/edits")
                .contentType(MediaType.APPLICATION_JSON);
        if (declared) {
            request.contentLength(body.length);
        }
        return MockServerWebExchange.from(request.body(Flux.fromIterable(chunks)));
    }

    @Test
    void readingTheLargestImageAllocatesTheBodyAndTheImageOnce() {
        Random random = new Random(7);
        byte[] image = new byte[(int) MAX_IMAGE];
        random.nextBytes(image);
        String base64 = Base64.getEncoder().encodeToString(image);
        byte[] body = ("{\"model\":\"qwen/qwen-image-edit\",\"prompt\":\"a watercolor\",\"metadata\":{\"k\":\"v\"},"
                + "\"image\":\"data:image/png;base64," + base64 + "\"}").getBytes(StandardCharsets.US_ASCII);
        JsonEditFormReader reader = reader(MAX_IMAGE);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

        for (boolean declared : new boolean[]{true, false}) {
            // warm up: class loading and the JIT allocate too
            reader.read(exchange(body, declared)).block();
            MockServerWebExchange exchange = exchange(body, declared);
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            EditForm form = reader.read(exchange).block();
            long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;

            assertThat(form.uploads()).singleElement().satisfies(u -> assertThat(u.bytes()).isEqualTo(image));
            System.out.printf("[json-reader] %s body of %d bytes, image of %d bytes: %d bytes allocated "
                    + "(%.2f body + image)%n", declared ? "declared" : "chunked", body.length, image.length,
                    allocated, (double) allocated / (body.length + image.length));
            // A declared body goes straight into its array; a chunked one is copied chunk by chunk and joined once.
            long copiesOfTheBody = declared ? 1 : 2;
            assertThat(allocated).as("bytes allocated to read the submit")
                    .isLessThan(copiesOfTheBody * body.length + image.length + 1024 * 1024);
        }
    }

    @Test
    void generatedDocumentsAreReadAsTheTreeReaderReadThem() {
        // -Dseed=… repeats a run
        long seed = Long.getLong("seed", System.nanoTime());
        Random random = new Random(seed);
        JsonEditFormReader reader = reader(64);
        int refused = 0;
        for (int i = 0; i < 3000; i++) {
            String document = document(random);
            byte[] body = document.getBytes(StandardCharsets.UTF_8);
            Result expected = reference(body, 64);
            Result actual;
            try {
                actual = Result.of(reader.read(exchange(body, random.nextBoolean())).block());
            } catch (ApiException e) {
                actual = Result.of(e);
            }
            if (LONE_SURROGATE_NAME.matcher(document).find()) {
                // The one difference: a member name with half a surrogate pair, anywhere, is refused by the UTF-8
                // parser as it reads it, so the document is refused (400) but not always naming what the tree reader
                // named (the broken name itself, an earlier member, or the body).
                assertThat(actual.status()).as("seed %d, document %s", seed, JSON.writeValueAsString(document))
                        .isEqualTo(400);
            } else {
                assertThat(actual).as("seed %d, document %s", seed, JSON.writeValueAsString(document))
                        .isEqualTo(expected);
            }
            refused += expected.status() == 0 ? 0 : 1;
        }
        assertThat(refused).as("seed %d", seed).isBetween(300, 2700);
    }

    private static String document(Random random) {
        List<String> members = new ArrayList<>();
        int count = random.nextInt(6);
        for (int i = 0; i < count; i++) {
            String name = pick(random, "prompt", "model", "seed", "image", "metadata", "size", "x", "image", "prompt",
                    "\\ud800", "\\ud83d\\ude00");
            members.add("\"" + name + "\":" + value(random, name));
        }
        String object = "{" + String.join(random.nextBoolean() ? "," : " , ", members) + "}";
        return switch (random.nextInt(14)) {
            case 0 -> object.substring(0, random.nextInt(object.length()));
            case 1 -> object + pick(random, " ", " x", " {}", "\n");
            case 2 -> pick(random, "[]", "\"s\"", "5", "null", "   ", "[1,", "{");
            case 3 -> object.replace(":", random.nextBoolean() ? "::" : ": ");
            default -> object;
        };
    }

    private static String value(Random random, String name) {
        String image = Base64.getEncoder().encodeToString(new byte[random.nextInt(80)]);
        return switch (random.nextInt(name.equals("image") ? 9 : name.equals("metadata") ? 7 : 6)) {
            case 0 -> pick(random, "null", "true", "1.50", "1e400", "-0", "123456789012345678901234567890", "7");
            case 1 -> pick(random, "\"a \\\"quoted\\\" prompt\"", "\"\\ud800\"", "\"\\ud83d\\ude00 ok\"",
                    "\"caf\u00e9\"", "\"\"", "\"\\/\\n\"");
            case 2 -> pick(random, "{}", "[]", "[\"a\"]", "{\"a\":1}");
            case 3 -> JSON.writeValueAsString("text " + random.nextInt(1000));
            case 4 -> pick(random, "{\"k\":\"v\"}", "{\"k\":1}", "{\"k\":\"v\",\"k\":\"w\"}", "{\"\\ud800\":\"v\"}",
                    "{\"k\":null}", "{\"a\":\"1\",\"b\":\"2\"}");
            case 5 -> "\"" + image + "\"";
            case 6 -> "{\"k\":{\"nested\":[1,2]},\"j\":\"v\"}";
            case 7 -> pick(random, "[\"" + image + "\"]", "[\"" + image + "\", null]", "[]", "[\"" + image + "\",\""
                    + image + "\"]", "\"data:image/png;base64," + image + "\"", "\"" + image + "!\"", "5",
                    "\"https://example.com/x.png\"");
            default -> "\"" + Base64.getEncoder().encodeToString(new byte[65 + random.nextInt(10)]) + "\"";
        };
    }

    private static String pick(Random random, String... choices) {
        return choices[random.nextInt(choices.length)];
    }

    /** The tree reader this one replaced, in its essentials: readTree of the whole body as a String. */
    private static Result reference(byte[] bytes, long maxImage) {
        ObjectReader strict = JSON.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
        try {
            JsonNode root;
            try {
                root = strict.readTree(new String(bytes, StandardCharsets.UTF_8));
            } catch (JacksonException e) {
                throw ApiException.badRequest("body", "malformed JSON");
            }
            if (root == null || !root.isObject()) {
                throw ApiException.badRequest("body", "the JSON body must be an object");
            }
            Map<String, List<String>> fields = new LinkedHashMap<>();
            List<byte[]> uploads = new ArrayList<>();
            for (Map.Entry<String, JsonNode> member : root.properties()) {
                String name = member.getKey();
                JsonNode value = member.getValue();
                if (value.isNull()) {
                    continue;
                }
                if (name.equals("image")) {
                    if (value.isArray()) {
                        value.forEach(item -> uploads.add(referenceImage(item, maxImage)));
                    } else {
                        uploads.add(referenceImage(value, maxImage));
                    }
                } else if (name.equals("metadata")) {
                    if (!value.isObject()) {
                        throw ApiException.badRequest("metadata", "metadata must be an object of strings");
                    }
                    for (Map.Entry<String, JsonNode> entry : value.properties()) {
                        if (!entry.getValue().isString()) {
                            throw ApiException.badRequest("metadata", "not a string");
                        }
                        fields.computeIfAbsent(Metadata.field(text("metadata", entry.getKey())),
                                k -> new ArrayList<>()).add(text("metadata", entry.getValue().asString()));
                    }
                } else if (value.isValueNode()) {
                    fields.computeIfAbsent(text(name, name), k -> new ArrayList<>()).add(text(name, value.asString()));
                } else {
                    throw ApiException.badRequest(name, name + " must be a string or a number");
                }
            }
            return new Result(fields, uploads, 0, null);
        } catch (ApiException e) {
            return Result.of(e);
        }
    }

    private static final Pattern DATA_URL = Pattern.compile("data:([\\w.+-]+/[\\w.+-]+)?(;[^,]*)?;base64,(.*)",
            Pattern.DOTALL);

    private static byte[] referenceImage(JsonNode value, long maxImage) {
        if (!value.isString()) {
            throw ApiException.badRequest("image", "image must be a string");
        }
        String text = value.asString().strip();
        Matcher dataUrl = DATA_URL.matcher(text);
        String base64 = dataUrl.matches() ? dataUrl.group(3) : text;
        if (text.startsWith("http://") || text.startsWith("https://")) {
            throw ApiException.badRequest("image", "image URLs are not fetched");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("image", "not base64");
        }
        if (bytes.length > maxImage) {
            throw new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "image_too_large", "image", "too large");
        }
        return bytes;
    }

    private static String text(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.badRequest(field, "unpaired surrogate");
            }
        }
        return value;
    }

    private record Result(Map<String, List<String>> fields, List<byte[]> uploads, int status, String field) {

        static Result of(EditForm form) {
            return new Result(form.fields(), form.uploads().stream().map(EditForm.Upload::bytes).toList(), 0, null);
        }

        static Result of(ApiException e) {
            return new Result(Map.of(), List.of(), e.status().value(), e.field());
        }

        @Override
        public boolean equals(Object other) {
            if (!(other instanceof Result r) || status != r.status || !java.util.Objects.equals(field, r.field)
                    || !fields.equals(r.fields) || uploads.size() != r.uploads.size()) {
                return false;
            }
            for (int i = 0; i < uploads.size(); i++) {
                if (!java.util.Arrays.equals(uploads.get(i), r.uploads.get(i))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return status;
        }

        @Override
        public String toString() {
            return status == 0 ? "fields " + fields + ", " + uploads.size() + " images"
                    : "refused " + status + " naming " + field;
        }
    }
}
