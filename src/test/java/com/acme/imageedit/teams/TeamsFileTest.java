package com.acme.imageedit.teams;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The teams file as a deployment gives it (TEAMS_FILE, no test profile): its teams and admins can call, runtime keys
 * work beside it, and a file that is missing, misspelt, holds more than teams or a key instead of a hash stops the
 * start with a message that names the problem.
 */
class TeamsFileTest {

    private static final String TEAM_HASH = KeyHashes.hash("files-team-key");
    private static final String ADMIN_HASH = KeyHashes.hash("files-admin-key");

    @TempDir
    Path dir;

    private final Replicas replicas = new Replicas();

    @AfterEach
    void stop() {
        replicas.close();
    }

    @Test
    void theFilesTeamsAndAdminsCallAndRuntimeKeysWorkBesideThem() throws IOException {
        Path file = write("teams.yaml", """
                teams:
                  admin-key-hashes: [%s]
                  definitions:
                    - id: files
                      name: Team from the file
                      key-hashes: [%s]
                      daily-budget-usd: 5
                      monthly-budget-usd: 50
                      max-in-flight: 3
                      requests-per-second: 7
                """.formatted(ADMIN_HASH, TEAM_HASH));
        ConfigurableApplicationContext service = start(file);

        client(service, "files-team-key").get().uri("/v1/models").exchange().expectStatus().isOk();
        client(service, "files-admin-key").get().uri("/v1/admin/teams").exchange().expectStatus().isOk()
                .expectBody(String.class).value(teams -> assertThat(teams)
                        .contains("\"id\":\"files\"", "Team from the file", "\"daily_budget_usd\":5"));
        client(service, "some-other-key").get().uri("/v1/models").exchange().expectStatus().isUnauthorized();

        // a runtime key made through the admin API works beside the file's
        String created = client(service, "files-admin-key").post().uri("/v1/admin/teams/files/keys")
                .exchange().expectStatus().is2xxSuccessful().expectBody(String.class).returnResult().getResponseBody();
        String runtimeKey = created.replaceAll(".*\"key\":\"([^\"]+)\".*", "$1");
        client(service, runtimeKey).get().uri("/v1/models").exchange().expectStatus().isOk();
    }

    @Test
    void aMissingFileStopsTheStartNamingIt() {
        Path missing = dir.resolve("nowhere.yaml");
        assertThatThrownBy(() -> start(missing)).hasStackTraceContaining(missing.toString());
    }

    @Test
    void aMisspeltSettingStopsTheStartRatherThanMeaningNoBudget() throws IOException {
        Path file = write("teams.yaml", """
                teams:
                  definitions:
                    - id: files
                      key-hashes: [%s]
                      daily-budget: 5
                """.formatted(TEAM_HASH));
        assertThatThrownBy(() -> start(file)).hasStackTraceContaining("daily-budget");
    }

    @Test
    void aFileWithMoreThanTeamsStopsTheStart() throws IOException {
        Path file = write("teams.yaml", """
                teams:
                  definitions: []
                jobs:
                  link-secret: sneaked-in
                """);
        assertThatThrownBy(() -> start(file)).hasStackTraceContaining("must hold exactly one block, 'teams:'");
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aKeyInsteadOfItsHashStopsTheStartWithoutPrintingTheKey(CapturedOutput output) throws IOException {
        Path file = write("teams.yaml", """
                teams:
                  definitions:
                    - id: files
                      key-hashes: [files-team-key]
                """);
        assertThatThrownBy(() -> start(file)).hasStackTraceContaining("team 'files' key-hashes[0] is not a hex SHA-256")
                .satisfies(e -> assertThat(stackTrace(e)).doesNotContain("files-team-key"));
        assertThat(output.getAll()).contains("key-hashes[0] is not a hex SHA-256").doesNotContain("files-team-key");
    }

    private static String stackTrace(Throwable e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }

    private Path write(String name, String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }

    private ConfigurableApplicationContext start(Path teamsFile) {
        TestDatabase database = Replicas.freshDatabase();
        Map<String, String> env = new HashMap<>(Map.of(
                "DB_HOST", database.host(), "DB_PORT", Integer.toString(database.port()),
                "DB_NAME", database.database(), "DB_USER", database.user(), "DB_PASSWORD", database.password(),
                "THEROUTER_BASE_URL", "http://127.0.0.1:9",
                "DISPATCH_ENABLED", "false", "WEBHOOKS_ENABLED", "false",
                "TEAMS_FILE", teamsFile.toString()));
        env.put("WEBHOOKS_SECRET_ENCRYPTION_KEY", "ZGVtby1rZXktcHVibGljLW5ldmVyLXByb2R1Y3Rpb24=");
        return replicas.startWithEnvironment(env, "--server.port=0", "--management.server.port=0");
    }

    private static WebTestClient client(ConfigurableApplicationContext service, String key) {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + Replicas.port(service))
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key).build();
    }
}
