package com.acme.imageedit.ops;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import com.acme.imageedit.bench.ServiceProcess;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;

import static com.acme.imageedit.ops.RenderedChart.list;
import static com.acme.imageedit.ops.RenderedChart.map;
import static com.acme.imageedit.ops.RenderedChart.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas started with exactly the environment the chart gives its pods with the production values (the rendered
 * ConfigMap, the Secret references resolved from a stand-in for {@code image-edit-proxy-credentials} that, like a
 * platform's, holds no link secret, and the teams file mounted where TEAMS_FILE points), on one PostgreSQL, with the
 * simulator standing in for TheRouter's address. A result link handed out by one replica must open on the other, and
 * after a restart: they agree on the signing key with no configuration (the key the service keeps in PostgreSQL).
 */
class DeployedEnvironmentTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final String TEAM_KEY = "deployed-team-key";

    @TempDir
    Path dir;

    private final Replicas replicas = new Replicas();

    @AfterEach
    void stop() {
        replicas.close();
    }

    @Test
    void aLinkHandedOutByOneReplicaOpensOnTheOtherAndAfterARestart() throws Exception {
        Map<String, String> env = productionEnvironment();
        ConfigurableApplicationContext a = replicas.startWithEnvironment(env);
        ConfigurableApplicationContext b = replicas.startWithEnvironment(env);

        String publicBase = env.get("JOBS_PUBLICBASEURL");
        String fromA = succeededJobLink(a);
        assertThat(fromA).startsWith(publicBase + "/files/results/");
        String fromB = succeededJobLink(b);

        byte[] viaB = open(b, fromA.substring(publicBase.length()));
        byte[] viaA = open(a, fromB.substring(publicBase.length()));
        assertThat(viaB).as("A's link on B").startsWith(0x89, 'P', 'N', 'G');
        assertThat(viaA).as("B's link on A").startsWith(0x89, 'P', 'N', 'G');

        a.close();
        ConfigurableApplicationContext restarted = replicas.startWithEnvironment(env);
        assertThat(open(restarted, fromA.substring(publicBase.length()))).as("A's link after A's restart")
                .startsWith(0x89, 'P', 'N', 'G');
        assertThat(count(restarted, "select count(*) from service_keys")).isEqualTo(1);
    }

    /** The pods' environment from the production render, with the stand-ins this machine needs. */
    private Map<String, String> productionEnvironment() throws Exception {
        RenderedChart chart = RenderedChart.of("production");
        TestDatabase database = Replicas.freshDatabase();
        String webhookKey = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));
        // the platform's Secret: no link-secret in it (optional in the chart)
        Map<String, Map<String, String>> secrets = Map.of(
                "image-edit-proxy-credentials", Map.of("db-password", database.password(),
                        "therouter-api-key", "deployed-therouter-key", "webhook-encryption-key", webhookKey));

        Map<String, String> env = new LinkedHashMap<>(chart.configMapEnvironment());
        for (Map<String, Object> variable : list(chart.app().get("env"))) {
            Map<String, Object> ref = map(path(variable, "valueFrom", "secretKeyRef"));
            String value = secrets.getOrDefault((String) ref.get("name"), Map.of()).get((String) ref.get("key"));
            if (value == null) {
                assertThat(ref.get("optional")).as(variable.get("name") + " missing from its Secret").isEqualTo(true);
            } else {
                env.put((String) variable.get("name"), value);
            }
        }
        assertThat(env).doesNotContainKey("JOBS_LINK_SECRET").containsKeys("TEAMS_FILE", "JOBS_PUBLICBASEURL");
        // the teams Secret (teams.existingSecret), as mounted at TEAMS_FILE
        Path teams = Files.writeString(dir.resolve("teams.yaml"), """
                teams:
                  definitions:
                    - id: deployed
                      key-hashes: [%s]
                """.formatted(ServiceProcess.sha256(TEAM_KEY)));
        env.put("TEAMS_FILE", teams.toString());
        // stand-ins: the database (a test server without TLS: DatabaseTlsTest covers verify-full), TheRouter's address,
        // free ports; and plain-text logs, because the logging system is
        // one per JVM and JSON lines would stay on for every test after this one
        env.put("LOGGING_STRUCTURED_FORMAT_CONSOLE", "");
        assertThat(env).containsEntry("DATABASE_TLS_MODE", "verify-full");
        env.put("DATABASE_TLS_MODE", "disable");
        env.remove("DATABASE_TLS_ROOTCERT");
        env.putAll(Map.of("DB_HOST", database.host(), "DB_PORT", Integer.toString(database.port()),
                "DB_NAME", database.database(), "DB_USER", database.user(),
                "THEROUTER_BASE_URL", simulator.baseUrl().toString(), "PORT", "0", "MANAGEMENT_PORT", "0"));
        return env;
    }

    private String succeededJobLink(ConfigurableApplicationContext replica) {
        WebClient client = client(replica);
        Map<String, Object> job = client.post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple("deployed", TestImages.png(256, 256))))
                .retrieve().bodyToMono(JSON).block(Duration.ofSeconds(10));
        String id = (String) job.get("id");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> "succeeded".equals(
                client.get().uri("/v1/jobs/" + id).retrieve().bodyToMono(JSON).block(Duration.ofSeconds(5))
                        .get("status")));
        Map<String, Object> done = client.get().uri("/v1/jobs/" + id).retrieve().bodyToMono(JSON)
                .block(Duration.ofSeconds(5));
        @SuppressWarnings("unchecked")
        List<String> links = (List<String>) done.get("unsigned_urls");
        return links.get(0);
    }

    private static byte[] open(ConfigurableApplicationContext replica, String pathAndQuery) {
        return WebClient.builder().codecs(c -> c.defaultCodecs().maxInMemorySize(32 * 1024 * 1024)).build()
                .get().uri(URI.create("http://localhost:" + Replicas.port(replica) + pathAndQuery))
                .retrieve().bodyToMono(byte[].class).block(Duration.ofSeconds(10));
    }

    private static WebClient client(ConfigurableApplicationContext replica) {
        return WebClient.builder().baseUrl("http://localhost:" + Replicas.port(replica))
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + TEAM_KEY).build();
    }

    private static long count(ConfigurableApplicationContext replica, String sql) {
        return replica.getBean(DatabaseClient.class).sql(sql)
                .map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(5));
    }
}
