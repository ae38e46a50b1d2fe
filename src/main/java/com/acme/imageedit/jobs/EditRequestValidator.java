package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.system.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Judges an {@link EditForm} against the model table and the service's limits. Every refusal names the field at fault;
 * nothing is stored for a refused request.
 */
@Component
class EditRequestValidator {

    private static final Logger log = LoggerFactory.getLogger(EditRequestValidator.class);
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");
    private static final Set<String> KNOWN_FIELDS = Set.of("model", "prompt", "image", "size", "seed", "cfg",
            "num_inference_steps", "n", "deadline_seconds", "response_format", "callback_url");

    private final JobsProperties properties;

    EditRequestValidator(JobsProperties properties) {
        this.properties = properties;
    }

    /** Judges a submit to the endpoint of {@code operation}: an edit needs an image, a generation takes none. */
    EditRequest validate(EditForm form, JobsProperties.Kind operation) {
        form.fields().keySet().stream()
                .filter(name -> !KNOWN_FIELDS.contains(name) && Metadata.keyOf(name) == null)
                .forEach(name -> log.debug("Ignoring unknown submit field {}", name));

        JobsProperties.Model model = model(form, operation);
        String prompt = prompt(form);
        byte[] image = null;
        ImageInfo info = null;
        if (operation == JobsProperties.Kind.EDIT) {
            image = image(form);
            info = imageInfo(image);
        } else if (!form.uploads().isEmpty() || form.fields().containsKey("image")) {
            throw ApiException.badRequest("image", "generations take no input image; to edit an image use "
                    + "/v1/images/edits");
        }
        String size = size(form, model);
        Long seed = longField(form, "seed", model.minSeed(), model.maxSeed());
        Double cfg = cfg(form, model);
        Long steps = longField(form, "num_inference_steps", model.minSteps(), model.maxSteps());
        Long n = longField(form, "n", 1, 1);
        if (n != null && n != 1) {
            throw ApiException.badRequest("n", "n must be 1");
        }
        Duration deadline = deadline(form);
        return new EditRequest(operation, model, prompt, image, info, size, seed, cfg,
                steps == null ? null : steps.intValue(), deadline, metadata(form), responseFormat(form),
                callbackUrl(form));
    }

    private static Map<String, String> metadata(EditForm form) {
        Map<String, String> metadata = new TreeMap<>();
        for (String name : form.fields().keySet()) {
            String key = Metadata.keyOf(name);
            if (key == null) {
                continue;
            }
            String value = single(form, name);
            String problem = Metadata.problem(key, value);
            if (problem != null) {
                throw ApiException.badRequest("metadata", problem);
            }
            metadata.put(key, value);
        }
        if (metadata.size() > Metadata.MAX_KEYS) {
            throw ApiException.badRequest("metadata", "metadata has " + metadata.size() + " keys; the limit is "
                    + Metadata.MAX_KEYS);
        }
        return metadata;
    }

    private static String responseFormat(EditForm form) {
        String format = single(form, "response_format");
        if (format == null || format.isBlank()) {
            return "b64_json";
        }
        if (!format.strip().equals("b64_json") && !format.strip().equals("url")) {
            throw ApiException.badRequest("response_format", "response_format must be b64_json or url");
        }
        return format.strip();
    }

    private JobsProperties.Model model(EditForm form, JobsProperties.Kind operation) {
        String id = single(form, "model");
        if (id == null || id.isBlank()) {
            // Generations default to the table's first generation model; edits to the configured default.
            id = operation == JobsProperties.Kind.EDIT ? properties.defaultModel()
                    : properties.models().stream().filter(m -> m.kind() == operation).map(JobsProperties.Model::id)
                    .findFirst().orElseThrow(() -> ApiException.badRequest("model", "no generation model is offered"));
        }
        String requested = id.strip();
        JobsProperties.Model model = properties.model(requested).orElseThrow(() -> ApiException.badRequest("model",
                "model '" + abbreviate(requested) + "' is not offered here; known models: "
                        + properties.models().stream().map(JobsProperties.Model::id).toList()));
        // TheRouter's model page posts its edit model to /v1/images/generations without an image, as its recommended
        // call: a generation accepts every model (and is forwarded to TheRouter's generations endpoint as it came).
        // An edit needs a model that edits: a generation model given an image is refused before anything is stored.
        if (operation == JobsProperties.Kind.EDIT && model.kind() != JobsProperties.Kind.EDIT) {
            List<String> suitable = properties.models().stream().filter(m -> m.kind() == JobsProperties.Kind.EDIT)
                    .map(JobsProperties.Model::id).toList();
            throw ApiException.badRequest("model", "model '" + requested + "' does not edit images; use "
                    + "/v1/images/generations for it, or one of " + suitable + " here");
        }
        return model;
    }

    private String prompt(EditForm form) {
        String prompt = single(form, "prompt");
        if (prompt == null || prompt.isBlank()) {
            throw ApiException.badRequest("prompt", "prompt is required");
        }
        int length = prompt.codePointCount(0, prompt.length());
        if (length > properties.maxPromptLength()) {
            throw ApiException.badRequest("prompt", "prompt is " + length + " characters long; the limit is "
                    + properties.maxPromptLength());
        }
        if (prompt.indexOf('\0') >= 0) {
            throw ApiException.badRequest("prompt", "prompt must not contain NUL characters");
        }
        return prompt;
    }

    private static byte[] image(EditForm form) {
        List<EditForm.Upload> images = form.uploads().stream()
                .filter(u -> u.field().equals("image") || u.field().equals("image[]")).toList();
        if (images.isEmpty()) {
            String reason = form.fields().containsKey("image")
                    ? "image must be a file part (multipart with a filename), not a text field"
                    : "image is required";
            throw ApiException.badRequest("image", reason);
        }
        if (form.fields().containsKey("image")) {
            throw ApiException.badRequest("image", "image was given both as a file and as a text field");
        }
        if (images.size() > 1) {
            throw ApiException.badRequest("image", "this model takes exactly one input image; got " + images.size());
        }
        byte[] bytes = images.get(0).bytes();
        if (bytes.length == 0) {
            throw ApiException.badRequest("image", "image is empty");
        }
        return bytes;
    }

    private ImageInfo imageInfo(byte[] image) {
        ImageInfo info = ImageSniffer.sniff(image).orElseThrow(() -> new ApiException(
                HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_image", "image",
                "image must be a PNG, JPEG or WEBP file (judged by its content, not its name)"));
        if (info.pixels() > properties.maxImagePixels()) {
            throw ApiException.badRequest("image", "image declares " + info.width() + "x" + info.height()
                    + " pixels; the limit is " + properties.maxImagePixels() + " pixels in all");
        }
        if (!ImageSniffer.isComplete(image, info)) {
            throw ApiException.badRequest("image", "image is truncated or damaged: its "
                    + info.contentType().substring("image/".length()).toUpperCase() + " structure ends early or is "
                    + "broken");
        }
        return info;
    }

    private static String size(EditForm form, JobsProperties.Model model) {
        String size = single(form, "size");
        if (size == null || size.isBlank() || size.strip().equals("auto")) {
            return null;
        }
        Matcher m = SIZE.matcher(size.strip());
        if (!m.matches()) {
            throw ApiException.badRequest("size", "size must look like 1024x1024 (WIDTHxHEIGHT) or be auto");
        }
        int width = Integer.parseInt(m.group(1));
        int height = Integer.parseInt(m.group(2));
        if (width < model.minSide() || width > model.maxSide() || height < model.minSide()
                || height > model.maxSide()) {
            throw ApiException.badRequest("size", "size sides must be between " + model.minSide() + " and "
                    + model.maxSide() + " pixels");
        }
        return width + "x" + height;
    }

    private static Double cfg(EditForm form, JobsProperties.Model model) {
        String raw = single(form, "cfg");
        if (raw == null || raw.isBlank()) {
            return null;
        }
        double cfg;
        try {
            cfg = Double.parseDouble(raw.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("cfg", "cfg must be a number");
        }
        if (!Double.isFinite(cfg) || cfg < model.minCfg() || cfg > model.maxCfg()) {
            throw ApiException.badRequest("cfg", "cfg must be between " + model.minCfg() + " and " + model.maxCfg());
        }
        return cfg;
    }

    private Duration deadline(EditForm form) {
        Long seconds = longField(form, "deadline_seconds", properties.minDeadline().toSeconds(),
                properties.maxDeadline().toSeconds());
        return seconds == null ? properties.defaultDeadline() : Duration.ofSeconds(seconds);
    }

    /** Only its shape here; whether it may be called (scheme, resolved addresses) is {@link CallbackUrlCheck}'s. */
    private static String callbackUrl(EditForm form) {
        String url = single(form, "callback_url");
        if (url == null || url.isBlank()) {
            return null;
        }
        if (url.strip().length() > 2048) {
            throw ApiException.badRequest("callback_url", "callback_url must be at most 2048 characters");
        }
        return url.strip();
    }

    private static Long longField(EditForm form, String name, long min, long max) {
        String raw = single(form, name);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        long value;
        try {
            value = Long.parseLong(raw.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, name + " must be an integer");
        }
        if (value < min || value > max) {
            throw ApiException.badRequest(name, name + " must be between " + min + " and " + max);
        }
        return value;
    }

    private static String single(EditForm form, String name) {
        List<String> values = form.fields().get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiException.badRequest(name, name + " was given " + values.size() + " times");
        }
        return values.get(0);
    }

    private static String abbreviate(String value) {
        return value.length() > 80 ? value.substring(0, 80) + "…" : value;
    }
}
