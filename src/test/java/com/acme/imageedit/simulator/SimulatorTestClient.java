package com.acme.imageedit.simulator;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/** Talks to a running simulator over real HTTP, the way the proxy's client would. */
final class SimulatorTestClient {

    static final String KEY = "test-key";
    static final String MODEL = "qwen/qwen-image-edit";
    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    /** What came back: status, headers, and the body as JSON (empty map when none) or bytes. */
    record Reply(int status, HttpHeaders headers, Map<String, Object> json, byte[] bytes) {

        @SuppressWarnings("unchecked")
        Map<String, Object> error() {
            return (Map<String, Object>) json.get("error");
        }
    }

    private final WebClient web = WebClient.builder()
            .codecs(c -> c.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
            .build();
    private final URI base;

    SimulatorTestClient(URI base) {
        this.base = base;
    }

    Mono<Reply> submitAsync(String prompt, byte[] image) {
        return submit("/v1/images/edits?async=true", KEY, b -> {
            b.part("model", MODEL);
            b.part("prompt", prompt);
            b.part("size", "1024x1024");
            b.part("image", image).filename("input.png").contentType(MediaType.IMAGE_PNG);
        });
    }

    Mono<Reply> submit(String pathAndQuery, String key, Consumer<MultipartBodyBuilder> parts) {
        MultipartBodyBuilder builder = new MultipartBodyBuilder();
        parts.accept(builder);
        return exchange(web.post().uri(base + pathAndQuery)
                .headers(h -> auth(h, key))
                .body(BodyInserters.fromMultipartData(builder.build())));
    }

    Mono<Reply> get(String pathOrUrl, String key) {
        String url = pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl;
        return exchange(web.get().uri(URI.create(url)).headers(h -> auth(h, key)));
    }

    Reply poll(String id) {
        return get("/v1/jobs/" + id, KEY).block(Duration.ofSeconds(10));
    }

    String status(String id) {
        return (String) poll(id).json().get("status");
    }

    private static void auth(HttpHeaders headers, String key) {
        if (key != null) {
            headers.setBearerAuth(key);
        }
    }

    private static Mono<Reply> exchange(WebClient.RequestHeadersSpec<?> spec) {
        return spec.exchangeToMono(response -> {
            boolean json = response.headers().contentType()
                    .map(MediaType.APPLICATION_JSON::isCompatibleWith).orElse(false);
            int status = response.statusCode().value();
            HttpHeaders headers = response.headers().asHttpHeaders();
            if (json) {
                return response.bodyToMono(JSON).map(body -> new Reply(status, headers, body, new byte[0]));
            }
            return response.bodyToMono(byte[].class).defaultIfEmpty(new byte[0])
                    .map(body -> new Reply(status, headers, Map.of(), body));
        });
    }

    static byte[] samplePng(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, new Color(x * 255 / width, 40, y * 255 / height).getRGB());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static BufferedImage decode(byte[] bytes) {
        try {
            return ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
