package com.acme.imageedit.simulator;

import static com.acme.imageedit.simulator.SimulatorTestClient.KEY;
import static com.acme.imageedit.simulator.SimulatorTestClient.MODEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.simulator.SimulatorTestClient.Reply;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import tools.jackson.databind.json.JsonMapper;

/** The simulator's modes: results from a second host, and request bodies refused when they come chunked. */
class SimulatorModesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] INPUT = SimulatorTestClient.samplePng(64, 48);

    @Test
    void resultsFromASecondHostNeedNoKeyAndCostTheAccountNothing() {
        SimulatorProperties properties = SimulatorProperties.withTimeScale(0.001).withApiKey(KEY)
                .withResults(ResultHost.SECOND_HOST);
        try (TheRouterSimulator simulator = TheRouterSimulator.start(properties)) {
            SimulatorTestClient client = new SimulatorTestClient(simulator.baseUrl());
            URI cdn = simulator.secondHostUrl().orElseThrow();
            assertThat(cdn.getPort()).as("another origin").isNotEqualTo(simulator.baseUrl().getPort());

            String id = (String) client.submitAsync("second host", INPUT).block(WAIT).json().get("id");
            await().atMost(WAIT).until(() -> client.status(id).equals("succeeded"));
            Map<String, Object> job = client.poll(id).json();
            String url = ((List<?>) job.get("unsigned_urls")).get(0).toString();
            assertThat(url).isEqualTo(cdn + "/files/" + id + ".png");
            Reply redirect = client.get("/v1/jobs/" + id + "/content", KEY).block(WAIT);
            assertThat(redirect.status()).isEqualTo(302);
            assertThat(redirect.headers().getLocation()).hasToString(url);

            Reply file = client.get(url, null).block(WAIT);
            assertThat(file.status()).isEqualTo(200);
            assertThat(file.headers().getContentType()).isEqualTo(MediaType.IMAGE_PNG);
            assertThat(SimulatorTestClient.decode(file.bytes()).getWidth()).isEqualTo(64);
            assertThat(client.get("/files/" + id + ".png", KEY).block(WAIT).status())
                    .as("the API origin serves no files in this mode").isEqualTo(404);
            assertThat(client.get(cdn + "/v1/jobs/" + id, KEY).block(WAIT).status())
                    .as("the second host is no API").isEqualTo(404);

            SimulatorStats stats = simulator.stats();
            assertThat(stats.fileDownloads()).isEqualTo(1);
            assertThat(stats.accountRequests()).as("submit, polls and /content; no file")
                    .isEqualTo(stats.submitsAccepted() + stats.polls() + stats.contentCalls());
        }
    }

    @Test
    void chunkedRequestBodiesAreRefusedWith411AndLengthDelimitedOnesServed() throws Exception {
        SimulatorProperties properties = SimulatorProperties.withTimeScale(0.001).withApiKey(KEY)
                .refusingChunkedRequests();
        try (TheRouterSimulator simulator = TheRouterSimulator.start(properties)) {
            SimulatorTestClient client = new SimulatorTestClient(simulator.baseUrl());
            assertThat(simulator.refusesChunkedRequests()).isTrue();

            // Spring's multipart writer streams its parts: chunked, no Content-Length
            Reply chunked = client.submitAsync("chunked", INPUT).block(WAIT);
            assertThat(chunked.status()).isEqualTo(411);
            assertThat(chunked.error()).containsEntry("code", 411).containsEntry("type", "invalid_request_error");

            String boundary = "b0undary";
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + MODEL
                    + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nwith length\r\n--"
                    + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"in.png\"\r\n"
                    + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(INPUT);
            body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> withLength = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(simulator.baseUrl() + "/v1/images/edits?async=true"))
                    .header("Authorization", "Bearer " + KEY)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(withLength.statusCode()).as(withLength.body()).isEqualTo(202);
            assertThat(JsonMapper.builder().build().readTree(withLength.body()).path("id").asString())
                    .startsWith("img_");

            assertThat(client.poll("img_unknown").status()).as("requests without a body pass").isEqualTo(404);
            SimulatorStats stats = simulator.stats();
            assertThat(stats.lengthRequired()).isEqualTo(1);
            assertThat(stats.submitsAccepted()).isEqualTo(1);
        }
    }
}
