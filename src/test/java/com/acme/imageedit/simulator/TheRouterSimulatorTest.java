package com.acme.imageedit.simulator;

import static com.acme.imageedit.simulator.SimulatorTestClient.KEY;
import static com.acme.imageedit.simulator.SimulatorTestClient.MODEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.acme.imageedit.simulator.SimulatorTestClient.Reply;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import reactor.test.StepVerifier;

class TheRouterSimulatorTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] INPUT = SimulatorTestClient.samplePng(64, 48);

    private static TheRouterSimulator simulator;
    private static SimulatorTestClient client;

    @BeforeAll
    static void start() {
        // 30-180 s jobs become 30-180 ms
        simulator = TheRouterSimulator.start(SimulatorProperties.withTimeScale(0.001).withApiKey(KEY));
        client = new SimulatorTestClient(simulator.baseUrl());
    }

    @AfterAll
    static void stop() {
        simulator.close();
    }

    @BeforeEach
    void reset() {
        simulator.reset();
    }

    @Test
    void submitAnswers202WithTheJobObject() {
        Reply reply = client.submitAsync(uniquePrompt(), INPUT).block(WAIT);

        assertThat(reply.status()).isEqualTo(202);
        assertThat(reply.headers().getFirst("x-request-id")).isNotBlank();
        Map<String, Object> job = reply.json();
        String id = (String) job.get("id");
        assertThat(id).startsWith("img_");
        assertThat(job).containsEntry("object", "image_job").containsEntry("status", "queued")
                .containsEntry("model", MODEL)
                .containsEntry("polling_url", simulator.baseUrl() + "/v1/jobs/" + id);
        assertThat(Duration.between(instant(job.get("created_at")), instant(job.get("expires_at"))))
                .isEqualTo(Duration.ofDays(7));
    }

    @Test
    void servedPollsAreLoggedWithTheirIdsInArrivalOrderUntilReset() {
        String first = submittedId(uniquePrompt());
        String second = submittedId(uniquePrompt());
        Instant before = Instant.now();

        client.poll(second);
        client.poll(first);
        client.poll(second);
        client.get("/v1/jobs/" + first, null).block(WAIT); // refused with 401: not a served poll

        List<PollArrival> polls = simulator.pollArrivals();
        assertThat(polls).extracting(PollArrival::upstreamId).containsExactly(second, first, second);
        assertThat(polls).extracting(PollArrival::at).isSorted().allSatisfy(at -> assertThat(at).isAfterOrEqualTo(before));
        assertThat(polls).hasSize((int) simulator.stats().polls());

        simulator.reset();
        assertThat(simulator.pollArrivals()).isEmpty();
    }

    @Test
    void jobSucceedsAndItsResultDownloadsFromTheOwnOriginAsADifferentPng() {
        String id = submittedId(uniquePrompt());

        await().atMost(WAIT).until(() -> client.status(id).equals("succeeded"));
        Map<String, Object> job = client.poll(id).json();
        String url = ((List<?>) job.get("unsigned_urls")).get(0).toString();
        assertThat(simulator.results()).isEqualTo(ResultHost.OWN_ORIGIN);
        assertThat(url).isEqualTo(simulator.baseUrl() + "/v1/jobs/" + id + "/content");
        assertThat(job.get("result")).isEqualTo(Map.of("data", List.of(Map.of("url", url))));
        assertThat(client.get(url, null).block(WAIT).status()).as("the content route needs the key").isEqualTo(401);

        Reply redirect = client.get(url, KEY).block(WAIT);
        assertThat(redirect.status()).isEqualTo(302);
        String fileUrl = simulator.baseUrl() + "/files/" + id + ".png";
        assertThat(redirect.headers().getLocation()).hasToString(fileUrl);
        Reply file = client.get(fileUrl, KEY).block(WAIT);
        assertThat(file.status()).isEqualTo(200);
        assertThat(file.headers().getContentType()).isEqualTo(MediaType.IMAGE_PNG);
        BufferedImage result = SimulatorTestClient.decode(file.bytes());
        BufferedImage input = SimulatorTestClient.decode(INPUT);
        assertThat(result.getWidth()).isEqualTo(input.getWidth());
        assertThat(result.getHeight()).isEqualTo(input.getHeight());
        assertThat(result.getRGB(32, 24)).isNotEqualTo(input.getRGB(32, 24));
        assertThat(client.get(fileUrl, null).block(WAIT).bytes()).as("pre-signed style, without the key")
                .isEqualTo(file.bytes());

        SimulatorStats stats = simulator.stats();
        assertThat(stats.submitsAccepted()).isEqualTo(1);
        assertThat(stats.jobsSucceeded()).isEqualTo(1);
        assertThat(stats.contentCalls()).isEqualTo(1);
        assertThat(stats.fileDownloads()).isEqualTo(2);
        assertThat(stats.accountRequests()).as("every request with the key: submit, polls, content, file")
                .isEqualTo(stats.submitsAccepted() + stats.polls() + stats.contentCalls() + 1);
        assertThat(simulator.completedAt(id)).hasValueSatisfying(at -> assertThat(at).isBeforeOrEqualTo(Instant.now()));
    }

    @Test
    void theAccountLimitCountsEveryAuthenticatedRequestToTheOriginResultFilesIncluded() {
        String id = submittedId(uniquePrompt());
        await().atMost(WAIT).until(() -> simulator.completedAt(id).orElseThrow().isBefore(Instant.now()));
        String fileUrl = simulator.baseUrl() + "/files/" + id + ".png";
        simulator.setFaults(SimulatorFaults.none().withRateLimit(0.1, 2));

        assertThat(client.get(fileUrl, KEY).block(WAIT).status()).isEqualTo(200);
        assertThat(client.get("/v1/jobs/" + id + "/content", KEY).block(WAIT).status()).isEqualTo(302);
        assertThat(client.get(fileUrl, KEY).block(WAIT).status()).as("the third request of the account").isEqualTo(429);
        assertThat(client.get(fileUrl, null).block(WAIT).status()).as("without the key: no account").isEqualTo(200);

        SimulatorStats stats = simulator.stats();
        assertThat(stats.rateLimited429s()).isEqualTo(1);
        assertThat(stats.accountRequests()).isEqualTo(1 + 3);
    }

    @Test
    void resultTriggersServeA200ThatIsNoPicture() {
        String svg = submittedId(uniquePrompt() + " [sim:svg]");
        String html = submittedId(uniquePrompt() + " [sim:html]");
        String empty = submittedId(uniquePrompt() + " [sim:empty]");
        await().atMost(WAIT).until(() -> client.status(svg).equals("succeeded") && client.status(html)
                .equals("succeeded") && client.status(empty).equals("succeeded"));

        Reply drawing = client.get("/files/" + svg + ".png", KEY).block(WAIT);
        assertThat(drawing.status()).isEqualTo(200);
        assertThat(drawing.headers().getContentType()).hasToString("image/svg+xml");
        assertThat(new String(drawing.bytes())).startsWith("<svg");
        Reply page = client.get("/files/" + html + ".png", KEY).block(WAIT);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.headers().getContentType().isCompatibleWith(MediaType.TEXT_HTML)).isTrue();
        Reply nothing = client.get("/files/" + empty + ".png", KEY).block(WAIT);
        assertThat(nothing.status()).isEqualTo(200);
        assertThat(nothing.bytes()).isEmpty();
    }

    @Test
    void anUndecodableInputStillGivesAPngResult() {
        String id = client.submitAsync(uniquePrompt(), "RIFF....WEBPVP8 not really".getBytes())
                .map(r -> (String) r.json().get("id")).block(WAIT);

        await().atMost(WAIT).until(() -> client.status(id).equals("succeeded"));
        BufferedImage result = SimulatorTestClient.decode(client.get("/files/" + id + ".png", null).block(WAIT).bytes());
        assertThat(result.getWidth()).isEqualTo(256);
        assertThat(result.getHeight()).isEqualTo(256);
    }

    @Test
    void callsWithoutAValidKeyGet401() {
        Reply noKey = client.get("/v1/jobs/img_whatever", null).block(WAIT);
        assertThat(noKey.status()).isEqualTo(401);
        assertThat(noKey.headers().getFirst("x-request-id")).isNotBlank();
        assertThat(noKey.error()).containsEntry("code", 401).containsEntry("type", "authentication_error")
                .containsEntry("metadata", Map.of("retryable", false));

        assertThat(client.get("/v1/jobs/img_whatever", "wrong-key").block(WAIT).status()).isEqualTo(401);
        assertThat(client.submit("/v1/images/edits?async=true", null, b -> b.part("model", MODEL)).block(WAIT).status())
                .isEqualTo(401);
        assertThat(simulator.stats().unauthorized()).isEqualTo(3);
    }

    @Test
    void aSubmitWithoutImageIsRejectedWith400AndCreatesNoJob() {
        Reply reply = client.submit("/v1/images/edits?async=true", KEY, b -> {
            b.part("model", MODEL);
            b.part("prompt", uniquePrompt());
        }).block(WAIT);

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.error()).containsEntry("code", 400).containsEntry("type", "invalid_request_error")
                .containsEntry("metadata", Map.of("retryable", false));
        assertThat((String) reply.error().get("message")).contains("image");
        assertThat(simulator.stats().submitsRejected()).isEqualTo(1);
        assertThat(simulator.stats().submitsAccepted()).isZero();
    }

    @Test
    void otherBadSubmitsAreRejectedWith400() {
        Reply noAsync = client.submit("/v1/images/edits", KEY, b -> {
            b.part("model", MODEL);
            b.part("prompt", uniquePrompt());
            b.part("image", INPUT).filename("in.png");
        }).block(WAIT);
        Reply noPrompt = client.submit("/v1/images/edits?async=true", KEY, b -> {
            b.part("model", MODEL);
            b.part("image", INPUT).filename("in.png");
        }).block(WAIT);
        Reply badSteps = client.submit("/v1/images/edits?async=true", KEY, b -> {
            b.part("model", MODEL);
            b.part("prompt", uniquePrompt());
            b.part("num_inference_steps", "500");
            b.part("image", INPUT).filename("in.png");
        }).block(WAIT);
        Reply rejectedPrompt = client.submitAsync(uniquePrompt() + " [sim:reject]", INPUT).block(WAIT);

        assertThat(List.of(noAsync.status(), noPrompt.status(), badSteps.status(), rejectedPrompt.status()))
                .containsOnly(400);
        assertThat((String) noPrompt.error().get("message")).contains("prompt");
        assertThat((String) badSteps.error().get("message")).contains("num_inference_steps");
        assertThat(simulator.stats().submitsRejected()).isEqualTo(4);
        assertThat(simulator.stats().submitsAccepted()).isZero();
    }

    @Test
    void failTriggerEndsTheJobFailed() {
        String id = submittedId(uniquePrompt() + " [sim:fail]");

        await().atMost(WAIT).until(() -> client.status(id).equals("failed"));
        assertThat(client.poll(id).json().get("error"))
                .isEqualTo(Map.of("code", "upstream_failed", "type", "upstream_error",
                        "message", "the provider failed to generate the image"));
        assertThat(client.poll(id).json()).doesNotContainKey("unsigned_urls");
        assertThat(client.get("/v1/jobs/" + id + "/content", KEY).block(WAIT).status()).isEqualTo(409);
        assertThat(client.get("/files/" + id + ".png", null).block(WAIT).status()).isEqualTo(404);
        assertThat(simulator.stats().jobsFailed()).isEqualTo(1);
    }

    @Test
    void expireTriggerEndsTheJobExpired() {
        String id = submittedId(uniquePrompt() + " [sim:expire]");

        await().atMost(WAIT).until(() -> client.status(id).equals("expired"));
        assertThat(simulator.stats().jobsExpired()).isEqualTo(1);
    }

    @Test
    void slowTriggerNeverFinishes() {
        String id = submittedId(uniquePrompt() + " [sim:slow]");

        // 0.5 s is well past the longest scaled job (180 ms)
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> client.status(id).equals("in_progress"));
        assertThat(simulator.completedAt(id)).isEmpty();
    }

    @Test
    void rateLimitAnswers429WithRetryAfterAndCountsIt() {
        simulator.setFaults(SimulatorFaults.none().withRateLimit(0.1, 2));

        assertThat(client.poll("img_unknown1").status()).isEqualTo(404);
        assertThat(client.poll("img_unknown2").status()).isEqualTo(404);
        Reply limited = client.poll("img_unknown3");

        assertThat(limited.status()).isEqualTo(429);
        assertThat(Long.parseLong(limited.headers().getFirst(HttpHeaders.RETRY_AFTER))).isBetween(1L, 10L);
        assertThat(limited.error()).containsEntry("code", 429).containsEntry("type", "rate_limit_error")
                .containsEntry("metadata", Map.of("retryable", true));
        assertThat(client.submitAsync(uniquePrompt(), INPUT).block(WAIT).status()).isEqualTo(429);
        SimulatorStats stats = simulator.stats();
        assertThat(stats.rateLimited429s()).isEqualTo(2);
        assertThat(stats.polls()).isEqualTo(2);
        assertThat(stats.submitsAccepted()).isZero();

        simulator.reset();
        assertThat(simulator.faults()).isEqualTo(SimulatorFaults.none());
        assertThat(client.poll("img_unknown4").status()).isEqualTo(404);
    }

    @Test
    void randomSubmitFaultsCreateNoJob() {
        simulator.setFaults(SimulatorFaults.none().withSubmit429Rate(1.0));
        Reply tooMany = client.submitAsync(uniquePrompt(), INPUT).block(WAIT);
        simulator.setFaults(SimulatorFaults.none().withSubmit5xxRate(1.0));
        Reply badGateway = client.submitAsync(uniquePrompt(), INPUT).block(WAIT);

        assertThat(tooMany.status()).isEqualTo(429);
        assertThat(tooMany.headers().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
        assertThat(badGateway.status()).isEqualTo(502);
        assertThat(badGateway.error()).containsEntry("type", "upstream_error")
                .containsEntry("metadata", Map.of("retryable", true));
        SimulatorStats stats = simulator.stats();
        assertThat(stats.submit429s()).isEqualTo(1);
        assertThat(stats.submit5xxs()).isEqualTo(1);
        assertThat(stats.submitsAccepted()).isZero();
        assertThat(stats.rateLimited429s()).isZero();
    }

    @Test
    void randomJobFailuresFollowTheConfiguredMix() {
        simulator.setFaults(SimulatorFaults.none().withJobFailedRate(1.0));
        String id = submittedId(uniquePrompt());

        await().atMost(WAIT).until(() -> client.status(id).equals("failed"));
    }

    @Test
    void resubmittedPromptsAreCountedAsDuplicates() {
        String first = uniquePrompt();
        submittedId(first);
        submittedId(uniquePrompt());
        submittedId(first);

        SimulatorStats stats = simulator.stats();
        assertThat(stats.submitsAccepted()).isEqualTo(3);
        assertThat(stats.duplicateSubmits()).isEqualTo(1);
        assertThat(stats.distinctPrompts()).isEqualTo(2);
    }

    @Test
    void statsEndpointServesTheCounters() {
        submittedId(uniquePrompt());

        Reply stats = client.get("/simulator/stats", null).block(WAIT);
        assertThat(stats.status()).isEqualTo(200);
        assertThat(stats.json()).containsEntry("submitsAccepted", 1).containsEntry("duplicateSubmits", 0)
                .containsKeys("rateLimited429s", "polls", "jobsSucceeded");

        StepVerifier.create(client.submit("/simulator/reset", null, b -> { }))
                .assertNext(r -> assertThat(r.status()).isEqualTo(204))
                .verifyComplete();
        assertThat(simulator.stats().submitsAccepted()).isZero();
    }

    @Test
    void unknownJobIs404() {
        Reply reply = client.poll("img_doesnotexist");

        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.headers().getFirst("x-request-id")).isNotBlank();
        assertThat(reply.error()).containsEntry("code", 404).containsEntry("metadata", Map.of("retryable", false));
        assertThat(client.get("/v1/jobs/img_doesnotexist/content", KEY).block(WAIT).status()).isEqualTo(404);
        assertThat(client.get("/files/img_doesnotexist.png", null).block(WAIT).status()).isEqualTo(404);
        assertThat(simulator.completedAt("img_doesnotexist")).isEmpty();
    }

    @Test
    void jobIsQueuedThenInProgressThenTerminal() {
        String id = submittedId(uniquePrompt());
        Instant completes = simulator.completedAt(id).orElseThrow();

        await().atMost(WAIT).until(() -> client.status(id).equals("succeeded"));
        assertThat(Instant.now()).isAfterOrEqualTo(completes);
    }

    private static String submittedId(String prompt) {
        Reply reply = client.submitAsync(prompt, INPUT).block(WAIT);
        assertThat(reply.status()).isEqualTo(202);
        return (String) reply.json().get("id");
    }

    private static String uniquePrompt() {
        return "make it blue " + UUID.randomUUID();
    }

    private static Instant instant(Object timestamp) {
        return timestamp instanceof Number seconds
                ? Instant.ofEpochSecond(seconds.longValue())
                : Instant.parse(timestamp.toString());
    }
}
