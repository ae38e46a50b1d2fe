package com.acme.imageedit.simulator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.util.MultiValueMap;
import reactor.core.publisher.Mono;

/**
 * A submit's multipart fields as received. Validation follows the model's published limits, so that a proxy bug that
 * sends out-of-range values shows up against the simulator as it would against the real upstream.
 *
 * @param imageCount how many {@code image} parts arrived; {@code image} holds the first one's bytes
 */
record SubmitForm(String model, String prompt, byte[] image, int imageCount, boolean imageIsFile, String size,
                  String seed, String cfg, String steps) {

    private static final Pattern SIZE = Pattern.compile("\\d{1,5}x\\d{1,5}");
    private static final long MAX_SEED = 9_999_999_999L;

    static Mono<SubmitForm> read(MultiValueMap<String, Part> parts) {
        List<Part> images = parts.getOrDefault("image", List.of());
        Mono<byte[]> image = images.isEmpty() ? Mono.just(new byte[0]) : bytes(images.get(0));
        return Mono.zip(text(parts, "model"), text(parts, "prompt"), image, text(parts, "size"), text(parts, "seed"),
                        text(parts, "cfg"), text(parts, "num_inference_steps"))
                .map(t -> new SubmitForm(t.getT1(), t.getT2(), t.getT3(), images.size(),
                        !images.isEmpty() && images.get(0) instanceof FilePart,
                        t.getT4(), t.getT5(), t.getT6(), t.getT7()));
    }

    /** The first thing wrong with the form, as a message naming the field, or empty when it is acceptable. */
    Optional<String> problem() {
        if (model.isBlank()) {
            return Optional.of("model is required");
        }
        if (prompt.isBlank()) {
            return Optional.of("prompt is required");
        }
        if (imageCount == 0 || image.length == 0) {
            return Optional.of("image is required");
        }
        if (!imageIsFile) {
            return Optional.of("image must be a file part");
        }
        if (imageCount > 1) {
            return Optional.of("image: this model accepts exactly one input image");
        }
        if (!size.isBlank() && !SIZE.matcher(size.trim()).matches()) {
            return Optional.of("size must look like 1024x1024");
        }
        if (!seed.isBlank() && !inRange(seed, 0, MAX_SEED)) {
            return Optional.of("seed must be an integer between 0 and " + MAX_SEED);
        }
        if (!cfg.isBlank() && !decimalInRange(cfg, 0.1, 20.0)) {
            return Optional.of("cfg must be a number between 0.1 and 20");
        }
        if (!steps.isBlank() && !inRange(steps, 1, 100)) {
            return Optional.of("num_inference_steps must be an integer between 1 and 100");
        }
        return Optional.empty();
    }

    private static Mono<String> text(MultiValueMap<String, Part> parts, String name) {
        Part part = parts.getFirst(name);
        if (part == null) {
            return Mono.just("");
        }
        if (part instanceof FormFieldPart field) {
            return Mono.just(field.value());
        }
        return bytes(part).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    private static Mono<byte[]> bytes(Part part) {
        return DataBufferUtils.join(part.content()).map(buffer -> {
            try {
                byte[] bytes = new byte[buffer.readableByteCount()];
                buffer.read(bytes);
                return bytes;
            } finally {
                DataBufferUtils.release(buffer);
            }
        }).defaultIfEmpty(new byte[0]);
    }

    private static boolean inRange(String value, long min, long max) {
        try {
            long parsed = Long.parseLong(value.trim());
            return parsed >= min && parsed <= max;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean decimalInRange(String value, double min, double max) {
        try {
            double parsed = Double.parseDouble(value.trim());
            return parsed >= min && parsed <= max;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
