package com.acme.imageedit.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docker compose up}, then the README's demo, without a Docker engine: the service starts with exactly the
 * environment docker-compose.yml gives its app container (read from the file, interpolated as compose does on a fresh
 * machine where no variable is set), with the files compose mounts at the paths it mounts them (the demo teams file),
 * on an embedded PostgreSQL. What stands in for compose's network: the {@code postgres} service's address and
 * credentials become the test database's ({@code DB_*}), and the container ports compose publishes as 8080, 8081 and
 * 8090 become free ports of this machine, which the README's commands are pointed at (only {@code localhost:8080}
 * changes in them). Then the README's "Try it" commands run in bash, unchanged otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class ComposeDemoTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private final Replicas replicas = new Replicas();
    private ConfigurableApplicationContext service;

    @BeforeAll
    void startAsComposeDoes() {
        Map<String, Object> app = (Map<String, Object>) ((Map<String, Object>) OpsFiles
                .yaml(Path.of("docker-compose.yml")).get("services")).get("app");
        Map<String, String> env = new HashMap<>();
        ((Map<String, Object>) app.get("environment")).forEach((name, value) ->
                env.put(name, interpolate(String.valueOf(value))));
        // compose mounts files into the container; the service gets their container paths, here the repository's
        for (String volume : (List<String>) app.get("volumes")) {
            String[] parts = volume.split(":");
            Path host = ROOT.resolve(parts[0]).normalize();
            assertThat(host).as("mounted " + parts[0]).exists();
            env.replaceAll((name, value) -> value.equals(parts[1]) ? host.toString() : value);
        }
        assertThat(env).containsKeys("TEAMS_FILE", "PORT", "MANAGEMENT_PORT", "DB_HOST");

        TestDatabase database = Replicas.freshDatabase();
        env.putAll(Map.of("DB_HOST", database.host(), "DB_PORT", Integer.toString(database.port()),
                "DB_NAME", database.database(), "DB_USER", database.user(), "DB_PASSWORD", database.password(),
                "PORT", "0", "MANAGEMENT_PORT", "0", "SIMULATOR_PORT", "0"));
        service = replicas.startWithEnvironment(env);
    }

    @AfterAll
    void stop() {
        replicas.close();
    }

    @Test
    void theReadmeDemoRunsAgainstTheComposeEnvironment() throws Exception {
        int api = Replicas.port(service);
        int management = Replicas.managementPort(service);
        String readme = OpsFiles.read(Path.of("README.md"));
        String tryIt = readme.substring(readme.indexOf("## Try it"));
        List<String> blocks = bashBlocks(tryIt.substring(0, tryIt.indexOf("\n## ", 3)));
        assertThat(blocks).as("the README's demo commands").hasSizeGreaterThanOrEqualTo(2);
        String script = String.join("\n", blocks.subList(0, 2)).replace("localhost:8080", "localhost:" + api)
                + "\ncurl -s -o /dev/null -w 'api port metrics: %{http_code}\\n' localhost:" + api
                + "/actuator/prometheus"
                + "\ncurl -s -o /dev/null -w 'management port metrics: %{http_code}\\n' localhost:" + management
                + "/actuator/prometheus\n";

        Path work = Files.createDirectories(Path.of("target", "compose-demo"));
        Files.deleteIfExists(work.resolve("docs"));
        Files.createSymbolicLink(work.resolve("docs"), ROOT.resolve("docs"));
        Process bash = new ProcessBuilder("timeout", "180", "bash", "-e", "-o", "pipefail", "-c", script)
                .directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bash.waitFor(200, TimeUnit.SECONDS)).isTrue();
        Files.writeString(work.resolve("output.txt"), output);

        assertThat(bash.exitValue()).as("the demo's exit status; output:\n%s", output).isZero();
        assertThat(output).contains("submitted: img_", "\"status\": \"succeeded\"", "result.png: PNG image data",
                "\"team\": \"demo-a\"", "api port metrics: 404", "management port metrics: 200");
        assertThat(readPng(work.resolve("inline.png"))).as("the OpenAI-style answer's image").isTrue();
    }

    /** The contents of the ```bash blocks of a piece of markdown, in order. */
    private static List<String> bashBlocks(String markdown) {
        return Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL).matcher(markdown).results()
                .map(m -> m.group(1)).toList();
    }

    /**
     * Compose's interpolation on a machine where none of the variables is set: {@code ${VAR:-default}} and
     * {@code ${VAR-default}} give the default, {@code ${VAR}} the empty string.
     */
    static String interpolate(String value) {
        Matcher m = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?}").matcher(value);
        return m.replaceAll(r -> Matcher.quoteReplacement(r.group(2) == null ? "" : r.group(2)));
    }

    private static boolean readPng(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return bytes.length > 8 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G';
    }
}
