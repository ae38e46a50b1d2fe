package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rotation of the key that encrypts webhook signing secrets, as an operator does it: add the new key (the old one
 * moves to previous-encryption-keys) and restart, re-encrypt, drop the old key and restart. The secrets teams and
 * receivers hold never change on the way.
 */
class SecretKeyRotationTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final String OLD = Base64.getEncoder().encodeToString("o".repeat(32).getBytes());
    private static final String NEW = Base64.getEncoder().encodeToString("n".repeat(32).getBytes());

    private final Replicas replicas = new Replicas();

    @AfterEach
    void stop() {
        replicas.close();
    }

    @Test
    void oldSecretsReadUnderANewKeyReencryptionMovesEveryRowAndTheOldKeyCanGo() {
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext before = start(database, "--webhooks.secret-encryption-key=" + OLD);
        WebTestClient a = client(before, TEAM_A_KEY);
        String teamSecret = secret(a, "/v1/webhooks/default/secret");
        Map<String, Object> subscription = a.post().uri("/v1/webhooks").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("url", "http://127.0.0.1:9/hook")).exchange().expectStatus().isCreated()
                .expectBody(JSON).returnResult().getResponseBody();
        String subscriptionId = (String) subscription.get("id");
        // a rotation leaves a previous secret in the row too
        secret(a.post(), "/v1/webhooks/" + subscriptionId + "/secret/rotate");
        String subscriptionSecrets = secret(a, "/v1/webhooks/" + subscriptionId + "/secret");
        before.close();

        ConfigurableApplicationContext both = start(database, "--webhooks.secret-encryption-key=" + NEW,
                "--webhooks.previous-encryption-keys[0]=" + OLD);
        WebTestClient b = client(both, TEAM_A_KEY);
        assertThat(secret(b, "/v1/webhooks/default/secret")).isEqualTo(teamSecret);
        assertThat(secret(b, "/v1/webhooks/" + subscriptionId + "/secret")).isEqualTo(subscriptionSecrets);

        String newKeyId = SecretCipher.keyId("n".repeat(32).getBytes());
        DatabaseClient db = both.getBean(DatabaseClient.class);
        assertThat(sealed(db)).allMatch(s -> !s.startsWith("v2:" + newKeyId + ":"));
        client(both, TEAM_A_KEY).post().uri("/v1/admin/webhook-secrets/re-encrypt").exchange()
                .expectStatus().isForbidden();
        WebTestClient admin = client(both, ADMIN_KEY);
        assertThat(admin.post().uri("/v1/admin/webhook-secrets/re-encrypt").exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody())
                .containsEntry("key_id", newKeyId).containsEntry("re_encrypted", 2).containsEntry("already_current", 0);
        assertThat(sealed(db)).hasSize(3).allMatch(s -> s.startsWith("v2:" + newKeyId + ":"));
        assertThat(admin.post().uri("/v1/admin/webhook-secrets/re-encrypt").exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody())
                .as("again: nothing to do").containsEntry("re_encrypted", 0).containsEntry("already_current", 2);
        both.close();

        ConfigurableApplicationContext after = start(database, "--webhooks.secret-encryption-key=" + NEW);
        WebTestClient c = client(after, TEAM_A_KEY);
        assertThat(secret(c, "/v1/webhooks/default/secret")).isEqualTo(teamSecret);
        assertThat(secret(c, "/v1/webhooks/" + subscriptionId + "/secret")).isEqualTo(subscriptionSecrets);
    }

    /** Every stored secret and previous secret, as sealed in the database. */
    private static List<String> sealed(DatabaseClient db) {
        return db.sql("""
                        select secret from webhook_team_secrets union all select secret from webhook_subscriptions
                        union all select previous_secret from webhook_subscriptions where previous_secret is not null""")
                .map((row, meta) -> row.get(0, String.class)).all().collectList().block(Duration.ofSeconds(5));
    }

    private ConfigurableApplicationContext start(TestDatabase database, String... args) {
        return replicas.start(database, database, simulator.baseUrl(), "secrets", args);
    }

    private static String secret(WebTestClient client, String path) {
        return client.get().uri(path).exchange().expectStatus().isOk().expectBody(String.class).returnResult()
                .getResponseBody();
    }

    private static String secret(WebTestClient.RequestBodyUriSpec post, String path) {
        return post.uri(path).exchange().expectStatus().isOk().expectBody(String.class).returnResult()
                .getResponseBody();
    }

    private static WebTestClient client(ConfigurableApplicationContext service, String key) {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + Replicas.port(service))
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key).responseTimeout(Duration.ofSeconds(30))
                .build();
    }
}
