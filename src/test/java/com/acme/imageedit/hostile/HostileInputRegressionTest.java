package com.acme.imageedit.hostile;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cases {@link HostileInputTest}'s properties found (a 5xx, a refusal after the job was stored, an accepted broken
 * image, text silently changed), kept as examples against the shared service: each is a 4xx problem+json naming its field,
 * and nothing is stored.
 */
class HostileInputRegressionTest extends IntegrationTest {

    static Stream<Arguments> foundCases() {
        return Stream.of(
                // were 500: Spring's media type parser threw on the Content-Type header
                submit("empty multipart boundary", "multipart/form-data; boundary=", null, validBody("b1"), 400,
                        "Content-Type"),
                submit("unknown charset on JSON", "application/json; charset=ebcdic", null, "{}"
                        .getBytes(StandardCharsets.UTF_8), 400, "Content-Type"),
                submit("unknown charset on multipart", "multipart/form-data; boundary=b2; charset=utf-7", null,
                        validBody("b2"), 400, "Content-Type"),
                // were a 4xx after the job had been stored (and budgeted): content negotiation ran after the commit
                submit("unparseable Accept on a valid submit", "multipart/form-data; boundary=b3", "*/",
                        validBody("b3"), 400, "Accept"),
                submit("Accept without JSON on a valid submit", "multipart/form-data; boundary=b4", "text/html",
                        validBody("b4"), 406, "Accept"),
                // were 202: a broken image with an intact header, and an image given twice
                submit("PNG cut after its header", "multipart/form-data; boundary=b5", null,
                        body("b5", Arrays.copyOf(HostileImages.PNG, 65), null), 400, "image"),
                submit("PNG header, then JPEG data", "multipart/form-data; boundary=b6", null,
                        body("b6", HostileImages.concat(Arrays.copyOf(HostileImages.PNG, 33),
                                Arrays.copyOfRange(HostileImages.JPEG, 2, HostileImages.JPEG.length)), null), 400,
                        "image"),
                submit("JPEG without its end", "multipart/form-data; boundary=b7", null,
                        body("b7", Arrays.copyOf(HostileImages.JPEG, HostileImages.JPEG.length - 2), null), 400,
                        "image"),
                submit("image as a file and as a text field", "multipart/form-data; boundary=b8", null,
                        body("b8", HostileImages.PNG, "iVBORw0KGgo="), 400, "image"),
                // was 202 with the last of two prompts: duplicate JSON members are refused, as multipart's are
                submit("duplicate JSON member", "application/json", null, ("{\"prompt\":\"a\",\"prompt\":\"b\","
                        + "\"image\":\"" + Base64.getEncoder().encodeToString(HostileImages.PNG) + "\"}")
                        .getBytes(StandardCharsets.UTF_8), 400, "body"),
                // were 202 with the text silently changed: half a surrogate pair became '?' in PostgreSQL
                submit("lone surrogate in a metadata key", "application/json", null, json(
                        "\"metadata\":{\"\\udfff\":\"v\"}"), 400, "metadata"),
                submit("lone surrogate in the prompt", "application/json", null, json(
                        "\"prompt\":\"a\\ud800b\""), 400, "prompt"),
                // were 500: a parameter without "=" arrives as a null value
                get("metadata filter without a value", "/v1/jobs?metadata%5Bk%5D", 400, "metadata"),
                // not a failure before (answered 200, an empty page): nonsense instants beyond PostgreSQL's range are
                // now refused as input errors instead of being passed to the database
                get("created_after in year -999999999", "/v1/jobs?created_after=-999999999-01-01T00:00:00Z", 400,
                        "created_after"),
                get("cursor at the smallest long", "/v1/jobs?after=" + Base64.getUrlEncoder().withoutPadding()
                        .encodeToString("c1:-9223372036854775808:img_aaaaaaaaaaaaaaaaaaaaaaaaaa"
                                .getBytes(StandardCharsets.UTF_8)), 400, "after"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("foundCases")
    void isRefusedWithAProblemAndNothingStored(String name, byte[] request, int status, String field) {
        long jobs = count("select count(*) from jobs");
        long images = count("select count(*) from job_images");

        RawHttp.Answer answer = RawHttp.exchange(port, request);

        assertThat(answer.status()).as("answer: %s", answer).isEqualTo(status);
        assertThat(answer.header("content-type")).isEqualTo("application/problem+json");
        assertThat(answer.bodyText()).contains("\"status\":" + status, "\"field\":\"" + field + "\"");
        assertThat(count("select count(*) from jobs")).as("jobs").isEqualTo(jobs);
        assertThat(count("select count(*) from job_images")).as("images").isEqualTo(images);
    }

    /** Parameters without a value are no filter at all, not a failure. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("emptyParameters")
    void parametersWithoutAValueAreIgnored(String query) {
        RawHttp.Answer answer = RawHttp.exchange(port, new HostileRequests.Head("GET /v1/jobs?" + query
                + " HTTP/1.1").header("Authorization", "Bearer " + TEAM_A_KEY).with(new byte[0]));

        assertThat(answer.status()).as("answer: %s", answer).isEqualTo(200);
        assertThat(answer.bodyText()).contains("\"object\":\"list\"");
    }

    static Stream<String> emptyParameters() {
        return Stream.of("status", "limit", "after", "created_after", "status&limit=5");
    }

    private static Arguments submit(String name, String contentType, String accept, byte[] body, int status,
                                    String field) {
        HostileRequests.Head head = HostileRequests.Head.post("/v1/images/edits?async=true")
                .header("Authorization", "Bearer " + TEAM_A_KEY).header("Content-Type", contentType);
        if (accept != null) {
            head.header("Accept", accept);
        }
        return Arguments.of(name, head.with(body), status, field);
    }

    private static Arguments get(String name, String path, int status, String field) {
        return Arguments.of(name, new HostileRequests.Head("GET " + path + " HTTP/1.1")
                .header("Authorization", "Bearer " + TEAM_A_KEY).with(new byte[0]), status, field);
    }

    /** A JSON submit with a valid image and {@code members} (which bring the prompt, or another one is added). */
    private static byte[] json(String members) {
        return ("{" + (members.contains("\"prompt\"") ? "" : "\"prompt\":\"make it blue\",") + members
                + ",\"image\":\"" + Base64.getEncoder().encodeToString(HostileImages.PNG) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] validBody(String boundary) {
        return HostileRequests.validMultipart(boundary);
    }

    private static byte[] body(String boundary, byte[] image, String imageAsText) {
        String fields = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nmake it blue\r\n"
                + (imageAsText == null ? "" : "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\""
                + "\r\n\r\n" + imageAsText + "\r\n")
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"in.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n";
        return HostileImages.concat(HostileImages.concat(fields.getBytes(StandardCharsets.US_ASCII), image),
                ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    }
}
