package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.MutableClock;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Result-link keys with ids and an overlap: after a rotation new links name the new key, links signed before keep
 * opening (on every replica) until the overlap ends, and then fail. Both for the keys the service keeps and for
 * configured secrets.
 */
@SuppressWarnings("unchecked")
class LinkKeyRotationTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private final Replicas replicas = new Replicas();

    @AfterEach
    void stop() {
        replicas.close();
    }

    @Test
    void keptKeysRotateAndTheOldOneVerifiesOnEveryReplicaUntilTheOverlapEnds() {
        MutableClock clock = new MutableClock();
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext a = replicas.start(database, database, simulator.baseUrl(), "links-a",
                Map.of("clock", clock));
        ConfigurableApplicationContext b = replicas.start(database, database, simulator.baseUrl(), "links-b",
                Map.of("clock", clock));
        String before = link(a);
        String oldKey = param(before, "key");
        opens(b, before);

        Map<String, Object> rotation = client(a, ADMIN_KEY).post().uri("/v1/admin/link-keys/rotate").exchange()
                .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
        String newKey = (String) rotation.get("key_id");
        assertThat(newKey).isNotEqualTo(oldKey).hasSize(12);
        String after = link(a);
        assertThat(param(after, "key")).isEqualTo(newKey);
        // B has not re-read its keys yet: a link naming an unknown key makes it look
        opens(b, after);
        opens(a, before);
        opens(b, before);

        // the overlap is the longest result retention (7 days): the old key is dropped, its links fail
        clock.advance(Duration.ofDays(7).plusMinutes(1));
        a.getBean(ResultLinks.class).refresh().block();
        b.getBean(ResultLinks.class).refresh().block();
        refused(a, before, 403);
        refused(b, before, 403);
    }

    @Test
    void configuredSecretsRotateThroughPreviousLinkSecrets() {
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext first = replicas.start(database, database, simulator.baseUrl(), "cfg-1",
                "--jobs.link-secret=first-link-secret-0123456789abcdefghij");
        String before = link(first);
        client(first, ADMIN_KEY).post().uri("/v1/admin/link-keys/rotate").exchange().expectStatus().isEqualTo(409);
        first.close();

        ConfigurableApplicationContext overlap = replicas.start(database, database, simulator.baseUrl(), "cfg-2",
                "--jobs.link-secret=second-link-secret-0123456789abcdefghi",
                "--jobs.previous-link-secrets[0]=first-link-secret-0123456789abcdefghij");
        opens(overlap, before);
        assertThat(param(link(overlap), "key")).isNotEqualTo(param(before, "key"));
        overlap.close();

        ConfigurableApplicationContext after = replicas.start(database, database, simulator.baseUrl(), "cfg-3",
                "--jobs.link-secret=second-link-secret-0123456789abcdefghi");
        refused(after, before, 403);
    }

    /** A succeeded job's signed link (path and query), made by {@code replica}. */
    private static String link(ConfigurableApplicationContext replica) {
        WebTestClient client = client(replica, TEAM_A_KEY);
        String id = (String) client.post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple("links", TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
        await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(job(client, id).get("status")));
        String url = ((List<String>) job(client, id).get("unsigned_urls")).get(0);
        return url.substring(url.indexOf("/files/results/"));
    }

    private static Map<String, Object> job(WebTestClient client, String id) {
        return client.get().uri("/v1/jobs/" + id).exchange().expectBody(JSON).returnResult().getResponseBody();
    }

    private static void opens(ConfigurableApplicationContext replica, String link) {
        client(replica, null).get().uri(link).exchange().expectStatus().isOk();
    }

    private static void refused(ConfigurableApplicationContext replica, String link, int status) {
        client(replica, null).get().uri(link).exchange().expectStatus().isEqualTo(status);
    }

    private static String param(String link, String name) {
        return link.replaceAll(".*[?&]" + name + "=([^&]+).*", "$1");
    }

    private static WebTestClient client(ConfigurableApplicationContext service, String key) {
        WebTestClient.Builder builder = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + Replicas.port(service)).responseTimeout(Duration.ofSeconds(30));
        if (key != null) {
            builder.defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key);
        }
        return builder.build();
    }
}
