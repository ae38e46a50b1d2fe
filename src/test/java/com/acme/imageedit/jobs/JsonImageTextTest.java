package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.system.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The image decoded from the raw JSON string judges every text as the tree-and-String decoding it replaced did
 * ({@link #reference}: strip, the data URL pattern, whitespace removed, the JDK's base64 decoder): the same bytes, or
 * a refusal for the same texts, over thousands of generated strings (valid and broken base64, padding, whitespace,
 * JSON escapes, data URLs, image URLs) on a new seed each run.
 */
class JsonImageTextTest {

    private static final Pattern DATA_URL = Pattern.compile("data:([\\w.+-]+/[\\w.+-]+)?(;[^,]*)?;base64,(.*)",
            Pattern.DOTALL);
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long MAX = 10_000;

    /** What the reader did before: the string as the tree parser gave it, then regex and the JDK decoder. */
    private static Outcome reference(String text) {
        String stripped = text.strip();
        Matcher dataUrl = DATA_URL.matcher(stripped);
        String base64 = dataUrl.matches() ? dataUrl.group(3) : stripped;
        if (stripped.startsWith("http://") || stripped.startsWith("https://")) {
            return Outcome.refused(400);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(WHITESPACE.matcher(base64).replaceAll(""));
        } catch (IllegalArgumentException e) {
            return Outcome.refused(400);
        }
        return bytes.length > MAX ? Outcome.refused(413) : new Outcome(bytes, 0);
    }

    private static Outcome decoded(String text) {
        byte[] json = ("{\"image\":" + JSON.writeValueAsString(text) + "}").getBytes(StandardCharsets.UTF_8);
        return decodedFromJson(json, 9);
    }

    private static Outcome decodedFromJson(byte[] json, int quote) {
        try {
            return new Outcome(JsonImageText.decode(json, quote, MAX), 0);
        } catch (ApiException e) {
            assertThat(e.field()).isEqualTo("image");
            return Outcome.refused(e.status().value());
        }
    }

    @Test
    void generatedTextsAreJudgedAsBefore() {
        // -Dseed=… repeats a run
        long seed = Long.getLong("seed", System.nanoTime());
        Random random = new Random(seed);
        int refused = 0;
        for (int i = 0; i < 5000; i++) {
            String text = generate(random);
            Outcome expected = reference(text);
            Outcome actual = decoded(text);
            assertThat(actual).as("seed %d, text %s", seed, abbreviate(text)).isEqualTo(expected);
            refused += expected.status() == 0 ? 0 : 1;
        }
        // both kinds were generated
        assertThat(refused).as("seed %d", seed).isBetween(500, 4500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "QQ", "QQ==", "QUI=", "QUJD", "QUJDRA==", "Q", "Q=", "QQ=", "QQ=x", "QQ==x", "QQ== ",
            "=", "==", "QUJD=", "QU JD", " QUJD\n", "QU\tJD\r\n", "data:image/png;base64,QUJD",
            "data:;base64,QUJD", "data:image/png;charset=x;base64, QU JD ", "data:image/png,QUJD",
            "data:image/png;base64", "http://example.com/a.png", "https://x", "QUJD!", "QUJD-_", "Q\u00e9JD",
            "data:image/png;base64,QUJD,QUJD"})
    void edgeCasesAreJudgedAsBefore(String text) {
        assertThat(decoded(text)).as(text).isEqualTo(reference(text));
    }

    @Test
    void jsonEscapesAreResolvedAsTheParserWould() {
        // data:image\/png, base64 with \/ and \n escapes, a \u0041 for 'A'
        String escaped = "{\"image\":\"data:image\\/png;base64,\\u0041UJD\\/\\/\\/\\/\\nQQ==\"}";
        byte[] json = escaped.getBytes(StandardCharsets.UTF_8);
        String text = JSON.readTree(json).get("image").asString();

        assertThat(decodedFromJson(json, 9)).isEqualTo(reference(text));
        assertThat(decodedFromJson(json, 9).bytes()).isEqualTo(Base64.getDecoder().decode("AUJD////QQ=="));
    }

    @Test
    void aLargeImageIsRefused413AfterItsTextWasFoundValid() {
        String big = Base64.getEncoder().encodeToString(new byte[(int) MAX + 1]);
        assertThat(decoded(big).status()).isEqualTo(413);
        assertThat(decoded(big + "!").status()).as("invalid text wins, as before").isEqualTo(400);
        assertThat(decoded(Base64.getEncoder().encodeToString(new byte[(int) MAX])).bytes()).hasSize((int) MAX);
    }

    @Test
    void imageUrlsAreRefusedWithTheirOwnMessage() {
        byte[] json = "{\"image\":\"  https://example.com/a.png\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> JsonImageText.decode(json, 9, MAX)).isInstanceOf(ApiException.class)
                .hasMessageContaining("image URLs are not fetched");
    }

    @Test
    void rawLengthMeasuresAStringUpToItsClosingQuote() {
        byte[] json = "{\"a\":\"x\\\"y\\\\\",\"b\":\"\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonImageText.rawLength(json, 5)).isEqualTo(6);
        assertThat(JsonImageText.rawLength(json, 18)).isZero();
        assertThat(JsonImageText.rawLength("\"open".getBytes(StandardCharsets.UTF_8), 0)).isEqualTo(-1);
    }

    private static String generate(Random random) {
        byte[] data = new byte[random.nextInt(40)];
        random.nextBytes(data);
        String base64 = Base64.getEncoder().encodeToString(data);
        StringBuilder text = new StringBuilder(switch (random.nextInt(4)) {
            case 0 -> base64.replace("=", "");
            case 1 -> base64.replaceFirst("=$", "");
            default -> base64;
        });
        int edits = random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = text.length() == 0 ? 0 : random.nextInt(text.length() + 1);
            String insert = switch (random.nextInt(10)) {
                case 0, 1, 2 -> List.of(" ", "\n", "\r\n", "\t", "\f", "\u000b").get(random.nextInt(6));
                case 3 -> "=";
                case 4 -> List.of("!", "-", "_", ".", ",", ":", "\u00e9", "\u2003", "\u0000").get(random.nextInt(9));
                case 5 -> String.valueOf("ABCxyz019+/".charAt(random.nextInt(11)));
                default -> "";
            };
            text.insert(at, insert);
            if (random.nextInt(8) == 0 && text.length() > 0) {
                text.deleteCharAt(random.nextInt(text.length()));
            }
        }
        return switch (random.nextInt(8)) {
            case 0 -> "data:image/png;base64," + text;
            case 1 -> " data:" + List.of("", "image/webp", "x/y;q=1", "image/png;a=b,c").get(random.nextInt(4))
                    + ";base64," + text;
            case 2 -> "data:image/png," + text;
            case 3 -> "  " + text + " \n";
            case 4 -> random.nextBoolean() ? "http://h/" + text : "https://h/" + text;
            default -> text.toString();
        };
    }

    private static String abbreviate(String text) {
        String escaped = JSON.writeValueAsString(text);
        return escaped.length() > 200 ? escaped.substring(0, 200) + "…" : escaped;
    }

    private record Outcome(byte[] bytes, int status) {

        static Outcome refused(int status) {
            return new Outcome(null, status);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Outcome o && status == o.status && java.util.Arrays.equals(bytes, o.bytes);
        }

        @Override
        public int hashCode() {
            return status;
        }

        @Override
        public String toString() {
            return status == 0 ? "bytes " + java.util.Arrays.toString(bytes) : "refused " + status;
        }
    }
}
